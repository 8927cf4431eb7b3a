//! Fine-tuning a TorchScript module on a few labelled images, on the CPU.
//!
//! The module is loaded as a `tch::TrainableCModule`: every parameter that
//! has `requires_grad` in the exported file is trained (frozen parameters stay
//! frozen), buffers stay inside the module. Each step draws a batch from the
//! training images in a seeded order, augments it, and takes one optimiser
//! step on the [`dice_ce_loss`]. Afterwards the module is switched to eval
//! mode and returned as a [`TorchScriptModel`] for the usual evaluation path.
//!
//! **Determinism.** The batch order and the augmentation come from
//! [`SeededRng`] seeded with [`FineTuneConfig::seed`]; the module's initial
//! weights come from the file. With the same thread count the same inputs
//! give the same weights; libtorch's CPU reductions may differ in the last
//! bits when the thread count changes.
//!
//! Classifiers (`N x classes` logits, cross-entropy) are fine-tuned by
//! [`crate::finetune_classifier`] with the same optimisers, sampler and
//! augmentation.

use std::path::Path;
use std::time::Instant;

use sensibench_core::{Error, Result, SeededRng};
use tch::nn::VarStore;
use tch::{COptimizer, Device, Kind, Reduction, Tensor, TrainableCModule};

use crate::{TorchScriptModel, model_err, seed_libtorch_once, set_threads};

/// The optimiser of a fine-tuning run (libtorch's implementations).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Optimizer {
    /// Adam (β₁ 0.9, β₂ 0.999, ε 1e-8), L2 weight decay added to the gradient.
    Adam,
    /// AdamW (β₁ 0.9, β₂ 0.999, ε 1e-8), decoupled weight decay.
    AdamW,
    /// SGD with the given momentum (no dampening, no Nesterov).
    Sgd {
        /// Momentum factor in `[0, 1)`.
        momentum: f64,
    },
}

/// The training loss: `ce_weight · CE + dice_weight · (1 − soft Dice)`; see
/// [`dice_ce_loss`] for the exact terms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Loss {
    /// Weight of the pixel-mean cross-entropy.
    pub ce_weight: f64,
    /// Weight of the soft-Dice loss.
    pub dice_weight: f64,
}

impl Default for Loss {
    fn default() -> Self {
        Loss {
            ce_weight: 1.0,
            dice_weight: 1.0,
        }
    }
}

/// On-the-fly augmentation of each training image, drawn per image and step.
/// Geometric changes move the labels with the image.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Augment {
    /// Mirror left-right with probability ½.
    pub flip_x: bool,
    /// Mirror top-bottom with probability ½.
    pub flip_y: bool,
    /// Rotate by a uniformly drawn multiple of 90° (square images only).
    pub rot90: bool,
    /// Multiply intensities by a factor drawn uniformly from `[1 − s, 1 + s]`.
    pub scale: f64,
    /// Add an offset drawn uniformly from `[−t, t]` (in input units).
    pub shift: f64,
}

/// How to fine-tune.
#[derive(Clone, Debug, PartialEq)]
pub struct FineTuneConfig {
    /// Optimiser steps (≥ 1).
    pub steps: usize,
    /// Images per step (≥ 1); a set smaller than this is used whole.
    pub batch_size: usize,
    /// The optimiser.
    pub optimizer: Optimizer,
    /// Learning rate (> 0).
    pub learning_rate: f64,
    /// Weight decay (≥ 0).
    pub weight_decay: f64,
    /// The loss weights.
    pub loss: Loss,
    /// The augmentation.
    pub augment: Augment,
    /// Classes the module outputs (≥ 2); labels must be below it.
    pub classes: usize,
    /// Seed of the batch order and the augmentation.
    pub seed: u64,
    /// libtorch intra-op threads (0 = libtorch's default).
    pub threads: usize,
}

/// The training images, already pre-processed into the module's input
/// space (e.g. windowed and resized): `images[i]` is `C x H x W`,
/// `labels[i]` is `H x W` class indices.
#[derive(Clone, Debug)]
pub struct TrainingSet {
    images: Vec<Vec<f32>>,
    labels: Vec<Vec<u8>>,
    shape: [usize; 3],
}

impl TrainingSet {
    /// Checks that every image has `C·H·W` values and every label map `H·W`,
    /// and that there is at least one image.
    pub fn new(images: Vec<Vec<f32>>, labels: Vec<Vec<u8>>, shape: [usize; 3]) -> Result<Self> {
        let [c, h, w] = shape;
        let bad = |what: String| Error::Shape {
            what,
            expected: format!("{c} x {h} x {w} images and {h} x {w} label maps"),
            found: String::new(),
        };
        if images.is_empty() || images.len() != labels.len() || c * h * w == 0 {
            return Err(Error::Shape {
                what: "training set".into(),
                expected: "at least one image and one label map per image".into(),
                found: format!("{} images, {} label maps", images.len(), labels.len()),
            });
        }
        for (i, (x, y)) in images.iter().zip(&labels).enumerate() {
            if x.len() != c * h * w || y.len() != h * w {
                let mut e = bad(format!("training image {i}"));
                if let Error::Shape { found, .. } = &mut e {
                    *found = format!("{} values and {} labels", x.len(), y.len());
                }
                return Err(e);
            }
        }
        Ok(TrainingSet {
            images,
            labels,
            shape,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Image `i` (`C x H x W`) and its labels (`H x W`).
    pub fn item(&self, i: usize) -> (&[f32], &[u8]) {
        (&self.images[i], &self.labels[i])
    }

    /// The `[C, H, W]` shape of every image.
    pub fn shape(&self) -> [usize; 3] {
        self.shape
    }

    /// Always false (a set has at least one image).
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }
}

/// What a fine-tuning run did.
#[derive(Clone, Debug, PartialEq)]
pub struct FineTuneReport {
    /// The loss of every step, before that step's update.
    pub losses: Vec<f64>,
    /// Wall time of every step (batch assembly, forward, backward, update), seconds.
    pub step_seconds: Vec<f64>,
    /// Wall time of the training loop, seconds.
    pub seconds: f64,
}

/// Dice + cross-entropy on logits `N x K x H x W` and class indices
/// `N x H x W` (`Int64`):
///
/// `loss = ce_weight · CE + dice_weight · (1 − mean_k D_k)` with
/// - `CE` = mean over all `N·H·W` pixels of `−log softmax(logits)[target]`
///   (libtorch `cross_entropy`, reduction mean, no class weights, no label
///   smoothing);
/// - `D_k = (2 Σ p_k y_k + ε) / (Σ p_k + Σ y_k + ε)`, ε = 1e-5, the soft Dice
///   of class `k` with `p = softmax over classes` and `y` the one-hot target,
///   sums pooled over the whole batch and all pixels; the mean runs over all
///   `K` classes, background included (a class absent from the batch and
///   predicted absent scores ≈ 1).
///
/// The same formula is in `plugins/models/muscle/bench_pytorch.py`.
pub fn dice_ce_loss(
    logits: &Tensor,
    target: &Tensor,
    classes: i64,
    loss: Loss,
) -> std::result::Result<Tensor, tch::TchError> {
    const EPS: f64 = 1e-5;
    let ce = logits.f_cross_entropy_loss::<Tensor>(target, None, Reduction::Mean, -100, 0.0)?;
    let p = logits.f_softmax(1, Kind::Float)?;
    let y = target
        .f_one_hot(classes)?
        .f_permute([0, 3, 1, 2])?
        .f_to_kind(Kind::Float)?;
    let dims: &[i64] = &[0, 2, 3];
    let inter = (&p * &y).f_sum_dim_intlist(dims, false, Kind::Float)?;
    let denom = p.f_sum_dim_intlist(dims, false, Kind::Float)?
        + y.f_sum_dim_intlist(dims, false, Kind::Float)?;
    let dice = (inter * 2.0 + EPS) / (denom + EPS);
    let dice_loss = dice.f_mean(Kind::Float)?.f_neg()? + 1.0;
    Ok(ce * loss.ce_weight + dice_loss * loss.dice_weight)
}

/// Checks the settings shared by segmentation and classification
/// fine-tuning (everything but `classes` and `loss`).
pub(crate) fn check_common(name: &str, cfg: &FineTuneConfig) -> Result<()> {
    let bad = |what: &str| Error::Model {
        model: name.to_string(),
        reason: format!("fine-tuning: {what}"),
    };
    if cfg.steps == 0 {
        return Err(bad("steps must be at least 1"));
    }
    if cfg.batch_size == 0 {
        return Err(bad("batch_size must be at least 1"));
    }
    if !(cfg.learning_rate.is_finite() && cfg.learning_rate > 0.0) {
        return Err(bad("learning_rate must be a positive number"));
    }
    if !(cfg.weight_decay.is_finite() && cfg.weight_decay >= 0.0) {
        return Err(bad("weight_decay must be >= 0"));
    }
    if let Optimizer::Sgd { momentum } = cfg.optimizer
        && !(0.0..1.0).contains(&momentum)
    {
        return Err(bad("SGD momentum must be in [0, 1)"));
    }
    Ok(())
}

fn check_config(name: &str, cfg: &FineTuneConfig) -> Result<()> {
    check_common(name, cfg)?;
    if cfg.classes < 2 || cfg.classes > 256 {
        return Err(Error::Model {
            model: name.to_string(),
            reason: "fine-tuning: classes must be between 2 and 256".into(),
        });
    }
    Ok(())
}

/// Fine-tunes the TorchScript module in `module_path` on `set` and returns it,
/// in eval mode, as a model named `name`, with the loss of every step.
///
/// Fails (never panics) when the file does not load, the module has no
/// trainable parameter, its output does not fit `N x classes x H x W`, a
/// label is not below `classes`, or the loss becomes NaN or infinite.
pub fn fine_tune(
    name: &str,
    module_path: &Path,
    set: &TrainingSet,
    cfg: &FineTuneConfig,
) -> Result<(TorchScriptModel, FineTuneReport)> {
    check_config(name, cfg)?;
    if let Some((i, l)) = set.labels.iter().enumerate().find_map(|(i, y)| {
        y.iter()
            .find(|&&l| usize::from(l) >= cfg.classes)
            .map(|&l| (i, l))
    }) {
        return Err(Error::Model {
            model: name.to_string(),
            reason: format!(
                "training label map {i} contains class {l}, but the module has {} classes",
                cfg.classes
            ),
        });
    }
    if !module_path.is_file() {
        return Err(Error::Model {
            model: name.to_string(),
            reason: format!("TorchScript file {} does not exist", module_path.display()),
        });
    }
    seed_libtorch_once();
    set_threads(cfg.threads);
    guard_panics(name, || train(name, module_path, set, cfg))
}

/// Runs `f`, turning a panic inside `tch` into this model's error: libtorch
/// errors surface as `TchError`, but anything inside tch that would still
/// panic must end the fine-tuning, not the run.
pub(crate) fn guard_panics<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            Err(Error::Model {
                model: name.to_string(),
                reason: format!("fine-tuning failed inside libtorch: {what}"),
            })
        }
    }
}

/// The error of a failed libtorch call of model `name`: `what: e`, as a
/// `map_err` argument.
pub(crate) fn tch_error(name: &str, what: &str) -> impl FnOnce(tch::TchError) -> Error + use<> {
    let (name, what) = (name.to_string(), what.to_string());
    move |e| model_err(&name, &what, e)
}

/// Loads `module_path` as a trainable module in train mode with its
/// trainable parameters registered in a fresh optimiser; fails when there is
/// no trainable parameter.
pub(crate) fn load_for_training(
    name: &str,
    module_path: &Path,
    cfg: &FineTuneConfig,
) -> Result<(TrainableCModule, VarStore, COptimizer)> {
    let err = |what: &str| tch_error(name, what);
    let vs = VarStore::new(Device::Cpu);
    let mut module = TrainableCModule::load(module_path, vs.root()).map_err(err(&format!(
        "cannot load {} as a trainable TorchScript module",
        module_path.display()
    )))?;
    module
        .f_set_train()
        .map_err(err("cannot switch to train mode"))?;
    let params = vs.trainable_variables();
    if params.is_empty() {
        return Err(Error::Model {
            model: name.to_string(),
            reason: format!(
                "{} has no trainable parameter (requires_grad is false everywhere)",
                module_path.display()
            ),
        });
    }
    let (lr, wd) = (cfg.learning_rate, cfg.weight_decay);
    let mut opt = match cfg.optimizer {
        Optimizer::Adam => COptimizer::adam(lr, 0.9, 0.999, wd, 1e-8, false),
        Optimizer::AdamW => COptimizer::adamw(lr, 0.9, 0.999, wd, 1e-8, false),
        Optimizer::Sgd { momentum } => COptimizer::sgd(lr, momentum, 0.0, wd, false),
    }
    .map_err(err("cannot create the optimiser"))?;
    for p in &params {
        opt.add_parameters(p, 0)
            .map_err(err("cannot register a parameter"))?;
    }
    Ok((module, vs, opt))
}

/// The seeded draw of training images and augmentations shared by both
/// fine-tuning paths: the images are visited in a fresh [`SeededRng`]
/// permutation per pass over the set (shuffled before the first image), and
/// every drawn image is followed by its five augmentation draws
/// ([`Transform::draw`]), whatever is enabled.
pub(crate) struct Sampler {
    rng: SeededRng,
    order: Vec<usize>,
    cursor: usize,
}

impl Sampler {
    pub(crate) fn new(n: usize, seed: u64) -> Sampler {
        Sampler {
            rng: SeededRng::new(seed),
            order: (0..n).collect(),
            cursor: n, // forces a shuffle before the first image
        }
    }

    /// The next image index and its augmentation.
    pub(crate) fn next(&mut self, aug: &Augment, h: usize, w: usize) -> (usize, Transform) {
        if self.cursor == self.order.len() {
            self.rng.shuffle(&mut self.order);
            self.cursor = 0;
        }
        let i = self.order[self.cursor];
        self.cursor += 1;
        (i, Transform::draw(aug, &mut self.rng, h, w))
    }
}

/// The training images every step of [`fine_tune`] and
/// [`crate::fine_tune_classifier`] uses for a set of `n` images with this
/// `batch_size`, `steps` and `seed` (`min(batch_size, n)` indices per step,
/// in batch order). The augmentation does not change them.
pub fn batch_indices(n: usize, batch_size: usize, steps: usize, seed: u64) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new(); steps];
    }
    let b = batch_size.min(n);
    let mut sampler = Sampler::new(n, seed);
    let aug = Augment::default();
    (0..steps)
        .map(|_| (0..b).map(|_| sampler.next(&aug, 1, 1).0).collect())
        .collect()
}

fn train(
    name: &str,
    module_path: &Path,
    set: &TrainingSet,
    cfg: &FineTuneConfig,
) -> Result<(TorchScriptModel, FineTuneReport)> {
    let err = |what: &str| tch_error(name, what);
    let (module, vs, opt) = load_for_training(name, module_path, cfg)?;

    let [c, h, w] = set.shape;
    let b = cfg.batch_size.min(set.len());
    let mut sampler = Sampler::new(set.len(), cfg.seed);
    let mut x = vec![0f32; b * c * h * w];
    let mut y = vec![0i64; b * h * w];
    let mut log = TrainingLog::start(cfg.steps);
    for step in 0..cfg.steps {
        let step_start = Instant::now();
        for slot in 0..b {
            let (i, t) = sampler.next(&cfg.augment, h, w);
            augment_into(
                &set.images[i],
                &set.labels[i],
                set.shape,
                &t,
                &mut x[slot * c * h * w..(slot + 1) * c * h * w],
                &mut y[slot * h * w..(slot + 1) * h * w],
            );
        }
        let xt = Tensor::f_from_slice(&x)
            .and_then(|t| t.f_reshape([b as i64, c as i64, h as i64, w as i64]))
            .map_err(err("cannot build the input batch"))?;
        let yt = Tensor::f_from_slice(&y)
            .and_then(|t| t.f_reshape([b as i64, h as i64, w as i64]))
            .map_err(err("cannot build the target batch"))?;
        let logits = module
            .forward_ts(&[xt])
            .map_err(err("forward failed during fine-tuning"))?;
        let size = logits.size();
        if size != [b as i64, cfg.classes as i64, h as i64, w as i64] {
            return Err(Error::Model {
                model: name.to_string(),
                reason: format!(
                    "fine-tuning: output shape {size:?} does not fit input {b} x {c} x {h} x {w} with {} classes",
                    cfg.classes
                ),
            });
        }
        let loss = dice_ce_loss(&logits, &yt, cfg.classes as i64, cfg.loss)
            .map_err(err("cannot compute the loss"))?;
        log.record_and_step(name, &opt, &loss, step, step_start)?;
    }
    log.finish(name, module, vs)
}

/// What a training loop of [`fine_tune`] or [`crate::fine_tune_classifier`]
/// records: every step's loss and wall time, from the loop's start.
pub(crate) struct TrainingLog {
    losses: Vec<f64>,
    step_seconds: Vec<f64>,
    start: Instant,
}

impl TrainingLog {
    /// An empty log for `steps` steps; the loop's clock starts now.
    pub(crate) fn start(steps: usize) -> Self {
        let losses = Vec::with_capacity(steps);
        let step_seconds = Vec::with_capacity(steps);
        TrainingLog {
            losses,
            step_seconds,
            start: Instant::now(),
        }
    }

    /// Records the `loss` of `step` (refusing a non-finite one: the run
    /// diverged), takes one optimiser step on it and records the step's
    /// wall time since `step_start`.
    pub(crate) fn record_and_step(
        &mut self,
        name: &str,
        opt: &COptimizer,
        loss: &Tensor,
        step: usize,
        step_start: Instant,
    ) -> Result<()> {
        let err = |what: &str| tch_error(name, what);
        let value = loss
            .f_double_value(&[])
            .map_err(err("cannot read the loss"))?;
        if !value.is_finite() {
            return Err(Error::Model {
                model: name.to_string(),
                reason: format!(
                    "fine-tuning diverged: the loss is {value} at step {step} (lower the learning rate)"
                ),
            });
        }
        self.losses.push(value);
        opt.zero_grad().map_err(err("zero_grad failed"))?;
        loss.f_backward().map_err(err("backward failed"))?;
        opt.step().map_err(err("optimiser step failed"))?;
        self.step_seconds.push(step_start.elapsed().as_secs_f64());
        Ok(())
    }

    /// Ends the loop: switches the trained `module` to eval mode and returns
    /// it as a model with the report of the run.
    pub(crate) fn finish(
        self,
        name: &str,
        mut module: TrainableCModule,
        vs: VarStore,
    ) -> Result<(TorchScriptModel, FineTuneReport)> {
        let seconds = self.start.elapsed().as_secs_f64();
        module
            .f_set_eval()
            .map_err(|e| model_err(name, "cannot switch to eval mode", e))?;
        Ok((
            TorchScriptModel::from_trainable(name, module, vs)?,
            FineTuneReport {
                losses: self.losses,
                step_seconds: self.step_seconds,
                seconds,
            },
        ))
    }
}

/// One image's random augmentation, drawn by [`Transform::draw`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Transform {
    flip_x: bool,
    flip_y: bool,
    /// Counter-clockwise quarter turns (0–3).
    k: u64,
    scale: f64,
    shift: f64,
}

impl Transform {
    /// Draws a flip / 90° rotation / intensity change for one `h x w` image
    /// from `rng`. Draws happen in a fixed order whatever is enabled (two
    /// uniforms for the flips, one `below(4)` for the rotation, two uniforms
    /// for scale and shift), so enabling one augmentation does not reshuffle
    /// the others or the batch order.
    pub(crate) fn draw(aug: &Augment, rng: &mut SeededRng, h: usize, w: usize) -> Transform {
        let flip_x = rng.uniform() < 0.5 && aug.flip_x;
        let flip_y = rng.uniform() < 0.5 && aug.flip_y;
        let k = rng.below(4);
        let k = if aug.rot90 && h == w { k } else { 0 };
        let scale = 1.0 + aug.scale * (2.0 * rng.uniform() - 1.0);
        let shift = aug.shift * (2.0 * rng.uniform() - 1.0);
        Transform {
            flip_x,
            flip_y,
            k,
            scale,
            shift,
        }
    }

    /// The source pixel `(row, column)` that output pixel `(r, q)` reads:
    /// undo the rotation (counter-clockwise by k·90°), then the flips.
    fn source(&self, r: usize, q: usize, h: usize, w: usize) -> (usize, usize) {
        let (mut sr, mut sq) = match self.k {
            0 => (r, q),
            1 => (q, w - 1 - r),
            2 => (h - 1 - r, w - 1 - q),
            _ => (h - 1 - q, r),
        };
        if self.flip_y {
            sr = h - 1 - sr;
        }
        if self.flip_x {
            sq = w - 1 - sq;
        }
        (sr, sq)
    }

    /// Writes image `src` (`C x H x W`) transformed into `x`: value
    /// `v · scale + shift` at the moved position.
    pub(crate) fn apply_image(&self, src: &[f32], [c, h, w]: [usize; 3], x: &mut [f32]) {
        for r in 0..h {
            for q in 0..w {
                let (sr, sq) = self.source(r, q, h, w);
                for ch in 0..c {
                    let v = src[ch * h * w + sr * w + sq];
                    x[ch * h * w + r * w + q] = (f64::from(v) * self.scale + self.shift) as f32;
                }
            }
        }
    }
}

/// Writes image `src` (`C x H x W`) and labels `lab` (`H x W`) into `x`/`y`
/// with the transform `t`: the labels move with the image.
fn augment_into(
    src: &[f32],
    lab: &[u8],
    shape: [usize; 3],
    t: &Transform,
    x: &mut [f32],
    y: &mut [i64],
) {
    let [_, h, w] = shape;
    t.apply_image(src, shape, x);
    for r in 0..h {
        for q in 0..w {
            let (sr, sq) = t.source(r, q, h, w);
            y[r * w + q] = i64::from(lab[sr * w + sq]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn augmentation_moves_labels_with_the_image() {
        // a 4x4 image whose values encode their position; labels equal to
        // the same code mod 256: after any flip/rotation both must agree
        let (h, w) = (4, 4);
        let src: Vec<f32> = (0..16).map(|v| v as f32).collect();
        let lab: Vec<u8> = (0..16).collect();
        let aug = Augment {
            flip_x: true,
            flip_y: true,
            rot90: true,
            scale: 0.0,
            shift: 0.0,
        };
        let mut rng = SeededRng::new(7);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..64 {
            let mut x = vec![0f32; 16];
            let mut y = vec![0i64; 16];
            let t = Transform::draw(&aug, &mut rng, h, w);
            augment_into(&src, &lab, [1, h, w], &t, &mut x, &mut y);
            for (a, b) in x.iter().zip(&y) {
                assert_eq!(*a as i64, *b);
            }
            let mut sorted = y.clone();
            sorted.sort();
            assert_eq!(sorted, (0..16).collect::<Vec<i64>>(), "a permutation");
            seen.insert(y);
        }
        // the dihedral group of the square has 8 elements: all reachable
        assert_eq!(seen.len(), 8);
    }

    #[test]
    fn rotation_by_90_is_counter_clockwise() {
        // 2x2: [[0,1],[2,3]] rotated 90° counter-clockwise is [[1,3],[0,2]]
        let src = [0f32, 1., 2., 3.];
        let lab = [0u8, 1, 2, 3];
        let aug = Augment {
            rot90: true,
            ..Augment::default()
        };
        // find a seed whose first draw gives k = 1 and check the layout
        for seed in 0..200 {
            let mut probe = SeededRng::new(seed);
            let (_, _, k) = (probe.uniform(), probe.uniform(), probe.below(4));
            if k == 1 {
                let mut rng = SeededRng::new(seed);
                let mut x = [0f32; 4];
                let mut y = [0i64; 4];
                let t = Transform::draw(&aug, &mut rng, 2, 2);
                augment_into(&src, &lab, [1, 2, 2], &t, &mut x, &mut y);
                assert_eq!(y, [1, 3, 0, 2]);
                return;
            }
        }
        panic!("no seed drew k = 1");
    }

    #[test]
    fn intensity_augmentation_stays_in_its_range() {
        let src = vec![1f32; 9];
        let lab = vec![0u8; 9];
        let aug = Augment {
            scale: 0.1,
            shift: 0.05,
            ..Augment::default()
        };
        let mut rng = SeededRng::new(1);
        let mut values = Vec::new();
        for _ in 0..200 {
            let mut x = vec![0f32; 9];
            let mut y = vec![0i64; 9];
            let t = Transform::draw(&aug, &mut rng, 3, 3);
            augment_into(&src, &lab, [1, 3, 3], &t, &mut x, &mut y);
            assert!(x.iter().all(|&v| v == x[0]), "one factor per image");
            values.push(x[0]);
        }
        let (lo, hi) = values
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        assert!(lo >= 0.85 - 1e-6 && hi <= 1.15 + 1e-6, "{lo} {hi}");
        assert!(lo < 0.9 && hi > 1.1, "the range is used: {lo} {hi}");
    }

    #[test]
    fn training_set_checks_shapes() {
        assert!(TrainingSet::new(vec![], vec![], [1, 2, 2]).is_err());
        let e = TrainingSet::new(vec![vec![0.0; 4]], vec![vec![0; 3]], [1, 2, 2])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("training image 0") && e.contains("3 labels"),
            "{e}"
        );
        assert_eq!(
            TrainingSet::new(vec![vec![0.0; 4]], vec![vec![0; 4]], [1, 2, 2])
                .map(|s| s.len())
                .ok(),
            Some(1)
        );
    }
}
