//! Step 2, validate: raw spec -> [`Plan`](crate::Plan): every name resolved,
//! every path checked, every problem collected with its position.
//!
//! `suite` holds the entry point and the suite-wide sections and calls down
//! into one module per section; all of them report through `checker`.

mod checker;
mod classification;
mod dataset;
mod efficiency;
mod labels;
mod model;
mod perturbation;
mod preprocess;
mod regression;
mod suite;

pub(crate) use checker::Context;
pub use dataset::DEFAULT_OBTAIN;
pub use efficiency::MEASURES;
pub use regression::CLASSIFICATION_REGRESSION_METRICS;
pub(crate) use suite::validate;
