//! Domain types and traits shared by every stage of sensibench.
//!
//! The flow is one-directional (see `docs/architecture.md` of the project):
//! a dataset yields [`Sample`]s, a [`Perturbation`] changes them, a [`Model`]
//! predicts, and metrics score the prediction against a reference.
//!
//! Images of any dimension are stored on a 3D [`Grid`] in `(z, y, x)` order; a
//! 2D image is a grid of depth 1 with `ndim() == 2`. Algorithms written for the
//! 3D case therefore serve 2D data without a second code path.

pub mod error;
pub mod grid;
pub mod model;
pub mod perturbation;
pub mod registry;
pub mod seed;
pub mod tensor;

pub use error::{Error, Result};
pub use grid::{Grid, Image, LabelMap, Sample};
pub use model::{Batch, Model};
pub use perturbation::{
    ParamValue, ParameterInfo, Params, Perturbation, PerturbationEntry, SEVERITY_LEVELS,
    SeverityScale, severity_level,
};
pub use registry::{Registry, did_you_mean};
pub use seed::{SeededRng, derive_seed};
pub use tensor::{Tensor, TensorView};

/// The harness version written into every result row.
pub const HARNESS_VERSION: &str = env!("CARGO_PKG_VERSION");
