//! One-image-at-a-time labels and their consensus.
//!
//! **CSV format** ([`SINGLE_HEADER`]): a header `annotator,image,label`,
//! then one line per label:
//!
//! ```text
//! annotator,image,label
//! expert1,p01_s03,too_basal
//! expert1,p07_s01,1
//! ```
//!
//! `label` is a class index `0..k` or, when a class list is given, a class
//! name (an exact name match is tried first, then an index `< k`). Without a
//! class list only indices are accepted. The same CSV rules as the rankings
//! file apply (see [`parse_rankings`](crate::parse_rankings)); errors name
//! `path: line N`. An annotator may label an image more than once (each
//! label counts in the consensus).
//!
//! **Consensus** ([`consensus`]): per image, the class with the most votes;
//! when several classes tie for the most votes, the median of *all* the
//! image's votes: with the votes sorted `v_1 ≤ … ≤ v_m`, `v_{(m+1)/2}` for
//! odd `m` and `⌊(v_{m/2} + v_{m/2+1}) / 2⌋` for even `m` (so a 0-vs-2 tie
//! gives 1, a 0-vs-1 tie gives 0).

use std::collections::BTreeMap;
use std::path::Path;

use sensibench_core::{Error, Result};

use crate::csvio::{self, check_text, line_error};

/// The header line of a single-labels CSV.
pub const SINGLE_HEADER: &str = "annotator,image,label";

/// One label given to one image by one annotator.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SingleLabel {
    /// Who labelled.
    pub annotator: String,
    /// The image id.
    pub image: String,
    /// The class index (`0..k`, class 0 the most basal).
    pub label: u32,
}

/// Reads a single-labels CSV; `classes` (if given) are the class names in
/// class order (module documentation).
pub fn read_single_labels(
    path: impl AsRef<Path>,
    classes: Option<&[String]>,
) -> Result<Vec<SingleLabel>> {
    let path = path.as_ref();
    parse_single_labels(&csvio::read_file(path)?, path, classes)
}

/// Parses the text of a single-labels CSV; `path` only names the source in
/// errors. Errors (naming the line) on a wrong header, a line with other
/// than 3 fields, an empty field, or a label that is neither a class name
/// nor an index `< k` (any `u32` without a class list).
pub fn parse_single_labels(
    text: &str,
    path: &Path,
    classes: Option<&[String]>,
) -> Result<Vec<SingleLabel>> {
    let records = csvio::parse(text, path)?;
    let header: Vec<&str> = SINGLE_HEADER.split(',').collect();
    let body = csvio::split_header(&records, &header, path)?;
    let mut out = Vec::with_capacity(body.len());
    for rec in body {
        let err = |r: String| line_error(path, rec.line, r);
        if rec.fields.len() != 3 {
            return Err(err(format!(
                "{} field(s), expected 3 (`{SINGLE_HEADER}`)",
                rec.fields.len()
            )));
        }
        check_text("annotator", &rec.fields[0]).map_err(err)?;
        check_text("image id", &rec.fields[1]).map_err(err)?;
        let raw = &rec.fields[2];
        let label = match classes {
            Some(names) => match names.iter().position(|c| c == raw) {
                Some(i) => i as u32,
                None => match raw.parse::<u32>() {
                    Ok(i) if (i as usize) < names.len() => i,
                    _ => {
                        return Err(err(format!(
                            "label {raw:?} is neither a class name ({}) nor a class index in 0..{}",
                            names.join(", "),
                            names.len()
                        )));
                    }
                },
            },
            None => raw.parse::<u32>().map_err(|_| {
                err(format!(
                    "label {raw:?} is not a class index (a non-negative integer)"
                ))
            })?,
        };
        out.push(SingleLabel {
            annotator: rec.fields[0].clone(),
            image: rec.fields[1].clone(),
            label,
        });
    }
    Ok(out)
}

/// The CSV text of `labels`: class names if `classes` is given (every label
/// must be `< classes.len()`), else indices. Errors on an empty or
/// multi-line annotator / image id or a label without a name.
pub fn single_labels_to_csv(labels: &[SingleLabel], classes: Option<&[String]>) -> Result<String> {
    let mut text = format!("{SINGLE_HEADER}\n");
    for (i, l) in labels.iter().enumerate() {
        let bad = |e: String| Error::invalid("labels", format!("label {i}"), &e);
        check_text("annotator", &l.annotator).map_err(bad)?;
        check_text("image id", &l.image).map_err(bad)?;
        let label = match classes {
            Some(names) => names
                .get(l.label as usize)
                .cloned()
                .ok_or_else(|| bad(format!("a class index < {}, got {}", names.len(), l.label)))?,
            None => l.label.to_string(),
        };
        text.push_str(&format!(
            "{},{},{}\n",
            csvio::quote(&l.annotator),
            csvio::quote(&l.image),
            csvio::quote(&label)
        ));
    }
    Ok(text)
}

/// Writes `labels` as a single-labels CSV ([`single_labels_to_csv`]).
pub fn write_single_labels(
    path: impl AsRef<Path>,
    labels: &[SingleLabel],
    classes: Option<&[String]>,
) -> Result<()> {
    csvio::write_file(path.as_ref(), &single_labels_to_csv(labels, classes)?)
}

/// Consensus class per image (majority vote, ties → the median vote; module
/// documentation), keyed by image id. Errors if `k < 2` or a label is
/// `≥ k`.
pub fn consensus(labels: &[SingleLabel], k: usize) -> Result<BTreeMap<String, u32>> {
    if k < 2 {
        return Err(Error::invalid("k", k, "at least 2 classes"));
    }
    let mut votes: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for l in labels {
        if l.label as usize >= k {
            return Err(Error::invalid(
                "labels",
                format!("{} on `{}` by `{}`", l.label, l.image, l.annotator),
                &format!("class indices in 0..{k}"),
            ));
        }
        votes.entry(l.image.as_str()).or_default().push(l.label);
    }
    let mut out = BTreeMap::new();
    for (image, mut v) in votes {
        let mut counts = vec![0usize; k];
        for &x in &v {
            counts[x as usize] += 1;
        }
        let best = counts.iter().copied().max().unwrap_or(0);
        let tied: Vec<usize> = (0..k).filter(|&c| counts[c] == best).collect();
        let class = if tied.len() == 1 {
            tied[0] as u32
        } else {
            v.sort_unstable();
            let m = v.len();
            if m % 2 == 1 {
                v[m / 2]
            } else {
                (v[m / 2 - 1] + v[m / 2]) / 2
            }
        };
        out.insert(image.to_string(), class);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(a: &str, i: &str, c: u32) -> SingleLabel {
        SingleLabel {
            annotator: a.into(),
            image: i.into(),
            label: c,
        }
    }

    #[test]
    fn consensus_by_hand() {
        let labels = [
            l("A", "x", 1),
            l("B", "x", 1),
            l("C", "x", 2),
            l("A", "y", 0),
            l("B", "y", 2),
            l("A", "z", 0),
            l("B", "z", 1),
            l("A", "w", 0),
            l("B", "w", 0),
            l("C", "w", 2),
            l("D", "w", 2),
            l("E", "w", 1),
        ];
        let c = consensus(&labels, 3).unwrap();
        // x: majority 1; y: tie 0/2 → median ⌊(0+2)/2⌋ = 1; z: tie → 0;
        // w: tie 0,0 vs 2,2 (1 has one vote) → votes 0,0,1,2,2 → median 1.
        let want: BTreeMap<String, u32> = [("w", 1), ("x", 1), ("y", 1), ("z", 0)]
            .iter()
            .map(|&(a, b)| (a.to_string(), b))
            .collect();
        assert_eq!(c, want);
        assert!(consensus(&labels, 2).is_err());
        assert!(consensus(&labels, 1).is_err());
    }

    #[test]
    fn csv_names_and_indices() {
        let names: Vec<String> = ["too_basal", "LV", "too_apical"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let p = Path::new("s.csv");
        let text = "annotator,image,label\nA,x,LV\nA,y,2\n";
        let got = parse_single_labels(text, p, Some(&names)).unwrap();
        assert_eq!(got, [l("A", "x", 1), l("A", "y", 2)]);
        let e = parse_single_labels("annotator,image,label\nA,x,3\n", p, Some(&names))
            .unwrap_err()
            .to_string();
        assert!(e.contains("s.csv: line 2: label \"3\" is neither"), "{e}");
        let e = parse_single_labels(text, p, None).unwrap_err().to_string();
        assert!(
            e.contains("line 2: label \"LV\" is not a class index"),
            "{e}"
        );
        let e = parse_single_labels("annotator,image,label\n\nA,,1\n", p, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3: empty image id"), "{e}");
        let out = single_labels_to_csv(&got, Some(&names)).unwrap();
        assert_eq!(out, "annotator,image,label\nA,x,LV\nA,y,too_apical\n");
        assert!(single_labels_to_csv(&[l("A", "x", 3)], Some(&names)).is_err());
    }
}
