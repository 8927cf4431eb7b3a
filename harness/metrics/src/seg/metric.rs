//! The registry of segmentation metrics: [`SegMetric`] and the table
//! `SEG_METRICS` holding every fact of each metric ([`MetricInfo`]: name,
//! unit, direction, natural range, summary, convention, compute).

use sensibench_core::{Error, Result, did_you_mean};

use super::overlap::OverlapCounts;
use super::surface::SurfaceDistances;
use crate::registry::metrics_in_table_order;

/// A segmentation metric computed per class by [`score_class`](super::score_class).
///
/// See the module documentation for the exact formulas and the rules for
/// empty masks. Every fact of a metric is in its [`MetricInfo`]
/// ([`SegMetric::info`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegMetric {
    /// Dice similarity coefficient `2|A∩B| / (|A| + |B|)`, in `[0, 1]`.
    Dice,
    /// Intersection over union (Jaccard) `|A∩B| / |A∪B|`, in `[0, 1]`.
    Iou,
    /// Symmetric Hausdorff distance between the surfaces (mm), MedPy `hd`.
    Hausdorff,
    /// 95th percentile of the pooled symmetric surface distances (mm), MedPy `hd95`.
    Hd95,
    /// Max of the two directed 95th-percentile surface distances (mm), MONAI convention.
    Hd95Monai,
    /// Average symmetric surface distance (mm): mean of the pooled distances of both directions, MedPy 0.5.2 `assd`.
    Assd,
    /// Root-mean-square symmetric surface distance (mm), pooled over both surfaces.
    Rmssd,
}

/// How a metric is computed from one (prediction, reference, class). The
/// empty-mask rules are applied by the caller, not by these functions.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Compute {
    /// From the voxel counts; called only when the masks are not both empty.
    Overlap(fn(OverlapCounts) -> f64),
    /// From the surface distances; called only when both masks are
    /// non-empty. The distances are computed once per call and shared by
    /// every metric of this kind.
    Surface(fn(&SurfaceDistances) -> f64),
}

/// Every fact of one segmentation metric, registered once in the table read
/// by [`SegMetric::info`], [`seg_metric_info`] and every method of
/// [`SegMetric`].
#[derive(Clone, Copy, Debug)]
pub struct MetricInfo {
    /// The metric.
    pub metric: SegMetric,
    /// Registry (and serde) name, e.g. `"hd95_monai"`.
    pub name: &'static str,
    /// Unit of the value: `""` for overlap ratios, `"mm"` for distances.
    pub unit: &'static str,
    /// True if a larger value is a better segmentation.
    pub higher_is_better: bool,
    /// Natural range `(min, max)` of the value; `None` for an open end
    /// (`0..1` for overlaps, `0..` for distances).
    pub range: (Option<f64>, Option<f64>),
    /// One line describing the metric (for `sensibench list`).
    pub summary: &'static str,
    /// The convention followed and the reference implementation its
    /// reference test compares against.
    pub convention: &'static str,
    /// The computation.
    pub(crate) compute: Compute,
}

impl MetricInfo {
    /// True for the surface-distance metrics.
    pub fn is_distance(&self) -> bool {
        matches!(self.compute, Compute::Surface(_))
    }
}

/// `[0, 1]`: the range of an overlap ratio.
const UNIT_INTERVAL: (Option<f64>, Option<f64>) = (Some(0.0), Some(1.0));
/// `[0, ∞)`: the range of a distance.
const NON_NEGATIVE: (Option<f64>, Option<f64>) = (Some(0.0), None);

/// The registry: one entry per [`SegMetric`], in the order of the enum's
/// variants (checked when the crate is built). This order is
/// [`SegMetric::ALL`].
const SEG_METRICS: &[MetricInfo] = &[
    MetricInfo {
        metric: SegMetric::Dice,
        name: "dice",
        unit: "",
        higher_is_better: true,
        range: UNIT_INTERVAL,
        summary: "Dice overlap 2|A∩B|/(|A|+|B|); both empty = 1",
        convention: "MedPy 0.5.2 `dc`; both masks empty = 1, one empty = 0 (MedPy raises)",
        compute: Compute::Overlap(OverlapCounts::dice),
    },
    MetricInfo {
        metric: SegMetric::Iou,
        name: "iou",
        unit: "",
        higher_is_better: true,
        range: UNIT_INTERVAL,
        summary: "intersection over union |A∩B|/|A∪B|; both empty = 1",
        convention: "MedPy 0.5.2 `jc` (Jaccard); both masks empty = 1, one empty = 0 (MedPy \
                     raises)",
        compute: Compute::Overlap(OverlapCounts::iou),
    },
    MetricInfo {
        metric: SegMetric::Hausdorff,
        name: "hausdorff",
        unit: "mm",
        higher_is_better: false,
        range: NON_NEGATIVE,
        summary: "symmetric Hausdorff distance between surfaces in mm (MedPy hd)",
        convention: "MedPy 0.5.2 `hd`: max of both directed maxima over MedPy's face-connected \
                     surfaces; both masks empty = 0, one empty = NaN (MedPy raises)",
        compute: Compute::Surface(SurfaceDistances::hausdorff),
    },
    MetricInfo {
        metric: SegMetric::Hd95,
        name: "hd95",
        unit: "mm",
        higher_is_better: false,
        range: NON_NEGATIVE,
        summary: "95th percentile of pooled surface distances of both directions in mm (MedPy hd95)",
        convention: "MedPy 0.5.2 `hd95`: 95th percentile (numpy linear interpolation) of the \
                     distances of both directions pooled; both masks empty = 0, one empty = NaN",
        compute: Compute::Surface(SurfaceDistances::hd95_pooled),
    },
    MetricInfo {
        metric: SegMetric::Hd95Monai,
        name: "hd95_monai",
        unit: "mm",
        higher_is_better: false,
        range: NON_NEGATIVE,
        summary: "max of the two directed 95th-percentile surface distances in mm (MONAI convention)",
        convention: "MONAI `compute_hausdorff_distance(percentile=95, directed=False)`: max of \
                     the two directed 95th percentiles (numpy linear), on MedPy's surfaces; \
                     reference: numpy on MedPy's surface distances; both empty = 0, one \
                     empty = NaN",
        compute: Compute::Surface(SurfaceDistances::hd95_directed_max),
    },
    MetricInfo {
        metric: SegMetric::Assd,
        name: "assd",
        unit: "mm",
        higher_is_better: false,
        range: NON_NEGATIVE,
        summary: "mean of pooled surface distances of both directions in mm (MedPy 0.5.2 assd)",
        convention: "MedPy 0.5.2 `assd`: mean of the distances of both directions pooled (older \
                     MedPy averaged the two directed means); both empty = 0, one empty = NaN",
        compute: Compute::Surface(SurfaceDistances::assd),
    },
    MetricInfo {
        metric: SegMetric::Rmssd,
        name: "rmssd",
        unit: "mm",
        higher_is_better: false,
        range: NON_NEGATIVE,
        summary: "root-mean-square of pooled surface distances of both directions in mm",
        convention: "root of the mean squared distance of both directions pooled, on MedPy's \
                     surfaces; reference: numpy on MedPy's surface distances; both empty = 0, \
                     one empty = NaN",
        compute: Compute::Surface(SurfaceDistances::rmssd),
    },
];

/// [`SegMetric::ALL`]; building it checks that entry `i` of `SEG_METRICS`
/// is variant `i`, as [`SegMetric::info`] assumes.
const SEG_TABLE_ORDER: [SegMetric; SEG_METRICS.len()] =
    metrics_in_table_order!(SEG_METRICS, SegMetric::Dice);

/// The registry entry of the metric called `name` (`"dice"`, `"hd95"`, ...);
/// `None` if no metric has that name.
pub fn seg_metric_info(name: &str) -> Option<&'static MetricInfo> {
    SEG_METRICS.iter().find(|info| info.name == name)
}

impl SegMetric {
    /// Every metric, in a stable order.
    pub const ALL: &'static [SegMetric] = &SEG_TABLE_ORDER;

    /// Every fact of the metric: name, unit, direction, natural range,
    /// summary, convention.
    pub fn info(self) -> &'static MetricInfo {
        &SEG_METRICS[self as usize]
    }

    /// The registry name (`"dice"`, `"iou"`, `"hausdorff"`, `"hd95"`,
    /// `"hd95_monai"`, `"assd"`, `"rmssd"`).
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The metric called `name`; an unknown name is an error suggesting the
    /// closest one.
    pub fn from_name(name: &str) -> Result<SegMetric> {
        seg_metric_info(name)
            .map(|info| info.metric)
            .ok_or_else(|| Error::UnknownName {
                kind: "metric",
                name: name.to_string(),
                suggestion: did_you_mean(name, SEG_METRICS.iter().map(|info| info.name)),
            })
    }

    /// Unit of the value: `""` for overlap ratios, `"mm"` for distances.
    pub fn unit(self) -> &'static str {
        self.info().unit
    }

    /// True for Dice and IoU, false for the distances.
    pub fn higher_is_better(self) -> bool {
        self.info().higher_is_better
    }

    /// True for the surface-distance metrics.
    pub fn is_distance(self) -> bool {
        self.info().is_distance()
    }

    /// One line describing the metric (for `sensibench list`).
    pub fn summary(self) -> &'static str {
        self.info().summary
    }
}

impl std::fmt::Display for SegMetric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for SegMetric {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        SegMetric::from_name(s)
    }
}
