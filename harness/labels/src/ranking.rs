//! Ranking sessions and their CSV format.
//!
//! A [`RankingSession`] is one batch of images ordered by one annotator from
//! the most basal (first) to the most apical (last).
//!
//! **CSV format** ([`RANKINGS_HEADER`]): a header line
//! `annotator,batch,order`, then one line per batch:
//!
//! ```text
//! annotator,batch,order
//! expert1,r1-b001,p01_s03;p07_s01;p02_s05;p03_s02
//! expert1,r1-b002,p04_s06;p05_s04;p06_s07;p01_s01
//! ```
//!
//! `order` lists the image ids from the most basal to the most apical,
//! separated by `;` (spaces around ids are ignored). Fields follow the CSV
//! rules of the reader (quoting with `"`; see the crate's CSV notes in
//! [`parse_rankings`]). A file is refused, with `path: line N: …`, when a
//! line has other than 3 fields, a field or an id is empty, a batch repeats
//! an id, a batch has fewer than 2 images, or the same `(annotator, batch)`
//! appears twice (a repeated ranking for an intra-observer study needs its
//! own batch name, e.g. `r2-b001`). Blank lines are skipped.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use sensibench_core::{Error, Result};

use crate::csvio::{self, check_text, line_error};

/// The header line of a rankings CSV.
pub const RANKINGS_HEADER: &str = "annotator,batch,order";

/// One batch ranked by one annotator.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RankingSession {
    /// Who ranked the batch.
    pub annotator: String,
    /// The batch name, unique per annotator.
    pub batch: String,
    /// Image ids ordered from the most basal to the most apical.
    pub items: Vec<String>,
}

impl RankingSession {
    /// Checks the session: non-empty annotator and batch names and ids
    /// without control characters or surrounding whitespace, ids without
    /// `;`, at least 2 items, no repeated id. The error says what is wrong.
    pub fn validate(&self) -> std::result::Result<(), String> {
        check_text("annotator", &self.annotator)?;
        check_text("batch", &self.batch)?;
        if self.items.len() < 2 {
            return Err(format!(
                "batch `{}` has {} image(s), expected at least 2",
                self.batch,
                self.items.len()
            ));
        }
        let mut seen = HashSet::new();
        for (pos, id) in self.items.iter().enumerate() {
            check_text("image id", id)
                .map_err(|e| format!("batch `{}`, position {}: {e}", self.batch, pos + 1))?;
            if id.contains(';') {
                return Err(format!(
                    "batch `{}`: image id {id:?} contains `;`, the separator of `order`",
                    self.batch
                ));
            }
            if !seen.insert(id.as_str()) {
                return Err(format!(
                    "batch `{}` repeats image `{id}` (position {})",
                    self.batch,
                    pos + 1
                ));
            }
        }
        Ok(())
    }
}

/// Reads a rankings CSV (module documentation for the format and the
/// errors).
pub fn read_rankings(path: impl AsRef<Path>) -> Result<Vec<RankingSession>> {
    let path = path.as_ref();
    parse_rankings(&csvio::read_file(path)?, path)
}

/// Parses the text of a rankings CSV; `path` only names the source in
/// errors.
///
/// CSV notes: an optional UTF-8 BOM is skipped, `\r\n` and `\n` both end a
/// line, blank lines are skipped, unquoted fields are trimmed, a field may be
/// quoted with `"` (`""` for a quote) but may not span lines; the header is
/// compared case-insensitively.
pub fn parse_rankings(text: &str, path: &Path) -> Result<Vec<RankingSession>> {
    let records = csvio::parse(text, path)?;
    let header: Vec<&str> = RANKINGS_HEADER.split(',').collect();
    let body = csvio::split_header(&records, &header, path)?;
    let mut out = Vec::with_capacity(body.len());
    let mut first_line: BTreeMap<(String, String), usize> = BTreeMap::new();
    for rec in body {
        let err = |r: String| line_error(path, rec.line, r);
        if rec.fields.len() != 3 {
            return Err(err(format!(
                "{} field(s), expected 3 (`{RANKINGS_HEADER}`)",
                rec.fields.len()
            )));
        }
        let items: Vec<String> = rec.fields[2]
            .split(';')
            .map(|s| s.trim().to_string())
            .collect();
        let s = RankingSession {
            annotator: rec.fields[0].clone(),
            batch: rec.fields[1].clone(),
            items,
        };
        s.validate().map_err(err)?;
        let key = (s.annotator.clone(), s.batch.clone());
        if let Some(prev) = first_line.insert(key, rec.line) {
            return Err(err(format!(
                "annotator `{}` batch `{}` already appears on line {prev}",
                s.annotator, s.batch
            )));
        }
        out.push(s);
    }
    Ok(out)
}

/// The CSV text of `sessions` (header and one line per session), after
/// validating each session and refusing a repeated `(annotator, batch)`.
pub fn rankings_to_csv(sessions: &[RankingSession]) -> Result<String> {
    let mut seen = HashSet::new();
    let mut text = format!("{RANKINGS_HEADER}\n");
    for (i, s) in sessions.iter().enumerate() {
        s.validate()
            .map_err(|e| Error::invalid("sessions", format!("session {i}"), &e))?;
        if !seen.insert((s.annotator.as_str(), s.batch.as_str())) {
            return Err(Error::invalid(
                "sessions",
                format!("session {i}"),
                &format!(
                    "a unique (annotator, batch); `{}` `{}` repeats",
                    s.annotator, s.batch
                ),
            ));
        }
        text.push_str(&format!(
            "{},{},{}\n",
            csvio::quote(&s.annotator),
            csvio::quote(&s.batch),
            csvio::quote(&s.items.join(";"))
        ));
    }
    Ok(text)
}

/// Writes `sessions` as a rankings CSV ([`rankings_to_csv`]).
pub fn write_rankings(path: impl AsRef<Path>, sessions: &[RankingSession]) -> Result<()> {
    csvio::write_file(path.as_ref(), &rankings_to_csv(sessions)?)
}

/// The pairwise comparisons implied by the sessions: for a batch ranked
/// `a1, a2, …, am` (basal to apical), every pair `(ai, aj)` with `i < j`, as
/// `(more basal, more apical)`; `m(m − 1)/2` pairs per batch, in session
/// order, then `i`, then `j`.
pub fn pairwise(sessions: &[RankingSession]) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    for s in sessions {
        for (i, a) in s.items.iter().enumerate() {
            for b in &s.items[i + 1..] {
                out.push((a.as_str(), b.as_str()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse_rankings(text, Path::new("r.csv"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn parse_and_errors_name_lines() {
        let ok = parse_rankings(
            "Annotator, Batch ,ORDER\n\nA,b1, x ; y;z\r\n\"B, the second\",b1,\"y;x\"\n",
            Path::new("r.csv"),
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].items, ["x", "y", "z"]);
        assert_eq!(ok[1].annotator, "B, the second");
        assert_eq!(pairwise(&ok[..1]), [("x", "y"), ("x", "z"), ("y", "z")]);

        let e = err("annotator,batch,order\nA,b1,x;y\nA,b2,x;y;x\n");
        assert!(
            e.starts_with("r.csv: line 3: batch `b2` repeats image `x`"),
            "{e}"
        );
        let e = err("annotator,batch,order\nA,b1,x\n");
        assert!(e.contains("line 2: batch `b1` has 1 image(s)"), "{e}");
        let e = err("annotator,batch,order\nA,b1,x;;y\n");
        assert!(
            e.contains("line 2: batch `b1`, position 2: empty image id"),
            "{e}"
        );
        let e = err("annotator,batch,order\n,b1,x;y\n");
        assert!(e.contains("line 2: empty annotator"), "{e}");
        let e = err("annotator,batch,order\nA,b1,x;y\n\nA,b1,y;x\n");
        assert!(
            e.contains("line 4: annotator `A` batch `b1` already appears on line 2"),
            "{e}"
        );
        let e = err("annotator,batch,order\nA,b1,x;y,extra\n");
        assert!(e.contains("line 2: 4 field(s), expected 3"), "{e}");
        let e = err("annotator,image,label\n");
        assert!(e.contains("line 1: header is"), "{e}");
        assert!(err("").contains("empty file"));
        assert!(
            parse_rankings("annotator,batch,order\n", Path::new("r"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn writer_refuses_bad_sessions() {
        let s = |items: &[&str]| RankingSession {
            annotator: "A".into(),
            batch: "b".into(),
            items: items.iter().map(|s| s.to_string()).collect(),
        };
        assert!(rankings_to_csv(&[s(&["x", "y;z"])]).is_err());
        assert!(rankings_to_csv(&[s(&["x", "x"])]).is_err());
        assert!(rankings_to_csv(&[s(&["x", "y"]), s(&["y", "x"])]).is_err());
        assert!(rankings_to_csv(&[s(&["x", "y\n"])]).is_err());
        assert_eq!(
            rankings_to_csv(&[s(&["x", "y,1"])]).unwrap(),
            "annotator,batch,order\nA,b,\"x;y,1\"\n"
        );
    }
}
