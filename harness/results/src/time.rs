//! UTC timestamps without a date-time dependency.

use std::time::{SystemTime, UNIX_EPOCH};

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn parts(secs: i64) -> (i64, u32, u32, i64, i64, i64) {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    (y, m, d, s / 3600, (s % 3600) / 60, s % 60)
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `2026-11-24T09:30:00Z`.
pub fn iso_now() -> String {
    iso_from_secs(now_secs())
}

/// Seconds since the Unix epoch as ISO 8601 UTC, e.g. `2026-11-24T09:30:00Z`.
pub fn iso_from_secs(secs: i64) -> String {
    let (y, m, d, hh, mm, ss) = parts(secs);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

/// A run id such as `20261124-093000`.
pub fn run_id_now() -> String {
    let (y, m, d, hh, mm, ss) = parts(now_secs());
    format!("{y:04}{m:02}{d:02}-{hh:02}{mm:02}{ss:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(parts(0), (1970, 1, 1, 0, 0, 0));
        // 2026-11-24T08:28:14Z = 1795508894 (date -u -d @1795508894)
        assert_eq!(parts(1_795_508_894), (2026, 11, 24, 8, 28, 14));
        // leap day 2024-02-29T12:00:00Z = 1709208000
        assert_eq!(parts(1_709_208_000), (2024, 2, 29, 12, 0, 0));
    }
}
