//! Self-contained HTML reports: minijinja templates and inline SVG charts.
//!
//! The report crate knows nothing of models, runners or result stores: it takes
//! plain data ([`ReportData`]) and renders one HTML file with inline CSS and
//! inline SVG charts, no JavaScript, and no reference to anything outside the
//! file (no fonts, scripts, stylesheets or images from the network; prediction
//! strips are embedded as `data:image/png;base64,` URIs).
//!
//! * [`render`] turns a [`ReportData`] into the HTML text;
//! * [`write_report`] writes it to `dir/index.html`;
//! * [`overlay_png`] draws a label map over a grey image and encodes it as PNG,
//!   [`to_base64`] encodes those bytes for a [`Frame`];
//! * [`saliency_png`] draws a saliency map as a heat colour over a grey image
//!   with a region outlined, [`heat_png`] a map alone (classification reports);
//! * [`svg`] holds the chart code (nice ticks, log-axis detection, line charts,
//!   data-efficiency charts);
//! * [`smallest_n_reaching`] is the rule of the data-efficiency table (the
//!   smallest number of training images whose score reaches the human band).
//!
//! A classification run ([`ReportData::classification`]) adds, after the
//! leaderboard (whose values then show their `[lo, hi]` intervals), a
//! "Shortcut reliance" table, and after the curves "Statistical comparisons",
//! "Confusion matrices" and "Saliency" sections; tables and figures are
//! numbered in document order.
//!
//! Every user-provided string is escaped: the templates are rendered with
//! minijinja's HTML auto-escaping, and the SVG writer escapes the text it emits
//! with [`svg::escape_xml`].

#![warn(missing_docs)]

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod chart;
mod classification;
pub mod compare;
mod data_uri;
mod efficiency;
pub mod labels;
pub mod nightly;
mod numbering;
mod overlay;
pub mod site;
pub mod svg;
mod template;
mod view;

pub use compare::{CompareView, DifferenceView, GroupView, SideView, WorstView, render_compare};
pub use efficiency::smallest_n_reaching;

pub use overlay::{
    DEFAULT_LABEL_PALETTE, OVERLAY_ALPHA, OVERLAY_CONTOUR_ALPHA, REGION_OUTLINE,
    SALIENCY_MAX_ALPHA, heat_png, overlay_png, saliency_png, to_base64,
};

/// Everything one report shows. Plain data: the caller (the CLI, through the
/// results crate) fills it; the report only lays it out.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    /// The report title (the `<title>` and the heading).
    pub title: String,
    /// The suite name, e.g. `cardiac`.
    pub suite: String,
    /// A free-text description of the suite (one paragraph).
    pub description: String,
    /// The run identifier (the run folder's name).
    pub run_id: String,
    /// When the run was made, as text (e.g. RFC 3339).
    pub created: String,
    /// Provenance pairs shown in the header, in order: harness version, git
    /// sha, suite hash, seed, model hashes, ...
    pub provenance: Vec<(String, String)>,
    /// Free-text notes shown under the header, e.g. skipped datasets and why.
    pub notes: Vec<String>,
    /// How the `[lo, hi]` interval of every [`CurvePoint`] was computed, e.g.
    /// `95% percentile bootstrap CI of the mean over samples (1000 resamples)`.
    /// Shown in the figure captions and the footer; empty means "interval as
    /// supplied".
    pub ci_label: String,
    /// The leaderboard table.
    pub leaderboard: Leaderboard,
    /// Data-efficiency charts (score against the number of training images,
    /// one line per pretraining source). When not empty, a "Data efficiency"
    /// section is shown before the robustness curves, primary-metric panels
    /// first (otherwise in the given order). Absent in older runs: defaults
    /// to empty.
    #[serde(default)]
    pub efficiency: Vec<EfficiencyPanel>,
    /// The curve charts, in the order they should appear. Panels are grouped
    /// by `perturbation` (in order of first appearance).
    pub panels: Vec<CurvePanel>,
    /// Prediction strips, grouped by `perturbation` in order of first appearance.
    pub strips: Vec<Strip>,
    /// Work that failed; a table is shown when not empty.
    pub failures: Vec<Failure>,
    /// The classification sections (absent for segmentation runs).
    #[serde(default)]
    pub classification: Option<ClassificationReport>,
}

/// What a classification run shows besides the leaderboard (whose rows then
/// carry CIs in [`LeaderboardRow::ci`]) and the robustness curves (metric
/// against a perturbation's parameter, in [`ReportData::panels`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassificationReport {
    /// The class names, in index order.
    pub classes: Vec<String>,
    /// The shortcut (side-marker reliance) table, when the suite declares one.
    pub shortcut: Option<ShortcutTable>,
    /// Paired tests between models under one condition, and between a
    /// perturbed condition and the unperturbed images of the same model.
    pub tests: Vec<PairedTestRow>,
    /// Confusion matrices (unperturbed images first).
    pub confusion: Vec<ConfusionView>,
    /// Saliency overlays: per model and method, examples under two or more
    /// conditions side by side (e.g. original vs marker removed).
    pub galleries: Vec<SaliencyGallery>,
    /// Class-mean saliency maps (CRM's class-specific ROI maps).
    pub class_maps: Vec<ClassMap>,
    /// Mean localisation of saliency on the region, per model, method and condition.
    pub localisation: Vec<LocalisationRow>,
    /// The label study (ranking vs one-at-a-time labels), when the suite has one.
    #[serde(default)]
    pub labels: Option<labels::LabelStudyResult>,
}

/// The shortcut table: one row per model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShortcutTable {
    /// The reference condition's name, e.g. `internal (markers as in training)`.
    pub reference: String,
    /// The other conditions' names, in column order.
    pub conditions: Vec<String>,
    /// The saliency method of the last column (`None`: no saliency column).
    pub saliency_method: Option<String>,
    /// How the p-values were computed, e.g. `DeLong's test for two correlated ROC curves, two-sided`.
    pub test_label: String,
    /// One row per model.
    pub rows: Vec<ShortcutTableRow>,
}

/// One model's row of the [`ShortcutTable`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShortcutTableRow {
    /// The model name.
    pub model: String,
    /// AUC under the reference condition, with its CI.
    pub reference: AucCell,
    /// One cell per condition, in [`ShortcutTable::conditions`] order.
    pub cells: Vec<AucCell>,
    /// Mean fraction of positive saliency on the region (relevance mass
    /// accuracy) under the reference condition, over images with a region.
    pub saliency_mass: Option<f64>,
}

/// An AUC with its CI and, against the reference, ΔAUC and p.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AucCell {
    /// The ROC AUC.
    pub auc: Option<f64>,
    /// Its confidence interval.
    pub ci: Option<(f64, f64)>,
    /// AUC − reference AUC on the paired images (`None` for the reference).
    pub delta: Option<f64>,
    /// The test's p-value (`None` for the reference).
    pub p: Option<f64>,
    /// Images (paired images for a condition).
    pub n: usize,
}

/// One paired comparison.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PairedTestRow {
    /// The dataset.
    pub dataset: String,
    /// `models` (two models under one condition) or `condition` (one model,
    /// perturbed vs unperturbed).
    pub kind: String,
    /// The condition, e.g. `none` or `rotate = 15 deg`.
    pub condition: String,
    /// The first model (kind `models`) or the model (kind `condition`).
    pub a: String,
    /// The second model, or the perturbed condition.
    pub b: String,
    /// Paired images.
    pub n: usize,
    /// Accuracy of a and b.
    pub accuracy: (Option<f64>, Option<f64>),
    /// McNemar's exact p of the paired accuracies.
    pub mcnemar_p: Option<f64>,
    /// Stuart–Maxwell statistic, degrees of freedom and p.
    pub stuart_maxwell: Option<(f64, usize, f64)>,
    /// Binary tasks: AUC of a and b.
    pub auc: (Option<f64>, Option<f64>),
    /// Binary tasks: DeLong's p.
    pub delong_p: Option<f64>,
}

/// A confusion matrix.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfusionView {
    /// The model.
    pub model: String,
    /// The dataset.
    pub dataset: String,
    /// The condition (`none` = unperturbed).
    pub condition: String,
    /// Row-major `k x k` counts, rows = reference class, columns = predicted
    /// (class names in [`ClassificationReport::classes`]).
    pub counts: Vec<u64>,
}

/// Saliency overlays of one model and method.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SaliencyGallery {
    /// The model.
    pub model: String,
    /// The method, e.g. `crm`.
    pub method: String,
    /// The dataset.
    pub dataset: String,
    /// The condition of each column, e.g. `original`, `marker removed`.
    pub conditions: Vec<String>,
    /// One row per image.
    pub rows: Vec<SaliencyGalleryRow>,
}

/// One image of a [`SaliencyGallery`] under each condition.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SaliencyGalleryRow {
    /// The sample id.
    pub sample: String,
    /// Its reference class name.
    pub truth: String,
    /// One frame per condition.
    pub frames: Vec<SaliencyFrame>,
}

/// A saliency overlay (PNG, base64) with what the model said.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SaliencyFrame {
    /// The overlay: the grey image with the map as a heat colour; the region
    /// (e.g. the marker box) outlined.
    pub png_base64: String,
    /// The predicted class and its probability, e.g. `positive 0.93`.
    pub caption: String,
    /// Fraction of positive saliency on the region, if the image has one.
    pub mass: Option<f64>,
}

/// A class-mean saliency map.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassMap {
    /// The model.
    pub model: String,
    /// The method.
    pub method: String,
    /// The class.
    pub class: String,
    /// Images averaged.
    pub n: usize,
    /// The map as a heat-coloured PNG, base64.
    pub png_base64: String,
}

/// Mean localisation of saliency on the region under one condition.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LocalisationRow {
    /// The model.
    pub model: String,
    /// The method.
    pub method: String,
    /// The dataset.
    pub dataset: String,
    /// The condition.
    pub condition: String,
    /// Relevance mass accuracy (mean over images with a region).
    pub mass: Option<f64>,
    /// Relevance rank accuracy (mean).
    pub rank: Option<f64>,
    /// Pointing-game hit rate.
    pub pointing: Option<f64>,
    /// Images with a region.
    pub n: usize,
}

/// The leaderboard: one row per model, one value per column.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Leaderboard {
    /// The metric the ranking uses, e.g. `Dice (mean over classes)`.
    pub metric: String,
    /// Whether a higher `metric` ranks better (shown as an arrow in the caption).
    pub higher_is_better: bool,
    /// The value columns.
    pub columns: Vec<LeaderboardColumn>,
    /// The rows, in rank order.
    pub rows: Vec<LeaderboardRow>,
}

/// One value column of the [`Leaderboard`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LeaderboardColumn {
    /// Column heading, e.g. `Clean`, `Mean over grid`, `nAUC gaussian_noise`, `Worst`, `Deg`.
    pub name: String,
    /// `Some(true)`: higher is better (↑), `Some(false)`: lower is better (↓);
    /// the best value of the column is set in bold. `None`: neutral (counts),
    /// no arrow and no bold.
    pub higher_is_better: Option<bool>,
    /// What the column means; shown as the heading's tooltip and in the
    /// table's legend (may be empty).
    pub description: String,
}

/// One model's row of the [`Leaderboard`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LeaderboardRow {
    /// 1-based rank.
    pub rank: usize,
    /// The model name.
    pub model: String,
    /// One value per column (`None` or a non-finite value is shown as `—`).
    /// Missing trailing values are shown as `—`; extra values are ignored.
    pub values: Vec<Option<f64>>,
    /// Optional confidence interval per column, shown after the value as
    /// `[lo, hi]` (classification leaderboards); empty = none.
    #[serde(default)]
    pub ci: Vec<Option<(f64, f64)>>,
}

/// One chart: a metric of one class against a perturbation's parameter, one
/// line per model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CurvePanel {
    /// The perturbation's name (the grouping key), e.g. `gaussian_noise`.
    pub perturbation: String,
    /// The swept parameter's name, e.g. `sigma`.
    pub parameter: String,
    /// The parameter's unit (may be empty), e.g. `× intensity SD`.
    pub unit: String,
    /// The metric, e.g. `Dice`.
    pub metric: String,
    /// The metric's unit (may be empty), e.g. `mm`.
    pub metric_unit: String,
    /// The class (label name) the metric is for; empty for a whole-image metric.
    pub class: String,
    /// Whether a higher metric is better (an arrow in the caption).
    pub higher_is_better: bool,
    /// `true` for the primary metric: shown in the main figure grid; other
    /// panels go into a collapsed "other metrics" section under it.
    pub primary: bool,
    /// The dataset the points were measured on.
    pub dataset: String,
    /// Lower end of the metric's natural range (e.g. `Some(0.0)` for Dice and
    /// HD95): the y axis is fitted to the data but never goes below it.
    pub y_min: Option<f64>,
    /// Upper end of the metric's natural range (e.g. `Some(1.0)` for Dice,
    /// `None` for HD95): the y axis never goes above it.
    pub y_max: Option<f64>,
    /// One line per model.
    pub series: Vec<Series>,
}

/// One model's line in a [`CurvePanel`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The model name (its colour and marker are the same in every chart).
    pub model: String,
    /// The points; drawn in increasing `x` whatever their order here.
    pub points: Vec<CurvePoint>,
}

/// One point of a [`Series`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// The parameter value.
    pub x: f64,
    /// The mean metric; `None` (or non-finite) leaves a gap in the line.
    pub mean: Option<f64>,
    /// Lower end of the interval (see [`ReportData::ci_label`]); drawn as a band.
    pub lo: Option<f64>,
    /// Upper end of the interval.
    pub hi: Option<f64>,
    /// Number of samples with a defined score.
    pub n: usize,
    /// Number of samples whose score was undefined (excluded from the mean);
    /// when non-zero the marker is drawn hollow.
    pub n_undefined: usize,
}

/// One data-efficiency chart: a metric of one class against the number of
/// training images `n` (log axis), one line per pretraining source, with the
/// human inter-observer band when declared.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EfficiencyPanel {
    /// The dataset evaluated on, e.g. `phantom` or `ct-l3`.
    pub dataset: String,
    /// The metric, e.g. `Dice`.
    pub metric: String,
    /// The metric's unit (may be empty), e.g. `mm` or `cm²`.
    pub metric_unit: String,
    /// The class (label name) the metric is for, e.g. `muscle`; empty for a
    /// whole-image metric.
    pub class: String,
    /// Whether a higher metric is better: decides the rule of
    /// [`smallest_n_reaching`] and the arrow in the caption.
    pub higher_is_better: bool,
    /// `true` for the suite's primary metric: such panels are shown first.
    pub primary: bool,
    /// One curve per pretraining source.
    pub curves: Vec<EfficiencyCurve>,
    /// The human inter-observer level; `None`: no table, and the chart says
    /// "no human reference declared".
    pub band: Option<HumanBand>,
    /// How the `[lo, hi]` interval of every [`EfficiencyPoint`] was computed,
    /// e.g. `95% t-interval across 4 folds`; empty means "interval as supplied".
    pub ci_label: String,
}

/// One pretraining source's line in an [`EfficiencyPanel`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EfficiencyCurve {
    /// The pretraining source's name, e.g. `random` or `mednist`. Its colour
    /// and marker are the same in every data-efficiency chart, and the same
    /// as the leaderboard row of that name, if any.
    pub source: String,
    /// The points; drawn in increasing `n` whatever their order here.
    pub points: Vec<EfficiencyPoint>,
}

/// One point of an [`EfficiencyCurve`]: the score after fine-tuning on `n`
/// training images.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EfficiencyPoint {
    /// The number of training images (the "all images" point is simply its
    /// count). Points with `n = 0` cannot be placed on the log axis and are
    /// not drawn (they still count for [`smallest_n_reaching`]).
    pub n: usize,
    /// The mean over folds of the per-fold mean score on the held-out fold;
    /// `None` (or non-finite) leaves a gap in the line.
    pub mean: Option<f64>,
    /// Lower end of the interval across folds (see
    /// [`EfficiencyPanel::ci_label`]); drawn as a ribbon.
    pub lo: Option<f64>,
    /// Upper end of the interval across folds.
    pub hi: Option<f64>,
    /// Number of folds that contributed; a point with fewer folds than the
    /// panel's largest count is drawn with a hollow marker.
    pub folds: usize,
}

/// The human inter-observer level of a metric: a value and its spread.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HumanBand {
    /// The central value (drawn as a dashed line).
    pub value: f64,
    /// The band's lower end.
    pub lo: f64,
    /// The band's upper end.
    pub hi: f64,
    /// Where the band comes from, e.g. `10 observers, pairwise Dice` or a
    /// citation.
    pub source: String,
}

/// A row of prediction frames: one model on one sample across a perturbation's grid.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Strip {
    /// The perturbation's name (the grouping key).
    pub perturbation: String,
    /// The swept parameter's name, shown with each frame's value.
    pub parameter: String,
    /// The parameter's unit (may be empty).
    pub unit: String,
    /// The metric shown under each frame, e.g. `Dice`.
    pub metric: String,
    /// The sample's identifier.
    pub sample: String,
    /// The model name.
    pub model: String,
    /// The frames, in the order shown.
    pub frames: Vec<Frame>,
}

/// One image of a [`Strip`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    /// The parameter value.
    pub x: f64,
    /// A PNG encoded with standard base64 (see [`overlay_png`] and
    /// [`to_base64`]); anything outside the base64 alphabet is not embedded
    /// and the frame shows "image unavailable".
    pub png_base64: String,
    /// The sample's score at this point (`None`: undefined).
    pub score: Option<f64>,
}

/// Work that failed and produced no (or partial) rows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// The model name.
    pub model: String,
    /// The dataset name.
    pub dataset: String,
    /// The perturbation name.
    pub perturbation: String,
    /// Why it failed (the error message).
    pub reason: String,
    /// How many result rows are missing because of it.
    pub rows: usize,
}

/// Errors of the report crate.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A template failed to compile or render (a bug in the crate's templates).
    #[error("report template `{name}`: {source}")]
    Template {
        /// The template's name.
        name: String,
        /// minijinja's error.
        #[source]
        source: minijinja::Error,
    },
    /// Creating the output folder or writing the file failed.
    #[error("writing report to {path}: {source}")]
    Io {
        /// The path being written.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An argument of [`overlay_png`], [`saliency_png`] or [`heat_png`] was
    /// invalid; the message starts with the function's name.
    #[error("{0}")]
    InvalidInput(String),
    /// The PNG encoder failed.
    #[error("encoding overlay PNG: {0}")]
    Png(#[from] image::ImageError),
}

const TEMPLATE_NAME: &str = "report.html";
const TEMPLATE: &str = include_str!("../templates/report.html");

/// Renders the report as one self-contained HTML document.
///
/// # Errors
/// [`ReportError::Template`] if the compiled-in template fails (a bug).
pub fn render(data: &ReportData) -> Result<String, ReportError> {
    let view = view::build(data);
    let ctx = minijinja::context! {
        r => minijinja::Value::from(minijinja::value::Serde(&view)),
        css => template::stylesheet(),
    };
    template::render_page(TEMPLATE_NAME, &[(TEMPLATE_NAME, TEMPLATE)], ctx)
}

/// Renders the report and writes it to `dir/index.html`, creating `dir` (and
/// its parents) when missing. Returns the written file's path.
///
/// # Errors
/// [`ReportError::Io`] naming the path when the folder or file cannot be
/// written; [`ReportError::Template`] as [`render`].
pub fn write_report(data: &ReportData, dir: &Path) -> Result<PathBuf, ReportError> {
    let html = render(data)?;
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let path = dir.join("index.html");
    std::fs::write(&path, html).map_err(|source| ReportError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}
