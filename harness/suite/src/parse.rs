//! Step 1, parse: YAML text -> [`RawSuite`], or the first parse error with its
//! position and, for unknown keys and values, a did-you-mean.

use crate::position::Pos;
use crate::raw::RawSuite;

/// Parses `text` into the raw suite, or gives the position and message of
/// the first problem.
pub(crate) fn parse_suite(text: &str) -> Result<RawSuite, (Pos, String)> {
    // YAML 1.2 booleans only: `axis: y` is the text "y", not `true`.
    let options = serde_saphyr::options! {
        strict_booleans: true,
        with_snippet: false,
    };
    serde_saphyr::from_str_with_options(text, options).map_err(|e| yaml_error(text, &e))
}

/// The position and a message for a parse error, with did-you-mean for
/// unknown keys and values.
fn yaml_error(text: &str, e: &serde_saphyr::Error) -> (Pos, String) {
    use serde_saphyr::Error as E;
    let at = e
        .location()
        .map_or(Pos { line: 0, column: 0 }, Pos::of_location);
    let inner = e.without_snippet();
    let suggest = |name: &str, expected: &[&'static str]| -> String {
        match sensibench_core::did_you_mean(name, expected.iter().copied()) {
            Some(s) => format!(" (did you mean `{s}`?)"),
            None if expected.is_empty() => String::new(),
            None => format!(
                " (expected one of {})",
                expected
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    };
    let message = match inner {
        E::SerdeUnknownField {
            field, expected, ..
        } => format!("unknown key `{field}`{}", suggest(field, expected)),
        E::SerdeUnknownVariant {
            variant, expected, ..
        } => format!("unknown value `{variant}`{}", suggest(variant, expected)),
        E::SerdeMissingField { field, .. } => format!("missing key `{field}`"),
        E::DuplicateMappingKey { key: Some(k), .. } => format!("duplicate key `{k}`"),
        E::DuplicateMappingKey { key: None, .. } => "duplicate key".to_string(),
        E::InvalidScalar { ty, .. } => {
            let wanted = match *ty {
                "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number >= 0",
                "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
                "f32" | "f64" => "a number",
                "bool" => "true or false",
                other => other,
            };
            match e.location().and_then(|l| scalar_text(text, l)) {
                Some(found) => format!("expected {wanted}, found `{found}`"),
                None => format!("expected {wanted}"),
            }
        }
        E::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => format!("expected {expected}, found {unexpected}"),
        other => {
            let s = other.to_string();
            match e.location() {
                Some(l) => s
                    .strip_suffix(&format!(" at line {}, column {}", l.line(), l.column()))
                    .map_or_else(|| s.clone(), str::to_string),
                None => s,
            }
        }
    };
    (at, message)
}

/// The source text at `l`, when it is a short piece of one line.
fn scalar_text(text: &str, l: serde_saphyr::Location) -> Option<&str> {
    let span = l.span();
    let start = usize::try_from(span.byte_offset()?).ok()?;
    let len = usize::try_from(span.byte_len()?).ok()?;
    let s = text.get(start..start.checked_add(len)?)?;
    (!s.is_empty() && s.len() <= 80 && !s.contains('\n')).then_some(s)
}
