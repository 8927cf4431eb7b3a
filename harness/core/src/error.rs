//! The error type of the core crate.

use std::path::PathBuf;

/// Errors raised by core types and by implementations of the core traits.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Two arrays that must share a shape do not.
    #[error("shape mismatch: {what}: expected {expected}, found {found}")]
    Shape {
        what: String,
        expected: String,
        found: String,
    },
    /// A parameter is outside its domain (e.g. a negative sigma).
    #[error("invalid parameter `{name}` = {value}: {expected}")]
    InvalidParameter {
        name: String,
        value: String,
        expected: String,
    },
    /// A name that is not registered.
    #[error("unknown {kind} `{name}`{}", suggestion_text(.suggestion))]
    UnknownName {
        kind: &'static str,
        name: String,
        suggestion: Option<String>,
    },
    /// A name registered twice.
    #[error("duplicate {kind} `{name}` in the registry")]
    DuplicateName { kind: &'static str, name: String },
    /// A file could not be read or written.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file was read but its content is not what was expected.
    #[error("{}: {reason}", .path.display())]
    Decode { path: PathBuf, reason: String },
    /// A model failed or returned something unusable.
    #[error("model `{model}`: {reason}")]
    Model { model: String, reason: String },
    /// Anything else, with a message that says what and why.
    #[error("{0}")]
    Other(String),
}

fn suggestion_text(s: &Option<String>) -> String {
    match s {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => String::new(),
    }
}

/// Result alias of the core crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn invalid(name: &str, value: impl ToString, expected: &str) -> Self {
        Error::InvalidParameter {
            name: name.to_string(),
            value: value.to_string(),
            expected: expected.to_string(),
        }
    }
}
