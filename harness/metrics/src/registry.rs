//! What the metric registries ([`crate::seg`], [`crate::classification`])
//! share: the build-time check that a table lists one entry per variant of
//! its enum, in the enum's order.

/// The `metric` fields of the entries of `$table` (a `&[Info]` const), in
/// table order, as an array; `$first` is any variant (the array's initial
/// value). In a `const` item, fails the build if entry `i` is not the enum's
/// variant `i`, so that `$table[metric as usize]` is the metric's entry.
macro_rules! metrics_in_table_order {
    ($table:ident, $first:expr) => {{
        let mut out = [$first; $table.len()];
        let mut i = 0;
        while i < $table.len() {
            let metric = $table[i].metric;
            assert!(
                metric as usize == i,
                concat!(
                    stringify!($table),
                    " must list the metrics in the order of the enum's variants"
                )
            );
            out[i] = metric;
            i += 1;
        }
        out
    }};
}

pub(crate) use metrics_in_table_order;
