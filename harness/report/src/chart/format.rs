//! Number and text formatting shared by the charts and the views: fixed and
//! compact numbers, digits by magnitude, `[lo, hi]` intervals, axis titles,
//! label truncation and XML escaping.

/// Escapes `&`, `<`, `>`, `"` and `'` for XML text and attribute values.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Formats `v` with `decimals` digits after the point, never as `-0`.
pub fn format_fixed(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Formats a value compactly for labels: up to 4 significant digits, no
/// trailing zeros (`0.1`, `2.5`, `1000`, `0.0005`, `1.2e-5`).
pub fn format_compact(v: f64) -> String {
    if !v.is_finite() {
        return "—".to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let a = v.abs();
    if !(1e-4..1e6).contains(&a) {
        return format!("{v:.2e}");
    }
    let digits = (3 - a.log10().floor() as i32).clamp(0, 8) as usize;
    let s = format_fixed(v, digits);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// `v` rounded to `decimals` digits after the point (`-0` becomes `0`).
pub(crate) fn round_to(v: f64, decimals: usize) -> f64 {
    let f = 10f64.powi(decimals as i32);
    let r = (v * f).round() / f;
    if r == 0.0 { 0.0 } else { r }
}

/// Digits after the point for values up to `max_abs` (about three
/// significant digits): 3 up to 1 (Dice-like scores), 2 below 10, 1 below
/// 100, 0 above.
pub(crate) fn value_decimals(max_abs: f64) -> usize {
    match max_abs.abs() {
        m if m <= 1.0 => 3,
        m if m < 10.0 => 2,
        m if m < 100.0 => 1,
        _ => 0,
    }
}

/// Digits after the point that show every value of a declared band exactly
/// (so `0.9, 0.87, 0.93` print as `0.90 [0.87, 0.93]` and `1.6, 1.2, 2.1` as
/// `1.6 [1.2, 2.1]`), at most [`value_decimals`] of their magnitude.
pub(crate) fn band_decimals(values: &[f64]) -> usize {
    let max = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let limit = value_decimals(max);
    (0..limit)
        .find(|&d| {
            values
                .iter()
                .all(|&v| (round_to(v, d) - v).abs() <= 1e-9 * v.abs().max(1.0))
        })
        .unwrap_or(limit)
}

/// `[lo, hi]` with `decimals` digits (ends swapped if reversed), or empty.
pub(crate) fn interval(ci: Option<(f64, f64)>, decimals: usize) -> String {
    match ci {
        Some((lo, hi)) if lo.is_finite() && hi.is_finite() => format!(
            "[{}, {}]",
            format_fixed(lo.min(hi), decimals),
            format_fixed(hi.max(lo), decimals)
        ),
        _ => String::new(),
    }
}

/// The value when it is finite.
pub(crate) fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

/// `name (unit)`, or `name` alone when the unit is blank.
pub(crate) fn axis_label(name: &str, unit: &str) -> String {
    if unit.trim().is_empty() {
        name.to_string()
    } else {
        format!("{name} ({unit})")
    }
}

/// `name` cut to at most `max` characters, the last one then `…`.
pub(crate) fn truncate(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        name.to_string()
    } else {
        let mut s: String = name.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_and_value_decimals() {
        assert_eq!(band_decimals(&[0.9, 0.87, 0.93]), 2);
        assert_eq!(band_decimals(&[1.6, 1.2, 2.1]), 1);
        assert_eq!(band_decimals(&[12.0, 10.0, 14.0]), 0);
        assert_eq!(
            band_decimals(&[0.8812, 0.85, 0.9]),
            3,
            "capped at 3 below 1"
        );
        assert_eq!(value_decimals(1.0), 3);
        assert_eq!(value_decimals(2.6), 2);
        assert_eq!(value_decimals(45.0), 1);
        assert_eq!(value_decimals(512.0), 0);
    }

    #[test]
    fn format_helpers() {
        assert_eq!(format_fixed(-0.0001, 2), "0.00");
        assert_eq!(format_fixed(-0.25, 2), "-0.25");
        assert_eq!(format_compact(0.1), "0.1");
        assert_eq!(format_compact(2.5), "2.5");
        assert_eq!(format_compact(1000.0), "1000");
        assert_eq!(format_compact(0.0005), "0.0005");
        assert_eq!(format_compact(0.873_456), "0.8735");
        assert_eq!(format_compact(0.0), "0");
    }

    #[test]
    fn escape_all_specials() {
        assert_eq!(
            escape_xml(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }
}
