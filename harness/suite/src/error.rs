//! Errors of a suite file: one or more located diagnostics.

use std::fmt;
use std::path::PathBuf;

use crate::position::Pos;

/// One problem in a suite file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line; 0 when the problem has no position (e.g. the file cannot be read).
    pub line: usize,
    /// 1-based column, counted in characters; 0 when unknown.
    pub column: usize,
    /// What is wrong and, where possible, what was expected or meant.
    pub message: String,
    /// The text of line `line` (without its line break), shown under the message.
    pub source_line: Option<String>,
}

/// Everything wrong with a suite file, sorted by position.
///
/// `Display` prints each diagnostic like rustc does:
///
/// ```text
/// suites/cardiac.yaml:52:11: unknown perturbation `rotat` (did you mean `rotate`?)
///    |
/// 52 |   - name: rotat
///    |           ^
/// ```
#[derive(Clone, Debug)]
pub struct SuiteError {
    /// The suite file as given to [`crate::load_suite`].
    pub path: PathBuf,
    /// At least one diagnostic, sorted by (line, column).
    pub diagnostics: Vec<Diagnostic>,
}

impl SuiteError {
    /// An error without a position (e.g. the file cannot be read).
    pub(crate) fn whole_file(path: PathBuf, message: String) -> Self {
        SuiteError {
            path,
            diagnostics: vec![Diagnostic {
                line: 0,
                column: 0,
                message,
                source_line: None,
            }],
        }
    }

    /// The located problems `errors` of the suite file `path` whose text is
    /// `text`: sorted by position (keeping the order of problems at the same
    /// place), repeats dropped, the source lines attached.
    pub(crate) fn located(path: PathBuf, text: &str, mut errors: Vec<(Pos, String)>) -> Self {
        errors.sort_by_key(|(p, _)| *p);
        errors.dedup();
        let lines: Vec<&str> = text.lines().collect();
        let diagnostics = errors
            .into_iter()
            .map(|(p, message)| Diagnostic {
                line: p.line,
                column: p.column,
                source_line: p
                    .line
                    .checked_sub(1)
                    .and_then(|i| lines.get(i))
                    .map(|l| l.to_string()),
                message,
            })
            .collect();
        SuiteError { path, diagnostics }
    }

    /// The diagnostics as `(line, column, message)` triples (handy in tests).
    pub fn positions(&self) -> Vec<(usize, usize, &str)> {
        self.diagnostics
            .iter()
            .map(|d| (d.line, d.column, d.message.as_str()))
            .collect()
    }
}

impl fmt::Display for SuiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            if d.line == 0 {
                write!(f, "{path}: {}", d.message)?;
                continue;
            }
            write!(f, "{path}:{}:{}: {}", d.line, d.column, d.message)?;
            if let Some(src) = &d.source_line {
                let gutter = d.line.to_string().len();
                // Keep tabs so the caret lines up under the offending character.
                let pad: String = src
                    .chars()
                    .take(d.column.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                write!(
                    f,
                    "\n{:gutter$} |\n{} | {src}\n{:gutter$} | {pad}^",
                    "", d.line, ""
                )?;
            }
        }
        if self.diagnostics.len() > 1 {
            write!(
                f,
                "\n{path}: {} errors in this suite",
                self.diagnostics.len()
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for SuiteError {}
