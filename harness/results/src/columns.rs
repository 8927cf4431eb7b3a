//! Columns of polars frames: reading a column back as a vector, and building
//! a frame from row structs column by column, with the column groups the
//! long-format row kinds share (their provenance, their condition, their
//! outcome).

use polars::prelude::*;

/// The fields every long-format row kind carries ([`ResultRow`],
/// [`PredictionRow`], [`SaliencyRow`], [`EfficiencyRow`]): where the row
/// comes from and how it ended. Implemented with [`impl_long_row`].
///
/// [`ResultRow`]: crate::ResultRow
/// [`PredictionRow`]: crate::PredictionRow
/// [`SaliencyRow`]: crate::SaliencyRow
/// [`EfficiencyRow`]: crate::EfficiencyRow
pub(crate) trait LongRow {
    fn run_id(&self) -> &str;
    fn suite(&self) -> &str;
    fn suite_hash(&self) -> &str;
    fn harness_version(&self) -> &str;
    fn git_sha(&self) -> &str;
    fn seed(&self) -> u64;
    /// `ok` or `failed`.
    fn status_name(&self) -> &'static str;
    fn error_message(&self) -> Option<&str>;
}

/// The condition a robustness or prediction row was computed under: the
/// model, the dataset's sample and the perturbation's point. Implemented
/// with [`impl_condition_row`].
pub(crate) trait ConditionRow {
    fn model(&self) -> &str;
    fn model_hash(&self) -> &str;
    fn backend(&self) -> &str;
    fn dataset(&self) -> &str;
    fn sample(&self) -> &str;
    fn reference_mode(&self) -> &str;
    fn perturbation(&self) -> &str;
    fn kind(&self) -> &str;
    fn parameter(&self) -> &str;
    fn point(&self) -> f64;
    fn point_index(&self) -> u32;
}

/// Trait methods returning the row's field of the same name: `&str` of a
/// `String` field, or a copy of a `Copy` field of type `$t`.
macro_rules! field_getters {
    (str: $($name:ident),+) => {
        $(fn $name(&self) -> &str {
            &self.$name
        })+
    };
    ($t:ty: $($name:ident),+) => {
        $(fn $name(&self) -> $t {
            self.$name
        })+
    };
}
pub(crate) use field_getters;

/// Implements [`LongRow`] for row structs with the `String` fields `run_id`,
/// `suite`, `suite_hash`, `harness_version`, `git_sha`, `seed: u64`, `status:
/// Status` and `error: Option<String>`.
macro_rules! impl_long_row {
    ($($row:ty),+ $(,)?) => {$(
        impl $crate::columns::LongRow for $row {
            $crate::columns::field_getters!(str: run_id, suite, suite_hash, harness_version, git_sha);
            $crate::columns::field_getters!(u64: seed);
            fn status_name(&self) -> &'static str {
                self.status.as_str()
            }
            fn error_message(&self) -> Option<&str> {
                self.error.as_deref()
            }
        }
    )+};
}
pub(crate) use impl_long_row;

/// Implements [`ConditionRow`] for row structs with the `String` fields
/// `model` … `parameter`, `point: f64` and `point_index: u32`.
macro_rules! impl_condition_row {
    ($($row:ty),+ $(,)?) => {$(
        impl $crate::columns::ConditionRow for $row {
            $crate::columns::field_getters!(
                str: model, model_hash, backend, dataset, sample, reference_mode, perturbation,
                kind, parameter
            );
            $crate::columns::field_getters!(f64: point);
            $crate::columns::field_getters!(u32: point_index);
        }
    )+};
}
pub(crate) use impl_condition_row;

/// A frame being built from `rows`, one column at a time, in order.
pub(crate) struct FrameBuilder<'a, R> {
    rows: &'a [R],
    columns: Vec<Column>,
}

impl<'a, R> FrameBuilder<'a, R> {
    /// No columns yet.
    pub(crate) fn new(rows: &'a [R]) -> Self {
        FrameBuilder {
            rows,
            columns: Vec::new(),
        }
    }

    /// Appends the column `name` holding `value` of every row.
    pub(crate) fn column<T>(mut self, name: &str, value: impl Fn(&'a R) -> T) -> Self
    where
        Series: NamedFrom<Vec<T>, [T]>,
    {
        let values: Vec<T> = self.rows.iter().map(value).collect();
        self.columns.push(Column::new(name.into(), values));
        self
    }

    /// The frame of the columns appended.
    pub(crate) fn finish(self) -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(self.columns)
    }
}

/// Appends to `$builder` one column per listed trait method, named like the
/// method and holding its value for every row.
macro_rules! method_columns {
    ($builder:expr; $($method:ident),+ $(,)?) => {
        $builder$(.column(stringify!($method), |r| r.$method()))+
    };
}

impl<R: LongRow> FrameBuilder<'_, R> {
    /// `run_id, suite, suite_hash, harness_version, git_sha, seed`: the
    /// provenance columns every part opens with.
    pub(crate) fn provenance_columns(self) -> Self {
        method_columns!(self; run_id, suite, suite_hash, harness_version, git_sha, seed)
    }

    /// `status, error`: the outcome columns every part closes with.
    pub(crate) fn outcome_columns(self) -> Self {
        self.column("status", |r| r.status_name())
            .column("error", |r| r.error_message())
    }
}

impl<R: ConditionRow> FrameBuilder<'_, R> {
    /// `model, model_hash, backend, dataset, sample, reference_mode,
    /// perturbation, kind, parameter, point, point_index`.
    pub(crate) fn condition_columns(self) -> Self {
        method_columns!(
            self;
            model, model_hash, backend, dataset, sample, reference_mode, perturbation, kind,
            parameter, point, point_index
        )
    }
}

/// A string column (nulls as empty strings).
pub(crate) fn strings(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|s| s.unwrap_or_default().to_string())
        .collect())
}

/// An integer column as u32 (nulls as 0).
pub(crate) fn u32s(df: &DataFrame, name: &str) -> PolarsResult<Vec<u32>> {
    Ok(df
        .column(name)?
        .cast(&DataType::UInt32)?
        .u32()?
        .iter()
        .map(|v| v.unwrap_or_default())
        .collect())
}

/// An integer column as u32, nulls kept.
pub(crate) fn opt_u32s(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<u32>>> {
    Ok(df
        .column(name)?
        .cast(&DataType::UInt32)?
        .u32()?
        .iter()
        .collect())
}

/// A numeric column as f64, nulls kept.
pub(crate) fn f64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    Ok(df
        .column(name)?
        .cast(&DataType::Float64)?
        .f64()?
        .iter()
        .collect())
}

/// A boolean column (nulls as `false`).
pub(crate) fn bools(df: &DataFrame, name: &str) -> PolarsResult<Vec<bool>> {
    Ok(df
        .column(name)?
        .bool()?
        .iter()
        .map(|v| v.unwrap_or(false))
        .collect())
}
