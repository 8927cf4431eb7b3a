//! What a report needs to know of a metric, read from the metric's one
//! registration (`sensibench_metrics::seg_metric_info`).

/// (unit, higher is better, natural range) of a segmentation metric; an
/// unknown name has no unit, "higher is better" and no range.
pub(crate) fn metric_info(name: &str) -> (String, bool, (Option<f64>, Option<f64>)) {
    sensibench_metrics::seg_metric_info(name).map_or((String::new(), true, (None, None)), |i| {
        (i.unit.to_string(), i.higher_is_better, i.range)
    })
}
