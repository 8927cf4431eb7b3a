//! One registry type for perturbations, metrics and backends: unique names,
//! "did you mean" for unknown ones.

use std::collections::BTreeMap;

use crate::{Error, Result};

/// Named entries of one kind (e.g. `"perturbation"`).
pub struct Registry<T> {
    kind: &'static str,
    entries: BTreeMap<String, T>,
}

impl<T> Registry<T> {
    pub fn new(kind: &'static str) -> Self {
        Registry {
            kind,
            entries: BTreeMap::new(),
        }
    }
    /// Adds `entry`; a name registered twice is an error.
    pub fn register(&mut self, name: &str, entry: T) -> Result<()> {
        if self.entries.contains_key(name) {
            return Err(Error::DuplicateName {
                kind: self.kind,
                name: name.to_string(),
            });
        }
        self.entries.insert(name.to_string(), entry);
        Ok(())
    }
    /// The entry called `name`, or an error suggesting the closest name.
    pub fn get(&self, name: &str) -> Result<&T> {
        self.entries.get(name).ok_or_else(|| Error::UnknownName {
            kind: self.kind,
            name: name.to_string(),
            suggestion: did_you_mean(name, self.names()),
        })
    }
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }
    /// Names in sorted order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }
    pub fn kind(&self) -> &'static str {
        self.kind
    }
}

/// Levenshtein edit distance between two strings (by chars).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `name` if it is close enough to be a typo
/// (edit distance ≤ max(2, len/3)), or one that contains it / is contained in it.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let limit = 2.max(name.chars().count() / 3);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(&name.to_lowercase(), &c.to_lowercase());
        let d = if d > limit && (c.contains(name) || name.contains(c)) && name.len() >= 3 {
            limit
        } else {
            d
        };
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("rotate", "rotate"), 0);
    }

    #[test]
    fn registry_rejects_duplicates_and_suggests() {
        let mut r = Registry::new("perturbation");
        r.register("rotate", 1).unwrap();
        r.register("gamma", 2).unwrap();
        assert!(r.register("rotate", 3).is_err());
        let e = r.get("rotaet").unwrap_err().to_string();
        assert!(e.contains("did you mean `rotate`"), "{e}");
        let e = r.get("zzzzzz").unwrap_err().to_string();
        assert!(!e.contains("did you mean"), "{e}");
        assert_eq!(*r.get("gamma").unwrap(), 2);
    }
}
