//! Constructors of the store's errors: an I/O error or a polars (or format)
//! error, each naming the file or folder it happened on.

use std::path::Path;

use polars::prelude::PolarsError;

use crate::ResultsError;

/// Maps an I/O error on `path` to [`ResultsError::Io`].
pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ResultsError + '_ {
    move |source| ResultsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Maps a polars error on `path` to [`ResultsError::Polars`].
pub(crate) fn perr(path: &Path) -> impl Fn(PolarsError) -> ResultsError + '_ {
    move |e| ResultsError::Polars {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// A [`ResultsError::Polars`] on `path` with `message` (a file that is not
/// what it should be).
pub(crate) fn invalid(path: &Path, message: impl Into<String>) -> ResultsError {
    ResultsError::Polars {
        path: path.to_path_buf(),
        message: message.into(),
    }
}
