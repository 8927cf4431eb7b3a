//! The collector of located problems ([`Checker`]), what validation reads
//! from outside the suite ([`Context`]), and the small checks every section
//! shares.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_saphyr::Spanned;

use crate::catalog::Catalog;
use crate::position::{Pos, pos};

/// Where the suite file is and what names exist.
pub(crate) struct Context<'c, 'a> {
    pub suite_path: PathBuf,
    pub suite_dir: PathBuf,
    pub suite_hash: String,
    pub data_root: PathBuf,
    pub catalog: &'c Catalog<'a>,
}

/// Collects located problems.
pub(super) struct Checker<'c, 'a> {
    pub(super) ctx: &'c Context<'c, 'a>,
    pub(super) errors: Vec<(Pos, String)>,
}

impl<'c, 'a> Checker<'c, 'a> {
    /// A checker that has found nothing yet.
    pub(super) fn new(ctx: &'c Context<'c, 'a>) -> Self {
        Checker {
            ctx,
            errors: Vec::new(),
        }
    }
}

impl Checker<'_, '_> {
    pub(super) fn error(&mut self, at: Pos, message: impl Into<String>) {
        self.errors.push((at, message.into()));
    }

    /// Checks a name used in file names and result rows.
    pub(super) fn check_name(&mut self, what: &str, name: &Spanned<String>) {
        let n = &name.value;
        if n.is_empty() {
            self.error(pos(name), format!("{what} name is empty"));
        } else if let Some(c) = n
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        {
            self.error(
                pos(name),
                format!("{what} name `{n}` contains {c:?}; use letters, digits, `_`, `-` and `.`"),
            );
        }
    }

    /// Reports an empty `list` (with the message `empty`) and the second and
    /// later uses of an item's `name` (a `what`, e.g. "model name").
    pub(super) fn check_named_list<T>(
        &mut self,
        list: &Spanned<Vec<Spanned<T>>>,
        empty: &str,
        what: &str,
        name: impl Fn(&T) -> &Spanned<String>,
    ) {
        if list.value.is_empty() {
            self.error(pos(list), empty);
        }
        self.check_unique(
            what,
            list.value.iter().map(|item| {
                let n = name(&item.value);
                (n.value.as_str(), pos(n))
            }),
            "",
        );
    }

    /// Reports the second and later uses of a name.
    pub(super) fn check_unique<'n>(
        &mut self,
        what: &str,
        names: impl IntoIterator<Item = (&'n str, Pos)>,
        hint: &str,
    ) {
        let mut seen: HashMap<&str, Pos> = HashMap::new();
        for (name, at) in names {
            if let Some(first) = seen.get(name) {
                self.error(
                    at,
                    format!(
                        "duplicate {what} `{name}` (first at line {}){hint}",
                        first.line
                    ),
                );
            } else {
                seen.insert(name, at);
            }
        }
    }
}

/// An optional count: at least `min` (an error at its position otherwise),
/// `default` when absent.
pub(super) fn at_least(
    ck: &mut Checker,
    key: &str,
    v: Option<&Spanned<usize>>,
    min: usize,
    default: usize,
) -> usize {
    match v {
        Some(v) if v.value < min => {
            ck.error(
                pos(v),
                format!("`{key}` must be at least {min}, got {}", v.value),
            );
            default
        }
        Some(v) => v.value,
        None => default,
    }
}

/// Checks that `v` is a finite number; false (after reporting it) when not.
pub(super) fn finite(ck: &mut Checker, key: &str, v: &Spanned<f64>) -> bool {
    let ok = v.value.is_finite();
    if !ok {
        ck.error(pos(v), format!("`{key}` must be a finite number"));
    }
    ok
}

/// Checks that `v` is a finite number > 0 (>= 0 when `zero_ok`); false
/// (after reporting it) when not.
pub(super) fn finite_positive(
    ck: &mut Checker,
    key: &str,
    v: &Spanned<f64>,
    zero_ok: bool,
) -> bool {
    let ok = v.value.is_finite() && (v.value > 0.0 || (zero_ok && v.value == 0.0));
    if !ok {
        let rule = if zero_ok { ">= 0" } else { "> 0" };
        ck.error(
            pos(v),
            format!("`{key}` must be a finite number {rule}, got {}", v.value),
        );
    }
    ok
}

/// `a`, `b`, `c` (for messages).
pub(super) fn backticked<'n>(names: impl IntoIterator<Item = &'n str>) -> String {
    names
        .into_iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
