//! The label study of a classification suite (`labels:`): annotators rank
//! batches of slices or label them one at a time (simulated, or read from
//! recorded CSVs), the rankings are aggregated by Bradley–Terry and cut into
//! the classes, every label set is compared with the truth and between
//! observers, and one classifier per label source is fine-tuned through the
//! TorchScript path. The trained classifiers then run as ordinary models of
//! the classification run (leaderboard, tests, perturbations).
//!
//! Files under `<run>/labels/`:
//! - `rankings.csv` (`annotator,batch,order`), `single.csv`
//!   (`annotator,image,label`): the annotations used, simulated (and re-read
//!   through the same readers as recorded files) or copied from the
//!   recorded files;
//! - `study.json` ([`LabelStudyResult`]): agreement, the ordinal axis, the
//!   effort, the training;
//! - `models/<source>.pt`: the fine-tuned classifiers.
//!
//! **Conventions.** Annotator names ending in `/repeat` are the first
//! annotator's repeated pass (intra-observer agreement); they never enter a
//! consensus. The consensus ranking is the Bradley–Terry fit over every
//! first-pass session; the consensus one-at-a-time label is the majority
//! vote of as many labels per image as fit in the ranking's time
//! ([`Effort::single_labels_per_image`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sensibench_core::derive_seed;
use sensibench_data::{Dataset, SliceStacks};
use sensibench_labels::{
    Cut, Effort, KappaCi, LabelSet, RankingAnnotatorModel, RankingSession, SingleAnnotatorModel,
    SingleLabel, agreement_table, bradley_terry_ids, consensus, cut, kappa_with_ci, read_rankings,
    read_single_labels, simulate_rankings, simulate_single, write_rankings, write_single_labels,
};
use sensibench_metrics::KappaWeights;
use sensibench_suite::plan::{CutPlan, LabelSource, LabelStudyPlan, ModelPlan, Plan};

use sensibench_report::labels::{
    AxisPoint, CiOut, EffortOut, KappaTriple, LabelStudyResult, ObserverAgreement, TrainingOut,
    TruthAgreement,
};

use crate::{Result, RunError, io_err, json_err};

/// The study's name in its errors (`label study: rankings: …`).
const STUDY: &str = "label study";

fn ci_out(k: KappaCi) -> CiOut {
    CiOut {
        value: k.kappa,
        lo: k.lo,
        hi: k.hi,
    }
}

/// Suffix of a repeated pass's annotator name.
pub const REPEAT: &str = "/repeat";

/// The study's output folder.
pub fn labels_dir(run_dir: &Path) -> PathBuf {
    run_dir.join("labels")
}

/// Reads `<run>/labels/study.json`, if the run has one.
pub fn read_study(run_dir: &Path) -> Option<LabelStudyResult> {
    let text = std::fs::read_to_string(labels_dir(run_dir).join("study.json")).ok()?;
    serde_json::from_str(&text).ok()
}

fn stacks_of(plan: &Plan, name: &str) -> Result<SliceStacks> {
    let d = plan
        .datasets
        .iter()
        .find(|d| d.name == name)
        .ok_or_else(|| RunError::Invalid(format!("{STUDY}: no dataset `{name}`")))?;
    crate::datasets::slice_stacks(d, plan.seed)
}

/// The error of the study step `what` (`label study: {what}: {e}`).
fn core_err(what: &str) -> impl FnOnce(sensibench_core::Error) -> RunError + '_ {
    move |source| RunError::Study {
        study: STUDY,
        what: what.to_string(),
        source,
    }
}

fn triple(
    a: &[u32],
    b: &[u32],
    k: usize,
    resamples: usize,
    level: f64,
    seed: u64,
) -> Result<KappaTriple> {
    let one = |w: KappaWeights, tag: &str| -> Result<CiOut> {
        kappa_with_ci(a, b, k, w, resamples, level, derive_seed(seed, &[tag]))
            .map(ci_out)
            .map_err(core_err("kappa"))
    };
    Ok(KappaTriple {
        unweighted: one(KappaWeights::Unweighted, "unweighted")?,
        linear: one(KappaWeights::Linear, "linear")?,
        quadratic: one(KappaWeights::Quadratic, "quadratic")?,
    })
}

/// Labels of `ids` from a ranking: Bradley–Terry over `sessions`, then the cut.
fn ranking_labels(
    ids: &[String],
    sessions: &[RankingSession],
    alpha: f64,
    how: &Cut,
    pass: &str,
) -> Result<(Vec<f64>, Vec<u32>, Vec<f64>)> {
    let fit = bradley_terry_ids(ids, sessions, alpha).map_err(core_err("Bradley–Terry"))?;
    if let Some(i) = fit.comparisons.iter().position(|&c| c == 0) {
        return Err(RunError::Invalid(format!(
            "{STUDY}: image `{}` was never ranked in {pass}; every annotated image needs a ranking",
            ids[i]
        )));
    }
    let (labels, points) = cut(&fit.scores, how).map_err(core_err("cut"))?;
    Ok((fit.scores, labels, points))
}

/// The declared cut; fractions are normalised to sum to exactly 1 (the
/// suite accepts a sum within 1e-6).
fn declared_cut(plan: &CutPlan) -> Cut {
    match plan {
        CutPlan::Fractions(f) => {
            let sum: f64 = f.iter().sum();
            Cut::Fractions(f.iter().map(|x| x / sum).collect())
        }
        CutPlan::Points(p) => Cut::Points(p.clone()),
    }
}

fn accuracy(a: &[u32], b: &[u32]) -> f64 {
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len().max(1) as f64
}

/// What the classification run needs from the study.
pub(crate) struct Prepared {
    /// The classifiers to evaluate, one per label source.
    pub models: Vec<ModelPlan>,
}

/// The images of the study, in the order of the slice stacks.
struct StudyImages {
    ids: Vec<String>,
    /// Each image's true position on the ordinal axis.
    positions: Vec<f64>,
    /// Each image's true class.
    truth: Vec<u32>,
}

impl StudyImages {
    fn of(stacks: &SliceStacks) -> Self {
        let n = stacks.len();
        StudyImages {
            ids: (0..n).map(|i| stacks.sample_id(i)).collect(),
            positions: (0..n).map(|i| stacks.position(i)).collect(),
            truth: (0..n).map(|i| stacks.class(i)).collect(),
        }
    }
}

/// The consensus of the first ranking passes.
struct RankingConsensus {
    /// Bradley–Terry score per image.
    scores: Vec<f64>,
    /// The class cut from the scores, per image.
    labels: Vec<u32>,
    cut_points: Vec<f64>,
    /// Images per class of the consensus: every pass is cut into these.
    counts: Vec<usize>,
    /// Batches ranked in the first passes (the ranking's effort).
    batches: usize,
}

/// One pass's labels of every image (for the agreement tables).
struct PassSet {
    /// `ranking` or `single`.
    method: &'static str,
    /// The pass, as its annotator is recorded (`a`, `a/repeat`).
    name: String,
    /// The annotator (the name without `/repeat`).
    annotator: String,
    labels: Vec<u32>,
}

/// How the study's kappas are computed.
#[derive(Clone, Copy)]
struct KappaSpec {
    /// Number of classes.
    k: usize,
    /// Bootstrap resamples of each interval.
    resamples: usize,
    level: f64,
    /// The study's seed, from which each table's is derived.
    seed: u64,
}

/// The classifier fine-tuned on each label source, as a model of the run.
fn classifier_plans(lp: &LabelStudyPlan, dir: &Path) -> Vec<ModelPlan> {
    let model_plan = |source: LabelSource| ModelPlan {
        name: model_name(source),
        backend: sensibench_suite::plan::BackendPlan::TorchScript {
            path: dir.join("models").join(format!("{}.pt", source.name())),
            threads: lp.training.threads,
        },
        preprocess: lp.training.preprocess.clone(),
        postprocess: sensibench_suite::plan::Postprocess::Softmax,
        batch_size: 32,
        isolate: sensibench_suite::plan::Isolation::InProcess,
    };
    lp.training.sources.iter().map(|&s| model_plan(s)).collect()
}

/// Whether `run_dir` holds this suite's finished study: its `study.json`
/// and every classifier.
fn is_finished(plan: &Plan, run_dir: &Path, models: &[ModelPlan]) -> bool {
    read_study(run_dir).is_some_and(|r| r.suite_hash == plan.suite_hash)
        && models.iter().all(|m| match &m.backend {
            sensibench_suite::plan::BackendPlan::TorchScript { path, .. } => path.is_file(),
            _ => false,
        })
}

/// Runs the annotation part of the study and trains the classifiers; with
/// `resume` and a finished study in `run_dir`, reuses it.
pub(crate) fn prepare(
    plan: &Plan,
    lp: &LabelStudyPlan,
    run_dir: &Path,
    resume: bool,
    bootstrap: usize,
    level: f64,
) -> Result<Prepared> {
    let dir = labels_dir(run_dir);
    std::fs::create_dir_all(dir.join("models")).map_err(io_err(&dir))?;
    let models = classifier_plans(lp, &dir);
    if resume && is_finished(plan, run_dir, &models) {
        return Ok(Prepared { models });
    }

    let k = plan.classes.len();
    let stacks = stacks_of(plan, &lp.dataset)?;
    let n = stacks.len();
    let images = StudyImages::of(&stacks);

    let sessions = ranking_sessions(plan, lp, &dir, &images)?;
    let ranked = ranking_consensus(lp, &sessions, &images.ids, k)?;
    let mut notes: Vec<String> = Vec::new();

    // one image at a time, in the same time
    let effort = Effort {
        seconds_per_batch: lp.ranking.seconds_per_batch,
        seconds_per_label: lp.single.seconds_per_label,
    };
    let per_image = effort
        .single_labels_per_image(ranked.batches, n)
        .map_err(core_err("effort"))?;
    let singles = single_labels(plan, lp, &dir, &images, stacks.cuts(), per_image)?;
    let (single_labels, voters) = single_consensus(&singles, per_image, &images.ids, k)?;

    let mut pass_sets = ranking_pass_sets(&images.ids, &sessions, lp.alpha, &ranked, &mut notes);
    pass_sets.extend(single_pass_sets(&images.ids, &singles, &mut notes));

    let spec = KappaSpec {
        k,
        resamples: bootstrap,
        level,
        seed: derive_seed(plan.seed, &["label-study"]),
    };
    let truth_rows = truth_agreement(
        &images.truth,
        &ranked.labels,
        &single_labels,
        voters,
        &pass_sets,
        spec,
    )?;
    let observers = observer_agreement(&pass_sets, spec)?;

    let training = train_all(
        plan,
        lp,
        &stacks,
        &images.truth,
        &ranked.labels,
        &single_labels,
        &dir,
    )?;

    let result = LabelStudyResult {
        classes: plan.classes.clone(),
        truth: truth_rows,
        observers,
        axis: axis_points(&images, &ranked),
        cut_points: ranked.cut_points,
        alpha: lp.alpha,
        effort: effort_out(lp, n, ranked.batches, voters),
        models: annotation_models(lp),
        training,
        level,
        notes,
        suite_hash: plan.suite_hash.clone(),
    };
    write_study(&dir, &result)?;
    Ok(Prepared { models })
}

/// The ranking sessions of the study: the recorded ones (copied to
/// `rankings.csv`), or those simulated for every annotator and the first
/// one's repeat (written to `rankings.csv` and read back through the same
/// reader).
fn ranking_sessions(
    plan: &Plan,
    lp: &LabelStudyPlan,
    dir: &Path,
    images: &StudyImages,
) -> Result<Vec<RankingSession>> {
    let rk = &lp.ranking;
    let rmodel = RankingAnnotatorModel {
        noise: rk.noise,
        batch_size: rk.batch_size,
        views_per_image: rk.views_per_image,
    };
    let rankings_csv = dir.join("rankings.csv");
    match &rk.sessions {
        Some(path) => {
            let sessions = read_rankings(path).map_err(core_err("rankings"))?;
            write_rankings(&rankings_csv, &sessions).map_err(core_err("rankings"))?;
            Ok(sessions)
        }
        None => {
            let mut all = Vec::new();
            let passes = rk
                .annotators
                .iter()
                .cloned()
                .chain(std::iter::once(format!("{}{REPEAT}", rk.annotators[0])));
            for a in passes {
                all.extend(
                    simulate_rankings(&images.ids, &images.positions, &rmodel, &a, plan.seed)
                        .map_err(core_err("simulated rankings"))?,
                );
            }
            write_rankings(&rankings_csv, &all).map_err(core_err("rankings"))?;
            read_rankings(&rankings_csv).map_err(core_err("rankings"))
        }
    }
}

/// The Bradley–Terry consensus of every first-pass session, cut as declared.
fn ranking_consensus(
    lp: &LabelStudyPlan,
    sessions: &[RankingSession],
    ids: &[String],
    k: usize,
) -> Result<RankingConsensus> {
    let first_pass: Vec<RankingSession> = sessions
        .iter()
        .filter(|s| !s.annotator.ends_with(REPEAT))
        .cloned()
        .collect();
    let (scores, labels, cut_points) = ranking_labels(
        ids,
        &first_pass,
        lp.alpha,
        &declared_cut(&lp.cut),
        "the first passes",
    )?;
    // Each pass is cut into the consensus' class sizes, so that a pass's
    // weaker fit (fewer comparisons, more shrinkage) does not move images
    // towards the middle class.
    let counts: Vec<usize> = (0..k)
        .map(|c| labels.iter().filter(|&&l| l as usize == c).count())
        .collect();
    Ok(RankingConsensus {
        scores,
        labels,
        cut_points,
        counts,
        batches: first_pass.len(),
    })
}

/// The one-at-a-time labels of the study: the recorded ones (copied to
/// `single.csv`), or `per_image` simulated passes (at least one per
/// annotator) and the first annotator's repeat (written to `single.csv` and
/// read back).
fn single_labels(
    plan: &Plan,
    lp: &LabelStudyPlan,
    dir: &Path,
    images: &StudyImages,
    cuts: &[f64],
    per_image: usize,
) -> Result<Vec<SingleLabel>> {
    let sg = &lp.single;
    let smodel = SingleAnnotatorModel {
        error_rate: sg.error_rate,
    };
    let single_csv = dir.join("single.csv");
    match &sg.labels {
        Some(path) => {
            let labels =
                read_single_labels(path, Some(&plan.classes)).map_err(core_err("labels"))?;
            write_single_labels(&single_csv, &labels, Some(&plan.classes))
                .map_err(core_err("labels"))?;
            Ok(labels)
        }

        None => {
            let mut all = Vec::new();
            let a_n = sg.annotators.len();
            let mut passes: Vec<String> = (0..per_image.max(a_n))
                .map(|j| {
                    let a = &sg.annotators[j % a_n];
                    if j < a_n {
                        a.clone()
                    } else {
                        format!("{a}/pass{}", j / a_n + 1)
                    }
                })
                .collect();
            passes.push(format!("{}{REPEAT}", sg.annotators[0]));
            for a in &passes {
                all.extend(
                    simulate_single(
                        &images.ids,
                        &images.truth,
                        &images.positions,
                        cuts,
                        &smodel,
                        a,
                        plan.seed,
                    )
                    .map_err(core_err("simulated labels"))?,
                );
            }
            write_single_labels(&single_csv, &all, Some(&plan.classes))
                .map_err(core_err("labels"))?;
            read_single_labels(&single_csv, Some(&plan.classes)).map_err(core_err("labels"))
        }
    }
}

/// The consensus one-at-a-time label of every image, the majority vote of
/// the first `per_image` first passes (equal effort), and how many passes
/// voted.
fn single_consensus(
    singles: &[SingleLabel],
    per_image: usize,
    ids: &[String],
    k: usize,
) -> Result<(Vec<u32>, usize)> {
    let mut pass_order: Vec<String> = Vec::new();
    for s in singles {
        if !s.annotator.ends_with(REPEAT) && !pass_order.contains(&s.annotator) {
            pass_order.push(s.annotator.clone());
        }
    }
    let used: Vec<&String> = pass_order.iter().take(per_image).collect();
    let pool: Vec<SingleLabel> = singles
        .iter()
        .filter(|s| used.contains(&&s.annotator))
        .cloned()
        .collect();
    let votes = consensus(&pool, k).map_err(core_err("consensus"))?;
    let labels: Vec<u32> = ids
        .iter()
        .map(|id| {
            votes.get(id).copied().ok_or_else(|| {
                RunError::Invalid(format!("{STUDY}: image `{id}` has no one-at-a-time label"))
            })
        })
        .collect::<Result<_>>()?;
    Ok((labels, used.len()))
}

/// Every ranking pass (annotator), cut into the consensus' class sizes; a
/// pass that cannot be fitted is left out with a note.
fn ranking_pass_sets(
    ids: &[String],
    sessions: &[RankingSession],
    alpha: f64,
    ranked: &RankingConsensus,
    notes: &mut Vec<String>,
) -> Vec<PassSet> {
    let mut by_annotator: BTreeMap<&str, Vec<RankingSession>> = BTreeMap::new();
    for s in sessions {
        by_annotator
            .entry(s.annotator.as_str())
            .or_default()
            .push(s.clone());
    }
    let mut sets = Vec::new();
    for (a, ss) in &by_annotator {
        match ranking_labels(
            ids,
            ss,
            alpha,
            &Cut::Counts(ranked.counts.clone()),
            &format!("pass `{a}`"),
        ) {
            Ok((_, labels, _)) => sets.push(PassSet {
                method: "ranking",
                name: a.to_string(),
                annotator: a.trim_end_matches(REPEAT).to_string(),
                labels,
            }),
            Err(e) => notes.push(format!(
                "ranking pass `{a}` is left out of the agreement tables: {e}"
            )),
        }
    }
    sets
}

/// Every one-at-a-time annotator's first pass and repeat (the extra
/// `/pass` passes are not compared); a pass that does not label every
/// image is left out with a note.
fn single_pass_sets(
    ids: &[String],
    singles: &[SingleLabel],
    notes: &mut Vec<String>,
) -> Vec<PassSet> {
    let mut single_by: BTreeMap<&str, BTreeMap<&str, u32>> = BTreeMap::new();
    for s in singles {
        single_by
            .entry(s.annotator.as_str())
            .or_default()
            .insert(s.image.as_str(), s.label);
    }
    let mut sets = Vec::new();
    for (a, m) in &single_by {
        if a.contains("/pass") {
            continue;
        }
        let labels: Option<Vec<u32>> = ids.iter().map(|id| m.get(id.as_str()).copied()).collect();
        match labels {
            Some(labels) => sets.push(PassSet {
                method: "single",
                name: a.to_string(),
                annotator: a.trim_end_matches(REPEAT).to_string(),
                labels,
            }),
            None => notes.push(format!(
                "one-at-a-time pass `{a}` does not label every image; it is left out of the agreement tables"
            )),
        }
    }
    sets
}

/// Agreement with the truth of the two consensus label sets (`voters`
/// one-at-a-time passes voted) and of every pass.
fn truth_agreement(
    truth: &[u32],
    ranking: &[u32],
    single: &[u32],
    voters: usize,
    pass_sets: &[PassSet],
    spec: KappaSpec,
) -> Result<Vec<TruthAgreement>> {
    let KappaSpec {
        k,
        resamples,
        level,
        seed,
    } = spec;
    let mut rows = vec![
        TruthAgreement {
            label_set: "ranking consensus (Bradley–Terry)".into(),
            method: "ranking".into(),
            consensus: true,
            accuracy: accuracy(ranking, truth),
            kappa: triple(
                ranking,
                truth,
                k,
                resamples,
                level,
                derive_seed(seed, &["ranking"]),
            )?,
        },
        TruthAgreement {
            label_set: format!("one at a time (majority of {voters})"),
            method: "single".into(),
            consensus: true,
            accuracy: accuracy(single, truth),
            kappa: triple(
                single,
                truth,
                k,
                resamples,
                level,
                derive_seed(seed, &["single"]),
            )?,
        },
    ];
    for p in pass_sets {
        rows.push(TruthAgreement {
            label_set: p.name.clone(),
            method: p.method.to_string(),
            consensus: false,
            accuracy: accuracy(&p.labels, truth),
            kappa: triple(
                &p.labels,
                truth,
                k,
                resamples,
                level,
                derive_seed(seed, &[&p.name]),
            )?,
        });
    }
    Ok(rows)
}

/// Inter- and intra-observer agreement between the passes of each method
/// (a method with fewer than two passes has no table).
fn observer_agreement(pass_sets: &[PassSet], spec: KappaSpec) -> Result<Vec<ObserverAgreement>> {
    let mut observers = Vec::new();
    for method in ["ranking", "single"] {
        let sets: Vec<LabelSet<'_>> = pass_sets
            .iter()
            .filter(|p| p.method == method)
            .map(|p| LabelSet {
                name: &p.name,
                annotator: &p.annotator,
                labels: &p.labels,
            })
            .collect();
        if sets.len() < 2 {
            continue;
        }
        let rows = agreement_table(
            &sets,
            spec.k,
            spec.resamples,
            spec.level,
            derive_seed(spec.seed, &[method]),
        )
        .map_err(core_err("agreement"))?;
        for chunk in rows.chunks(3) {
            let [u, l, q] = chunk else { continue };
            observers.push(ObserverAgreement {
                method: method.into(),
                kind: format!("{:?}", u.kind).to_lowercase(),
                a: u.a.clone(),
                b: u.b.clone(),
                kappa: KappaTriple {
                    unweighted: ci_out(u.ci),
                    linear: ci_out(l.ci),
                    quadratic: ci_out(q.ci),
                },
            });
        }
    }
    Ok(observers)
}

/// The ordinal axis: every image's score, true position, true class and
/// consensus class.
fn axis_points(images: &StudyImages, ranked: &RankingConsensus) -> Vec<AxisPoint> {
    (0..images.ids.len())
        .map(|i| AxisPoint {
            id: images.ids[i].clone(),
            score: ranked.scores[i],
            position: images.positions[i],
            truth: images.truth[i],
            label: ranked.labels[i],
        })
        .collect()
}

/// The annotation time of both methods for `n` images.
fn effort_out(lp: &LabelStudyPlan, n: usize, batches: usize, voters: usize) -> EffortOut {
    let hours = |s: f64| s / 3600.0;
    EffortOut {
        images: n,
        batches,
        ranking_hours: hours(batches as f64 * lp.ranking.seconds_per_batch),
        single_labels_per_image: voters,
        single_hours: hours((voters * n) as f64 * lp.single.seconds_per_label),
    }
}

/// What the annotations were: recorded files, or the simulated annotators.
fn annotation_models(lp: &LabelStudyPlan) -> Vec<String> {
    let (rk, sg) = (&lp.ranking, &lp.single);
    vec![
        match &rk.sessions {
            Some(p) => format!("rankings recorded in {}", p.display()),
            None => format!(
                "ranking annotators {}: batches of {}, each image seen at least {} times per pass, perceived position = true position + N(0, {}²) per view; {} s per batch",
                rk.annotators.join(", "),
                rk.batch_size,
                rk.views_per_image,
                rk.noise,
                rk.seconds_per_batch
            ),
        },
        match &sg.labels {
            Some(p) => format!("one-at-a-time labels recorded in {}", p.display()),
            None => format!(
                "one-at-a-time annotators {}: each label moved to the adjacent class nearer the true position with probability {}; {} s per label",
                sg.annotators.join(", "),
                sg.error_rate,
                sg.seconds_per_label
            ),
        },
    ]
}

/// Writes `<dir>/study.json`.
fn write_study(dir: &Path, result: &LabelStudyResult) -> Result<()> {
    let path = dir.join("study.json");
    let text = serde_json::to_string_pretty(result).map_err(json_err(&path))?;
    std::fs::write(&path, text).map_err(io_err(&path))
}

/// The run's name of the classifier trained on `source`.
pub fn model_name(source: LabelSource) -> String {
    format!("cnn-{}-labels", source.name())
}

#[cfg(not(feature = "torch"))]
fn train_all(
    _: &Plan,
    _: &LabelStudyPlan,
    _: &SliceStacks,
    _: &[u32],
    _: &[u32],
    _: &[u32],
    _: &Path,
) -> Result<Vec<TrainingOut>> {
    Err(RunError::Invalid(format!(
        "the suite has a `labels:` study that fine-tunes classifiers, but {}",
        crate::models::NO_TORCH.trim_start_matches("this sensibench ")
    )))
}

#[cfg(feature = "torch")]
fn train_all(
    plan: &Plan,
    lp: &LabelStudyPlan,
    stacks: &SliceStacks,
    truth: &[u32],
    ranking: &[u32],
    single: &[u32],
    dir: &Path,
) -> Result<Vec<TrainingOut>> {
    use rayon::prelude::*;
    use sensibench_backends_tch::{
        Augment, ClassTrainingSet, FineTuneConfig, Loss, Optimizer, fine_tune_classifier,
    };
    use sensibench_core::Sample;
    use sensibench_suite::plan::OptimizerPlan;

    let t = &lp.training;
    let samples: Vec<Sample> = (0..stacks.len())
        .into_par_iter()
        .map(|i| stacks.get(i))
        .collect::<sensibench_core::Result<_>>()
        .map_err(core_err("images"))?;
    let inputs: Vec<Vec<f32>> = samples
        .iter()
        .map(|s| crate::pipeline::prepare_input(&s.image, &t.preprocess))
        .collect::<sensibench_core::Result<_>>()
        .map_err(core_err("preprocessing"))?;
    let [h, w] = t.preprocess.size.unwrap_or([
        samples[0].image.grid().dims()[1],
        samples[0].image.grid().dims()[2],
    ]);
    let mut out = Vec::new();
    for &source in &t.sources {
        let labels = match source {
            LabelSource::Truth => truth,
            LabelSource::Ranking => ranking,
            LabelSource::Single => single,
        };
        let name = model_name(source);
        let set = ClassTrainingSet::new(inputs.clone(), labels.to_vec(), [1, h, w])
            .map_err(core_err("training set"))?;
        let cfg = FineTuneConfig {
            steps: t.steps,
            batch_size: t.batch_size,
            optimizer: match t.optimizer {
                OptimizerPlan::Adam => Optimizer::Adam,
                OptimizerPlan::AdamW => Optimizer::AdamW,
                OptimizerPlan::Sgd { momentum } => Optimizer::Sgd { momentum },
            },
            learning_rate: t.learning_rate,
            weight_decay: t.weight_decay,
            loss: Loss::default(),
            augment: Augment {
                flip_x: t.augment.flip_x,
                flip_y: t.augment.flip_y,
                rot90: t.augment.rot90,
                scale: t.augment.scale,
                shift: t.augment.shift,
            },
            classes: plan.classes.len(),
            seed: derive_seed(plan.seed, &["label-study", "train", source.name()]),
            threads: t.threads,
        };
        eprintln!(
            "label study: fine-tuning on {} labels ({} images, {} steps)",
            source.name(),
            labels.len(),
            t.steps
        );
        let (model, report) =
            fine_tune_classifier(&name, &t.model, &set, &cfg).map_err(core_err("fine-tuning"))?;
        let path = dir.join("models").join(format!("{}.pt", source.name()));
        model.save(&path).map_err(core_err("saving"))?;
        let tenth = (report.losses.len() / 10).max(1);
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        out.push(TrainingOut {
            source: source.name().into(),
            model: name,
            label_accuracy: accuracy(labels, truth),
            steps: t.steps,
            loss_first: mean(&report.losses[..tenth.min(report.losses.len())]),
            loss_last: mean(&report.losses[report.losses.len().saturating_sub(tenth)..]),
            seconds: report.seconds,
        });
    }
    Ok(out)
}
