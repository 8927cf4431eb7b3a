//! The loaders' errors: a file that cannot be read ([`Error::Io`]) or whose
//! content cannot be decoded ([`Error::Decode`]), both naming the file.

use std::path::Path;

use sensibench_core::Error;

pub(crate) fn decode_err(path: &Path, reason: impl Into<String>) -> Error {
    Error::Decode {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

pub(crate) fn io_err(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}
