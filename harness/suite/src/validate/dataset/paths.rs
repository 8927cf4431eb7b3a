//! The data paths of one dataset: collected while its source is checked,
//! then looked up under the data root (missing ones skip an optional dataset).

use std::path::{Path, PathBuf};

use serde_saphyr::Spanned;

use crate::position::{Pos, pos};
use crate::raw::PathList;
use crate::validate::checker::Checker;

/// A path of a dataset, to be checked under the data root.
pub(super) struct DataPath {
    at: Pos,
    written: String,
    pub(super) full: PathBuf,
    folder: bool,
}

/// The paths of one dataset, in the order they are written.
pub(super) struct DataPaths<'r> {
    root: &'r Path,
    list: Vec<DataPath>,
}

impl<'r> DataPaths<'r> {
    /// No paths yet; they are resolved under `root`.
    pub(super) fn new(root: &'r Path) -> Self {
        DataPaths {
            root,
            list: Vec::new(),
        }
    }
}

impl DataPaths<'_> {
    /// The data root.
    pub(super) fn root(&self) -> &Path {
        self.root
    }

    /// Adds a path written as `written` at `at`, found at `full`.
    pub(super) fn add(&mut self, at: Pos, written: String, full: PathBuf, folder: bool) {
        self.list.push(DataPath {
            at,
            written,
            full,
            folder,
        });
    }

    /// Adds the folder `written` (under the data root); returns its full path.
    pub(super) fn folder(&mut self, at: Pos, written: &str) -> PathBuf {
        let full = self.root.join(written);
        self.add(at, written.to_string(), full.clone(), true);
        full
    }

    /// Adds the file `written` (under the data root); returns its full path.
    fn file(&mut self, at: Pos, written: &str) -> PathBuf {
        let full = self.root.join(written);
        self.add(at, written.to_string(), full.clone(), false);
        full
    }

    /// `images: folder` of an image folder.
    pub(super) fn single_folder(
        &mut self,
        ck: &mut Checker,
        key: &str,
        p: &Spanned<PathList>,
    ) -> Option<PathBuf> {
        match &p.value {
            PathList::One(s) => Some(self.folder(pos(p), s)),
            PathList::Many(_) => {
                ck.error(
                    pos(p),
                    format!("`{key}` of an `image_folder` is one folder, not a list"),
                );
                None
            }
        }
    }

    /// `images: [a.nii.gz, ...]` (or one file) of NIfTI slices; `~` entries
    /// only where `allow_null`.
    pub(super) fn file_list(
        &mut self,
        ck: &mut Checker,
        key: &str,
        list: &Spanned<PathList>,
        allow_null: bool,
    ) -> Vec<Option<PathBuf>> {
        match &list.value {
            PathList::One(s) => vec![Some(self.file(pos(list), s))],
            PathList::Many(items) => {
                if items.is_empty() {
                    ck.error(pos(list), format!("`{key}` is an empty list"));
                }
                items
                    .iter()
                    .map(|item| match &item.value {
                        Some(s) => Some(self.file(pos(item), s)),
                        None => {
                            if !allow_null {
                                ck.error(pos(item), format!("an entry of `{key}` is empty"));
                            }
                            None
                        }
                    })
                    .collect()
            }
        }
    }

    /// Looks every path up: present ones of the wrong kind always fail,
    /// missing ones fail dataset `name` unless it is `optional`. Returns the
    /// missing ones.
    pub(super) fn check(
        &self,
        ck: &mut Checker,
        name: &str,
        optional: bool,
        obtain: &str,
    ) -> Vec<&DataPath> {
        let mut missing = Vec::new();
        for p in &self.list {
            match std::fs::metadata(&p.full) {
                Err(_) => missing.push(p),
                Ok(meta) => {
                    if p.folder && !meta.is_dir() {
                        ck.error(
                            p.at,
                            format!("`{}` is not a folder ({})", p.written, p.full.display()),
                        );
                    } else if !p.folder && !meta.is_file() {
                        ck.error(
                            p.at,
                            format!("`{}` is not a file ({})", p.written, p.full.display()),
                        );
                    }
                }
            }
        }
        if !optional {
            for p in &missing {
                ck.error(
                    p.at,
                    format!(
                        "dataset `{name}`: `{}` not found under the data root ({}); {obtain} \
                         (or mark the dataset `optional: true`)",
                        p.written,
                        p.full.display()
                    ),
                );
            }
        }
        missing
    }
}
