//! A small CSV reader and writer (the RFC 4180 subset the label files need).
//!
//! Reading: an optional UTF-8 byte-order mark is skipped; records end at
//! `\n` (a trailing `\r` is dropped); blank lines are skipped; fields are
//! separated by `,`. A field that starts with `"` is quoted: it ends at the
//! next lone `"`, `""` inside stands for one `"`, and only `,` or the end of
//! the line may follow the closing quote. A quoted field cannot span lines.
//! Unquoted fields are trimmed of spaces and tabs and may not contain `"`.
//! Line numbers are 1-based physical lines.
//!
//! Writing: a field is quoted when it contains `,` or `"` or starts or ends
//! with whitespace; line breaks are refused by the callers' validation.

use std::path::Path;

use sensibench_core::{Error, Result};

/// One CSV record and the line it came from.
#[derive(Debug)]
pub(crate) struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// A decode error `path: line N: reason`.
pub(crate) fn line_error(path: &Path, line: usize, reason: impl std::fmt::Display) -> Error {
    Error::Decode {
        path: path.to_path_buf(),
        reason: format!("line {line}: {reason}"),
    }
}

/// Parses `text` into records (see the module documentation).
pub(crate) fn parse(text: &str, path: &Path) -> Result<Vec<Record>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for (idx, raw) in text.split('\n').enumerate() {
        let line = idx + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.trim().is_empty() {
            continue;
        }
        let fields = parse_line(raw).map_err(|e| line_error(path, line, e))?;
        out.push(Record { line, fields });
    }
    Ok(out)
}

fn parse_line(s: &str) -> std::result::Result<Vec<String>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut fields = Vec::new();
    let mut i = 0;
    loop {
        // Skip leading blanks of the field.
        while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
            i += 1;
        }
        if i < chars.len() && chars[i] == '"' {
            let col = i + 1;
            i += 1;
            let mut f = String::new();
            loop {
                match chars.get(i) {
                    None => {
                        return Err(format!(
                            "unterminated quoted field starting at column {col} (a quoted field cannot span lines)"
                        ));
                    }
                    Some('"') if chars.get(i + 1) == Some(&'"') => {
                        f.push('"');
                        i += 2;
                    }
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        f.push(c);
                        i += 1;
                    }
                }
            }
            while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
                i += 1;
            }
            fields.push(f);
            match chars.get(i) {
                None => return Ok(fields),
                Some(',') => i += 1,
                Some(c) => {
                    return Err(format!(
                        "unexpected {c:?} after the closing quote of field {} (expected `,` or the end of the line)",
                        fields.len()
                    ));
                }
            }
        } else {
            let start = i;
            while i < chars.len() && chars[i] != ',' {
                if chars[i] == '"' {
                    return Err(format!(
                        "stray `\"` in unquoted field {} (quote the whole field and double inner quotes)",
                        fields.len() + 1
                    ));
                }
                i += 1;
            }
            let f: String = chars[start..i].iter().collect();
            fields.push(f.trim_matches([' ', '\t']).to_string());
            if i >= chars.len() {
                return Ok(fields);
            }
            i += 1; // the comma
        }
    }
}

/// One field, quoted if needed.
pub(crate) fn quote(field: &str) -> String {
    let needs = field.contains([',', '"'])
        || field.starts_with(char::is_whitespace)
        || field.ends_with(char::is_whitespace);
    if needs {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// Checks that the first record is `expected` (fields compared after
/// trimming, ASCII case-insensitively) and returns the remaining records.
pub(crate) fn split_header<'a>(
    records: &'a [Record],
    expected: &[&str],
    path: &Path,
) -> Result<&'a [Record]> {
    let Some(first) = records.first() else {
        return Err(Error::Decode {
            path: path.to_path_buf(),
            reason: format!("empty file, expected the header `{}`", expected.join(",")),
        });
    };
    let ok = first.fields.len() == expected.len()
        && first
            .fields
            .iter()
            .zip(expected)
            .all(|(a, b)| a.eq_ignore_ascii_case(b));
    if !ok {
        return Err(line_error(
            path,
            first.line,
            format!(
                "header is `{}`, expected `{}`",
                first.fields.join(","),
                expected.join(",")
            ),
        ));
    }
    Ok(&records[1..])
}

/// Checks a free-text field (annotator, batch, image id): non-empty, no
/// line break or control character, no surrounding whitespace.
pub(crate) fn check_text(what: &str, s: &str) -> std::result::Result<(), String> {
    if s.is_empty() {
        return Err(format!("empty {what}"));
    }
    if s.chars().any(char::is_control) {
        return Err(format!("{what} {s:?} contains a control character"));
    }
    if s.trim() != s {
        return Err(format!("{what} {s:?} has surrounding whitespace"));
    }
    Ok(())
}

/// Writes `text` to `path`, mapping failures to [`Error::Io`].
pub(crate) fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads `path` as UTF-8, mapping failures to [`Error::Io`] / [`Error::Decode`].
pub(crate) fn read_file(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| Error::Decode {
        path: path.to_path_buf(),
        reason: format!("not UTF-8 text ({e})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_round_trip() {
        let p = Path::new("t.csv");
        let fields = ["plain", "a,b", "say \"hi\"", " pad", ""];
        let line: Vec<String> = fields.iter().map(|f| quote(f)).collect();
        let recs = parse(&format!("\u{feff}{}\r\n\n", line.join(",")), p).unwrap();
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].line, 1);
        assert_eq!(recs[0].fields, fields);
        let e = parse("a,\"b\nc", p).unwrap_err().to_string();
        assert!(e.contains("t.csv: line 1: unterminated"), "{e}");
        let e = parse("ok\n\na,\"b\"x", p).unwrap_err().to_string();
        assert!(e.contains("line 3: unexpected 'x'"), "{e}");
        let e = parse("a,b\"c", p).unwrap_err().to_string();
        assert!(e.contains("line 1: stray"), "{e}");
        assert_eq!(parse(" a , b ,", p).unwrap()[0].fields, ["a", "b", ""]);
    }
}
