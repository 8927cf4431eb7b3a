//! Positions in the suite file: a 1-based line:column and the position of a
//! parsed (`Spanned`) value.

use serde_saphyr::Spanned;

/// A 1-based (line, column) position in the suite file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    pub(crate) fn of_location(l: serde_saphyr::Location) -> Pos {
        Pos {
            line: usize::try_from(l.line()).unwrap_or(usize::MAX),
            column: usize::try_from(l.column()).unwrap_or(usize::MAX),
        }
    }
}

/// Where the value `s` was written.
pub(crate) fn pos<T>(s: &Spanned<T>) -> Pos {
    Pos::of_location(s.referenced)
}
