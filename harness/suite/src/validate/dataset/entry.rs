//! One `datasets:` entry under check: its raw keys, its name and kind, and
//! where its `source:` is written (where missing keys are reported).

use crate::plan::Split;
use crate::position::{Pos, pos};
use crate::raw::{RawDataset, RawSplit, SourceKind};
use crate::validate::checker::Checker;

/// A dataset entry and the facts its checks report against.
pub(super) struct Entry<'d> {
    /// The keys as written.
    pub d: &'d RawDataset,
    /// `name:`.
    pub name: &'d str,
    /// `source:`.
    pub kind: SourceKind,
    /// Where `source:` is written.
    pub source_at: Pos,
}

impl<'d> Entry<'d> {
    pub(super) fn new(d: &'d RawDataset) -> Self {
        Entry {
            d,
            name: &d.name.value,
            kind: d.source.value,
            source_at: pos(&d.source),
        }
    }
}

impl Entry<'_> {
    /// Reports `key` at `source:` when the source needs it and it is absent.
    pub(super) fn require(&self, ck: &mut Checker, key: &str, present: bool) {
        if !present {
            ck.error(
                self.source_at,
                format!(
                    "dataset `{}`: `source: {}` needs `{key}`",
                    self.name,
                    self.kind.as_str()
                ),
            );
        }
    }

    /// The dataset's `split:` (all when absent).
    pub(super) fn split(&self) -> Split {
        match self.d.split.as_ref().map(|s| s.value) {
            None | Some(RawSplit::All) => Split::All,
            Some(RawSplit::Train) => Split::Train,
            Some(RawSplit::Test) => Split::Test,
        }
    }
}
