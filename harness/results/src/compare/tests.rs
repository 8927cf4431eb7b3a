//! Unit tests of the verdict rule, the default settings and provenance differences.

use super::*;

#[test]
fn verdict_rule() {
    assert_eq!(verdict(-0.05, 0.01, 0.01, 0.05, true), Verdict::Regression);
    assert_eq!(verdict(-0.05, 0.2, 0.01, 0.05, true), Verdict::Unchanged);
    assert_eq!(verdict(-0.005, 0.001, 0.01, 0.05, true), Verdict::Unchanged);
    assert_eq!(verdict(0.05, 0.01, 0.01, 0.05, true), Verdict::Improvement);
    // Lower is better (a distance): an increase is a regression.
    assert_eq!(verdict(2.0, 0.01, 1.0, 0.05, false), Verdict::Regression);
    assert_eq!(verdict(-2.0, 0.01, 1.0, 0.05, false), Verdict::Improvement);
    assert_eq!(
        verdict(f64::NAN, 0.01, 1.0, 0.05, false),
        Verdict::Unchanged
    );
}

#[test]
fn settings_defaults() {
    let s = CompareSettings::default();
    assert_eq!(s.tolerance_of("dice"), 0.01);
    assert_eq!(s.tolerance_of("hd95"), 1.0);
    assert!(s.higher_is_better_of("dice") && !s.higher_is_better_of("assd"));
    assert!(s.higher_is_better_of("accuracy") && !s.higher_is_better_of("ece"));
    assert!(s.higher_is_better_of("auc"));
}

#[test]
fn provenance_differences() {
    let a = Provenance {
        suite_hash: "s1".into(),
        seed: 1,
        models: vec![
            ModelHash {
                name: "m".into(),
                hash: "h1".into(),
            },
            ModelHash {
                name: "old".into(),
                hash: "o".into(),
            },
        ],
        ..Provenance::default()
    };
    let mut b = a.clone();
    b.models[0].hash = "h2".into();
    b.models.remove(1);
    b.git_sha = "abc".into();
    let d = differences(&a, &b);
    let whats: Vec<&str> = d.iter().map(|d| d.what.as_str()).collect();
    assert_eq!(whats, ["git sha", "model `m` hash", "model `old`"]);
    assert_eq!((d[1].a.as_str(), d[1].b.as_str()), ("h1", "h2"));
    assert_eq!(d[2].b, "(absent)");
    assert!(differences(&a, &a).is_empty());
}
