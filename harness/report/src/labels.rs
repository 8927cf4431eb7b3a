//! The label study's results (`<run>/labels/study.json`), written by the
//! runner and shown by the report: agreement of each label source with the
//! truth and between observers, the aggregated ordinal axis with its cut
//! points, the annotation effort, and the classifiers trained on each source.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::chart::format::{escape_xml, format_compact, format_fixed};
use crate::chart::scale::nice_ticks;
use crate::numbering::Numbering;

/// κ of one label set against another, three weightings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KappaTriple {
    /// Unweighted κ with its interval.
    pub unweighted: CiOut,
    /// Linearly weighted κ.
    pub linear: CiOut,
    /// Quadratically weighted κ.
    pub quadratic: CiOut,
}

/// An estimate with its percentile-bootstrap interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CiOut {
    /// The estimate.
    pub value: f64,
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
}

/// One label set against the truth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TruthAgreement {
    /// e.g. `ranking (consensus)`, `R1`, `single (majority of 1)`.
    pub label_set: String,
    /// `ranking` or `single`.
    pub method: String,
    /// Whether it is a consensus (training label source) or one pass.
    pub consensus: bool,
    /// Share of images whose label is the true class.
    pub accuracy: f64,
    /// κ against the truth.
    pub kappa: KappaTriple,
}

/// Intra- or inter-observer agreement of one pair of passes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObserverAgreement {
    /// `ranking` or `single`.
    pub method: String,
    /// `intra` or `inter`.
    pub kind: String,
    /// First pass.
    pub a: String,
    /// Second pass.
    pub b: String,
    /// κ, three weightings.
    pub kappa: KappaTriple,
}

/// One image on the aggregated ordinal axis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AxisPoint {
    /// Sample id.
    pub id: String,
    /// Bradley–Terry score (larger = more apical).
    pub score: f64,
    /// True position (0 = base, 1 = apex).
    pub position: f64,
    /// True class.
    pub truth: u32,
    /// Class from the cut ranking.
    pub label: u32,
}

/// The annotation time of both methods.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EffortOut {
    /// Images annotated.
    pub images: usize,
    /// Ranking batches of the first passes.
    pub batches: usize,
    /// Their time in hours.
    pub ranking_hours: f64,
    /// One-at-a-time labels per image in the same time.
    pub single_labels_per_image: usize,
    /// Their time in hours.
    pub single_hours: f64,
}

/// One fine-tuned classifier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingOut {
    /// Label source.
    pub source: String,
    /// The model's name in the run.
    pub model: String,
    /// Share of training labels equal to the truth.
    pub label_accuracy: f64,
    /// Optimiser steps.
    pub steps: usize,
    /// Mean loss of the first and last tenth of the steps.
    pub loss_first: f64,
    /// Mean loss of the last tenth.
    pub loss_last: f64,
    /// Training wall time, seconds.
    pub seconds: f64,
}

/// Everything the label study found (`<run>/labels/study.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelStudyResult {
    /// Class names.
    pub classes: Vec<String>,
    /// Each label set against the truth.
    pub truth: Vec<TruthAgreement>,
    /// Intra- and inter-observer agreement.
    pub observers: Vec<ObserverAgreement>,
    /// The consensus ranking's ordinal axis.
    pub axis: Vec<AxisPoint>,
    /// Cut points used on the score axis.
    pub cut_points: Vec<f64>,
    /// Bradley–Terry regularisation.
    pub alpha: f64,
    /// Annotation effort.
    pub effort: EffortOut,
    /// The noise models (for the report), e.g. `ranking noise SD 0.08`.
    pub models: Vec<String>,
    /// The classifiers.
    pub training: Vec<TrainingOut>,
    /// Confidence level of the κ intervals.
    #[serde(default = "default_level")]
    pub level: f64,
    /// What was left out and why.
    #[serde(default)]
    pub notes: Vec<String>,
    /// SHA-256 of the suite that made the study (a resumed run reuses the
    /// study only when it matches).
    #[serde(default)]
    pub suite_hash: String,
}

fn default_level() -> f64 {
    0.95
}

// ---------------------------------------------------------------- rendering

/// What the template shows of a label study.
#[derive(Serialize)]
pub(crate) struct LabelsView {
    truth_table: usize,
    observer_table: usize,
    training_table: usize,
    axis_figure: usize,
    truth: Vec<TruthRowView>,
    observers: Vec<ObserverRowView>,
    training: Vec<TrainingRowView>,
    effort: String,
    models: Vec<String>,
    axis_svg: String,
    cuts: String,
    level: String,
    notes: Vec<String>,
}

#[derive(Serialize)]
struct TruthRowView {
    label_set: String,
    method: String,
    consensus: bool,
    accuracy: String,
    kappa: String,
    linear: String,
    quadratic: String,
}

#[derive(Serialize)]
struct ObserverRowView {
    method: String,
    kind: String,
    pair: String,
    kappa: String,
    linear: String,
    quadratic: String,
}

#[derive(Serialize)]
struct TrainingRowView {
    model: String,
    source: String,
    label_accuracy: String,
    loss: String,
    seconds: String,
}

fn with_ci(c: &CiOut) -> String {
    if c.value.is_finite() {
        format!(
            "{} [{}, {}]",
            format_fixed(c.value, 3),
            format_fixed(c.lo, 3),
            format_fixed(c.hi, 3)
        )
    } else {
        "—".into()
    }
}

/// The ordinal axis: each annotated image at its Bradley–Terry score (x),
/// its true position on y (base at the top; dotted lines at the base 0 and
/// the apex 1 when the stack reaches beyond them), coloured by its true
/// class; dashed vertical lines at the cut points.
fn axis_svg(r: &LabelStudyResult) -> String {
    let (w, h) = (760.0, 320.0);
    let (l, rt, t, b) = (56.0, 16.0, 14.0, 62.0);
    let (lo, hi) = r
        .axis
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.score), b.max(p.score))
        });
    if !(lo.is_finite() && hi.is_finite()) {
        return String::new();
    }
    let ticks = nice_ticks(lo, hi.max(lo + 1e-9), 6);
    let (lo, hi) = (ticks.lo, ticks.hi);
    // the true positions: base 0 and apex 1 always shown, the stack may reach beyond
    let (ylo, yhi) = r.axis.iter().fold((0.0f64, 1.0f64), |(a, b), p| {
        (a.min(p.position), b.max(p.position))
    });
    let x = |s: f64| l + (s - lo) / (hi - lo) * (w - l - rt);
    let y = |p: f64| t + (p - ylo) / (yhi - ylo) * (h - t - b);
    let colours = ["#1f6fb4", "#3a9a4f", "#c0504d", "#8064a2", "#f79646"];
    let mut s = format!(
        r##"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="Aggregated ranking scores against the true slice position"><rect x="{l}" y="{t}" width="{}" height="{}" fill="none" stroke="#ccc"/>"##,
        w - l - rt,
        h - t - b
    );
    for &v in &ticks.values {
        let _ = write!(
            s,
            r##"<line x1="{0:.1}" x2="{0:.1}" y1="{1}" y2="{2}" stroke="#eee"/><text x="{0:.1}" y="{3}" text-anchor="middle" font-size="11">{4}</text>"##,
            x(v),
            t,
            h - b,
            h - b + 14.0,
            ticks.label(v)
        );
    }
    let mut marks = vec![(0.0, "base 0".to_string()), (1.0, "apex 1".to_string())];
    for v in [ylo, yhi] {
        if !(-1e-9..=1.0 + 1e-9).contains(&v) {
            marks.push((v, format_fixed(v, 2)));
        }
    }
    for (p, label) in &marks {
        let _ = write!(
            s,
            r##"<text x="{}" y="{:.1}" text-anchor="end" font-size="11" dominant-baseline="middle">{label}</text>"##,
            l - 6.0,
            y(*p)
        );
    }
    for p in [0.0, 1.0] {
        if ylo < p && p < yhi {
            let _ = write!(
                s,
                r##"<line x1="{l}" x2="{}" y1="{1:.1}" y2="{1:.1}" stroke="#999" stroke-dasharray="2 3"/>"##,
                w - rt,
                y(p)
            );
        }
    }
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{}" text-anchor="middle" font-size="12">Bradley–Terry score (more apical →)</text><text transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle" font-size="12">true position</text>"#,
        (l + w - rt) / 2.0,
        h - 6.0,
        (t + h - b) / 2.0
    );
    for c in &r.cut_points {
        if c.is_finite() && *c > lo && *c < hi {
            let _ = write!(
                s,
                r##"<line x1="{0:.1}" x2="{0:.1}" y1="{1}" y2="{2}" stroke="#333" stroke-dasharray="4 3"/>"##,
                x(*c),
                t,
                h - b
            );
        }
    }
    for p in &r.axis {
        let colour = colours[(p.truth as usize) % colours.len()];
        // a small deterministic vertical jitter separates equal positions
        let jitter = ((p
            .id
            .bytes()
            .fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b)))
            % 1000) as f64
            / 1000.0
            - 0.5)
            * 6.0;
        let _ = write!(
            s,
            r#"<circle cx="{:.1}" cy="{:.1}" r="2.6" fill="{colour}" fill-opacity="0.75"><title>{} · score {:.2} · position {:.2}</title></circle>"#,
            x(p.score),
            y(p.position) + jitter,
            escape_xml(&p.id),
            p.score,
            p.position
        );
    }
    // legend
    for (i, name) in r.classes.iter().enumerate() {
        let lx = l + 8.0 + i as f64 * 120.0;
        let _ = write!(
            s,
            r#"<circle cx="{lx}" cy="{}" r="4" fill="{}"/><text x="{}" y="{}" font-size="11" dominant-baseline="middle">true: {}</text>"#,
            h - b + 32.0,
            colours[i % colours.len()],
            lx + 8.0,
            h - b + 32.0,
            escape_xml(name)
        );
    }
    s.push_str("</svg>");
    s
}

/// The view of `r`, numbering its tables and figure from `numbering`.
pub(crate) fn view(r: &LabelStudyResult, numbering: &mut Numbering) -> LabelsView {
    let truth_table = numbering.next_table();
    let observer_table = if r.observers.is_empty() {
        0
    } else {
        numbering.next_table()
    };
    let training_table = if r.training.is_empty() {
        0
    } else {
        numbering.next_table()
    };
    let axis_figure = numbering.next_figure();
    let e = &r.effort;
    LabelsView {
        truth_table,
        observer_table,
        training_table,
        axis_figure,
        truth: r
            .truth
            .iter()
            .map(|t| TruthRowView {
                label_set: t.label_set.clone(),
                method: t.method.clone(),
                consensus: t.consensus,
                accuracy: format_fixed(t.accuracy, 3),
                kappa: with_ci(&t.kappa.unweighted),
                linear: with_ci(&t.kappa.linear),
                quadratic: with_ci(&t.kappa.quadratic),
            })
            .collect(),
        observers: r
            .observers
            .iter()
            .map(|o| ObserverRowView {
                method: o.method.clone(),
                kind: o.kind.clone(),
                pair: format!("{} vs {}", o.a, o.b),
                kappa: with_ci(&o.kappa.unweighted),
                linear: with_ci(&o.kappa.linear),
                quadratic: with_ci(&o.kappa.quadratic),
            })
            .collect(),
        training: r
            .training
            .iter()
            .map(|t| TrainingRowView {
                model: t.model.clone(),
                source: t.source.clone(),
                label_accuracy: format_fixed(t.label_accuracy, 3),
                loss: format!(
                    "{} → {}",
                    format_fixed(t.loss_first, 3),
                    format_fixed(t.loss_last, 3)
                ),
                seconds: format!("{:.0} s / {} steps", t.seconds, t.steps),
            })
            .collect(),
        effort: format!(
            "{} images; ranking: {} batches = {:.1} h; one at a time: {} label(s) per image = {:.1} h",
            e.images, e.batches, e.ranking_hours, e.single_labels_per_image, e.single_hours
        ),
        models: r.models.clone(),
        axis_svg: axis_svg(r),
        level: format!("{}%", format_compact(r.level * 100.0)),
        notes: r.notes.clone(),
        cuts: r
            .cut_points
            .iter()
            .map(|c| format_fixed(*c, 2))
            .collect::<Vec<_>>()
            .join(", "),
    }
}
