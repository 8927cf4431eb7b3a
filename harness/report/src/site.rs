//! A static site over many runs: a runs index, a combined leaderboard and a
//! history chart per suite.
//!
//! The site is plain data in ([`SiteRun`], one per published run) and three
//! self-contained HTML pages out, linked to each other and to each run's own
//! report by relative links only (no scripts, no network, no server):
//!
//! * `index.html` ([`render_site_index`]): every run, newest first (by
//!   `created`, then run id), with suite, date, run id, git sha, harness
//!   version, models and a link to the run's report;
//! * `leaderboard.html` ([`render_site_leaderboard`]): per suite, one row per
//!   model and, per run (latest first), two columns: the run leaderboard's
//!   ranking key and its clean score (see [`summary_columns`]); the best value
//!   of every column is in bold;
//! * `history.html` ([`render_site_history`]): per suite, two inline SVG line
//!   charts ([`history_chart`]): each model's ranking key and clean score over
//!   the runs in date order.
//!
//! Conventions of the history chart: the runs are equally spaced on the x
//! axis in order of `created` (oldest left), labelled with their date; one
//! `<polyline>` per model through the runs where its value is defined (a run
//! without a value is skipped, not a gap), with a marker per defined value;
//! colours and markers follow the suite's model list in order of first
//! appearance (latest run first), as [`crate::svg::model_colour`] and
//! [`crate::svg::marker_path`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::chart::axis;
use crate::chart::format::{escape_xml, format_compact};
use crate::chart::legend;
use crate::chart::palette::{marker_path, model_colour, swatch};
use crate::chart::scale::{PlotArea, Ticks, nice_ticks};
use crate::chart::series::draw_marker;
use crate::template;
use crate::{Leaderboard, ReportError};

/// One published run as the site shows it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SiteRun {
    /// The suite name, e.g. `cardiac` (runs are grouped by it).
    pub suite: String,
    /// The run's report title.
    pub title: String,
    /// The run identifier.
    pub run_id: String,
    /// When the run was made (ISO 8601 UTC, e.g. `2026-11-24T09:30:00Z`; runs
    /// are ordered by this text).
    pub created: String,
    /// The git sha of the harness that made the run.
    pub git_sha: String,
    /// The harness version.
    pub harness_version: String,
    /// `segmentation` or `classification`.
    pub task: String,
    /// The model names, in the suite's order.
    pub models: Vec<String>,
    /// The run's report, relative to the site root, e.g.
    /// `runs/cardiac/20261124-093000/index.html`.
    pub href: String,
    /// The run's leaderboard.
    pub leaderboard: Leaderboard,
}

/// Which summary score of a leaderboard row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Summary {
    /// The ranking key (see [`summary_columns`]).
    Key,
    /// The score without perturbation.
    Clean,
}

/// The (ranking key, clean score) column indices of a leaderboard.
///
/// The ranking key is the column whose description mentions `ranking key`
/// (segmentation: `Mean nAUC`); otherwise the column whose name begins the
/// leaderboard's metric text followed by a space (classification: the
/// primary metric on the unperturbed images), the longest such name; otherwise
/// the first column. The clean score is the column named `Clean`
/// (case-insensitive); otherwise the ranking key's column when its
/// description says `unperturbed`; otherwise the first column. `None` when
/// the leaderboard has no columns.
pub fn summary_columns(board: &Leaderboard) -> (Option<usize>, Option<usize>) {
    if board.columns.is_empty() {
        return (None, None);
    }
    let key = board
        .columns
        .iter()
        .position(|c| c.description.to_lowercase().contains("ranking key"))
        .or_else(|| {
            board
                .columns
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    !c.name.is_empty() && board.metric.starts_with(&format!("{} ", c.name))
                })
                .max_by_key(|(_, c)| c.name.len())
                .map(|(i, _)| i)
        })
        .unwrap_or(0);
    let clean = board
        .columns
        .iter()
        .position(|c| c.name.eq_ignore_ascii_case("clean"))
        .or_else(|| {
            board.columns[key]
                .description
                .contains("unperturbed")
                .then_some(key)
        })
        .unwrap_or(0);
    (Some(key), Some(clean))
}

/// Whether a higher value of column `col` is better (the column's own
/// direction, else the leaderboard's).
fn column_higher(board: &Leaderboard, col: usize) -> bool {
    board
        .columns
        .get(col)
        .and_then(|c| c.higher_is_better)
        .unwrap_or(board.higher_is_better)
}

/// The value of `model`'s `which` score in `run` (finite only).
fn summary_value(run: &SiteRun, model: &str, which: Summary) -> Option<f64> {
    let (key, clean) = summary_columns(&run.leaderboard);
    let col = match which {
        Summary::Key => key?,
        Summary::Clean => clean?,
    };
    run.leaderboard
        .rows
        .iter()
        .find(|r| r.model == model)
        .and_then(|r| r.values.get(col).copied().flatten())
        .filter(|v| v.is_finite())
}

fn summary_name(run: &SiteRun, which: Summary) -> String {
    let (key, clean) = summary_columns(&run.leaderboard);
    let col = match which {
        Summary::Key => key,
        Summary::Clean => clean,
    };
    col.and_then(|c| run.leaderboard.columns.get(c))
        .map_or_else(|| "—".to_string(), |c| c.name.clone())
}

/// Runs newest first: by `created` descending, then run id descending.
fn newest_first(runs: &[SiteRun]) -> Vec<&SiteRun> {
    let mut v: Vec<&SiteRun> = runs.iter().collect();
    v.sort_by(|a, b| {
        b.created
            .cmp(&a.created)
            .then_with(|| b.run_id.cmp(&a.run_id))
    });
    v
}

/// The suites in alphabetical order, each with its runs newest first.
fn by_suite(runs: &[SiteRun]) -> Vec<(String, Vec<&SiteRun>)> {
    let mut out: Vec<(String, Vec<&SiteRun>)> = Vec::new();
    for r in newest_first(runs) {
        match out.iter_mut().find(|(s, _)| *s == r.suite) {
            Some((_, v)) => v.push(r),
            None => out.push((r.suite.clone(), vec![r])),
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The models of a suite's runs (given newest first): the latest run's
/// leaderboard order, then models of older runs in order of appearance.
fn suite_models(runs: &[&SiteRun]) -> Vec<String> {
    let mut models: Vec<String> = Vec::new();
    for r in runs {
        let names = r
            .leaderboard
            .rows
            .iter()
            .map(|row| &row.model)
            .chain(r.models.iter());
        for m in names {
            if !models.contains(m) {
                models.push(m.clone());
            }
        }
    }
    models
}

/// The date part of an ISO timestamp, with the time when present
/// (`2026-11-24 09:30`).
fn short_date(created: &str) -> String {
    match created.split_once('T') {
        Some((d, t)) => format!("{d} {}", t.chars().take(5).collect::<String>()),
        None => created.to_string(),
    }
}

/// A relative link made safe to embed unescaped: every byte outside ASCII
/// letters, digits, `-`, `_`, `.`, `/` and `#` is percent-encoded.
fn safe_href(href: &str) -> String {
    let mut out = String::with_capacity(href.len());
    for b in href.bytes() {
        if b.is_ascii_alphanumeric() || b"-_./#".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// An HTML id made of ASCII letters, digits and `-`.
fn anchor(prefix: &str, name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{prefix}-{s}")
}

const HIST_WIDTH: f64 = 560.0;
const HIST_LEFT: f64 = 56.0;
const HIST_RIGHT: f64 = 24.0;
const HIST_TOP: f64 = 14.0;
const HIST_PLOT: f64 = 220.0;
const HIST_AXIS: f64 = 84.0;

/// One model's line: (model index, name, (run index, value) points).
type Series<'a> = (usize, &'a String, Vec<(usize, f64)>);

/// The runs oldest first: by `created`, then run id.
fn oldest_first<'a>(runs: &[&'a SiteRun]) -> Vec<&'a SiteRun> {
    let mut order: Vec<&SiteRun> = runs.to_vec();
    order.sort_by(|a, b| {
        a.created
            .cmp(&b.created)
            .then_with(|| a.run_id.cmp(&b.run_id))
    });
    order
}

/// The line of every model of `models` with at least one `which` value in
/// the runs `order`.
fn history_series<'a>(order: &[&SiteRun], models: &'a [String], which: Summary) -> Vec<Series<'a>> {
    models
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let pts: Vec<(usize, f64)> = order
                .iter()
                .enumerate()
                .filter_map(|(k, r)| summary_value(r, m, which).map(|v| (k, v)))
                .collect();
            (i, m, pts)
        })
        .filter(|(_, _, p)| !p.is_empty())
        .collect()
}

/// The y axis over every value of `series`, padded by 5%.
fn history_ticks(series: &[Series<'_>]) -> Ticks {
    let (lo, hi) = series
        .iter()
        .flat_map(|s| s.2.iter().map(|p| p.1))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let pad = if hi > lo { (hi - lo) * 0.05 } else { 0.0 };
    nice_ticks(lo - pad, hi + pad, 5)
}

/// The x axis: a tick per run, dated labels (every run when few, else about
/// 8 of them) with the run id as tooltip.
fn draw_run_ticks(
    out: &mut String,
    area: &PlotArea,
    order: &[&SiteRun],
    px: &dyn Fn(usize) -> f64,
) {
    let n = order.len();
    let bottom = area.bottom;
    let every = n.div_ceil(8).max(1);
    out.push_str(r#"<g class="ticks" text-anchor="end">"#);
    for (k, r) in order.iter().enumerate() {
        let x = px(k);
        let _ = write!(
            out,
            r#"<line class="tick" x1="{x:.1}" y1="{bottom:.1}" x2="{x:.1}" y2="{:.1}"/>"#,
            bottom + 4.0
        );
        if k % every == 0 || k + 1 == n {
            let _ = write!(
                out,
                r#"<text transform="translate({:.1},{:.1}) rotate(-30)"><title>{}</title>{}</text>"#,
                x + 3.0,
                bottom + 16.0,
                escape_xml(&r.run_id),
                escape_xml(&short_date(&r.created))
            );
        }
    }
    out.push_str("</g>");
}

/// One model's polyline and markers (tooltips: value, run and date).
fn draw_history_line(
    out: &mut String,
    (i, m, pts): &Series<'_>,
    order: &[&SiteRun],
    which: Summary,
    px: &dyn Fn(usize) -> f64,
    py: &dyn Fn(f64) -> f64,
) {
    let colour = model_colour(*i);
    let coords: Vec<String> = pts
        .iter()
        .map(|&(k, v)| format!("{:.1},{:.1}", px(k), py(v)))
        .collect();
    let _ = write!(
        out,
        r#"<g class="series" data-model="{}"><polyline class="line" fill="none" stroke="{colour}" points="{}"/>"#,
        escape_xml(m),
        coords.join(" ")
    );
    let marker = marker_path(*i, 3.3);
    for &(k, v) in pts {
        let r = order[k];
        let tip = format!(
            "{m}: {} = {} (run {}, {})",
            summary_name(r, which),
            format_compact(v),
            r.run_id,
            short_date(&r.created)
        );
        draw_marker(out, px(k), py(v), &marker, colour, false, &tip);
    }
    out.push_str("</g>");
}

/// Draws the history of one suite's `which` score as an inline SVG line
/// chart: `runs` in any order (drawn oldest left, equally spaced, labelled
/// with their date), one `<polyline class="line">` per model of `models` that
/// has at least one value, markers with tooltips, a legend. `label` is the y
/// axis title. See the module docs for the conventions.
pub fn history_chart(runs: &[&SiteRun], models: &[String], which: Summary, label: &str) -> String {
    let order = oldest_first(runs);
    let series = history_series(&order, models, which);
    let yt = history_ticks(&series);
    let area = PlotArea::new(HIST_WIDTH, (HIST_LEFT, HIST_RIGHT), HIST_TOP, HIST_PLOT);
    let n = order.len();
    let px = |k: usize| {
        if n <= 1 {
            area.centre_x()
        } else {
            area.left + 16.0 + (area.right - area.left - 32.0) * k as f64 / (n - 1) as f64
        }
    };
    let py = |y: f64| area.y(&yt, y);
    let names = series.iter().map(|(_, m, _)| m.as_str());
    let key_layout = legend::layout(names, 12.0, area.right, area.bottom + HIST_AXIS, 12.0);

    let mut out = axis::svg_start(
        "chart history",
        HIST_WIDTH,
        key_layout.height,
        &format!("{label} over runs"),
    );
    if series.is_empty() {
        axis::empty_note(&mut out, &area, "no values");
        out.push_str("</svg>");
        return out;
    }
    axis::grid(&mut out, &area, &yt, &py, &[]);
    axis::y_tick_labels(&mut out, &area, &yt, &py);
    draw_run_ticks(&mut out, &area, &order, &px);
    axis::axis_lines(&mut out, &area);
    axis::y_title(&mut out, &area, 14.0, label);
    for s in &series {
        draw_history_line(&mut out, s, &order, which, &px, &py);
    }
    out.push_str(r#"<g class="legend">"#);
    for (&slot, (i, m, _)) in key_layout.slots.iter().zip(&series) {
        legend::plain_key(&mut out, slot, *i, m);
    }
    out.push_str("</g></svg>");
    out
}

#[derive(Serialize)]
struct IndexRow {
    suite: String,
    title: String,
    date: String,
    created: String,
    run_id: String,
    git_sha: String,
    harness_version: String,
    task: String,
    models: String,
    href: String,
}

#[derive(Serialize)]
struct BoardRunHead {
    run_id: String,
    date: String,
    href: String,
    key_name: String,
    clean_name: String,
}

#[derive(Serialize)]
struct BoardCell {
    text: String,
    best: bool,
    missing: bool,
    rank: Option<usize>,
}

#[derive(Serialize)]
struct BoardRow {
    model: String,
    swatch: String,
    cells: Vec<BoardCell>,
}

#[derive(Serialize)]
struct SuiteBoard {
    suite: String,
    anchor: String,
    metric: String,
    runs: Vec<BoardRunHead>,
    rows: Vec<BoardRow>,
}

#[derive(Serialize)]
struct HistoryChart {
    title: String,
    svg: String,
}

#[derive(Serialize)]
struct SuiteHistory {
    suite: String,
    anchor: String,
    runs: usize,
    charts: Vec<HistoryChart>,
}

/// The best of `values` by direction (`None` when none is finite).
fn best_of(values: &[Option<f64>], higher: bool) -> Option<f64> {
    values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .fold(None, |acc: Option<f64>, v| {
            Some(acc.map_or(v, |a| if higher { a.max(v) } else { a.min(v) }))
        })
}

fn board_view(suite: &str, runs: &[&SiteRun]) -> SuiteBoard {
    let models = suite_models(runs);
    let metric = runs
        .first()
        .map(|r| r.leaderboard.metric.clone())
        .unwrap_or_default();
    let heads = runs
        .iter()
        .map(|r| BoardRunHead {
            run_id: r.run_id.clone(),
            date: short_date(&r.created),
            href: safe_href(&r.href),
            key_name: summary_name(r, Summary::Key),
            clean_name: summary_name(r, Summary::Clean),
        })
        .collect();
    // per run and summary: (values per model, best)
    let mut columns: Vec<(Vec<Option<f64>>, Option<f64>)> = Vec::new();
    for r in runs {
        let (key, clean) = summary_columns(&r.leaderboard);
        for (which, col) in [(Summary::Key, key), (Summary::Clean, clean)] {
            let vals: Vec<Option<f64>> =
                models.iter().map(|m| summary_value(r, m, which)).collect();
            let higher = col.is_none_or(|c| column_higher(&r.leaderboard, c));
            let best = best_of(&vals, higher);
            columns.push((vals, best));
        }
    }
    let rows = models
        .iter()
        .enumerate()
        .map(|(i, m)| BoardRow {
            model: m.clone(),
            swatch: swatch(i),
            cells: columns
                .iter()
                .enumerate()
                .map(|(c, (vals, best))| {
                    let v = vals[i];
                    let rank = if c % 2 == 0 {
                        runs[c / 2]
                            .leaderboard
                            .rows
                            .iter()
                            .find(|r| &r.model == m)
                            .map(|r| r.rank)
                    } else {
                        None
                    };
                    BoardCell {
                        text: v.map_or_else(|| "—".to_string(), |v| format!("{v:.3}")),
                        best: v.is_some() && v == *best,
                        missing: v.is_none(),
                        rank,
                    }
                })
                .collect(),
        })
        .collect();
    SuiteBoard {
        suite: suite.to_string(),
        anchor: anchor("board", suite),
        metric,
        runs: heads,
        rows,
    }
}

const BASE_NAME: &str = "site_base.html";
const BASE: &str = include_str!("../templates/site_base.html");
const INDEX_NAME: &str = "site_index.html";
const INDEX: &str = include_str!("../templates/site_index.html");
const BOARD_NAME: &str = "site_leaderboard.html";
const BOARD: &str = include_str!("../templates/site_leaderboard.html");
const HISTORY_NAME: &str = "site_history.html";
const HISTORY: &str = include_str!("../templates/site_history.html");
const SITE_CSS: &str = "
nav.site { display: flex; gap: 1.2rem; margin: 0 0 1.5rem; font-weight: 600; }
nav.site a[aria-current] { text-decoration: underline; }
.history-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1.5rem; }
table.board th.run { text-align: center; }
table.board .rank { color: #666; font-size: 0.8em; }
";

fn render_page(name: &str, ctx: minijinja::Value) -> Result<String, ReportError> {
    template::render_page(
        name,
        &[
            (BASE_NAME, BASE),
            (INDEX_NAME, INDEX),
            (BOARD_NAME, BOARD),
            (HISTORY_NAME, HISTORY),
        ],
        ctx,
    )
}

fn css() -> minijinja::Value {
    minijinja::Value::from_safe_string(format!("{}\n{SITE_CSS}", template::STYLESHEET))
}

/// Renders `index.html`: every run, newest first.
///
/// # Errors
/// [`ReportError::Template`] if the compiled-in template fails (a bug).
pub fn render_site_index(runs: &[SiteRun]) -> Result<String, ReportError> {
    let rows: Vec<IndexRow> = newest_first(runs)
        .into_iter()
        .map(|r| IndexRow {
            suite: r.suite.clone(),
            title: r.title.clone(),
            date: short_date(&r.created),
            created: r.created.clone(),
            run_id: r.run_id.clone(),
            git_sha: r.git_sha.chars().take(12).collect(),
            harness_version: r.harness_version.clone(),
            task: r.task.clone(),
            models: r.models.join(", "),
            href: safe_href(&r.href),
        })
        .collect();
    let suites = by_suite(runs).len();
    render_page(
        INDEX_NAME,
        minijinja::context! {
            css => css(), page => "index", title => "sensibench runs",
            runs => minijinja::Value::from(minijinja::value::Serde(&rows)), suites => suites,
        },
    )
}

/// Renders `leaderboard.html`: per suite (alphabetical), every run's
/// leaderboard side by side (latest run first).
///
/// # Errors
/// [`ReportError::Template`] if the compiled-in template fails (a bug).
pub fn render_site_leaderboard(runs: &[SiteRun]) -> Result<String, ReportError> {
    let boards: Vec<SuiteBoard> = by_suite(runs)
        .iter()
        .map(|(s, v)| board_view(s, v))
        .collect();
    render_page(
        BOARD_NAME,
        minijinja::context! {
            css => css(), page => "leaderboard", title => "sensibench leaderboard",
            boards => minijinja::Value::from(minijinja::value::Serde(&boards)),
        },
    )
}

/// Renders `history.html`: per suite (alphabetical), the ranking key and the
/// clean score of each model over the runs ([`history_chart`]).
///
/// # Errors
/// [`ReportError::Template`] if the compiled-in template fails (a bug).
pub fn render_site_history(runs: &[SiteRun]) -> Result<String, ReportError> {
    let suites: Vec<SuiteHistory> = by_suite(runs)
        .iter()
        .map(|(s, v)| {
            let models = suite_models(v);
            let latest = v[0];
            let charts = [Summary::Key, Summary::Clean]
                .into_iter()
                .map(|which| {
                    let name = summary_name(latest, which);
                    let title = match which {
                        Summary::Key => format!("Ranking key: {name}"),
                        Summary::Clean => format!("Clean score: {name}"),
                    };
                    HistoryChart {
                        svg: history_chart(v, &models, which, &name),
                        title,
                    }
                })
                .collect();
            SuiteHistory {
                suite: s.clone(),
                anchor: anchor("history", s),
                runs: v.len(),
                charts,
            }
        })
        .collect();
    render_page(
        HISTORY_NAME,
        minijinja::context! {
            css => css(), page => "history", title => "sensibench history",
            suites => minijinja::Value::from(minijinja::value::Serde(&suites)),
        },
    )
}

/// Writes `index.html`, `leaderboard.html` and `history.html` into `dir`
/// (created when missing) and returns their paths in that order.
///
/// # Errors
/// [`ReportError::Io`] naming the path; [`ReportError::Template`] as the
/// renderers.
pub fn write_site_pages(runs: &[SiteRun], dir: &Path) -> Result<[PathBuf; 3], ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let pages = [
        ("index.html", render_site_index(runs)?),
        ("leaderboard.html", render_site_leaderboard(runs)?),
        ("history.html", render_site_history(runs)?),
    ];
    let mut out: Vec<PathBuf> = Vec::with_capacity(3);
    for (name, html) in pages {
        let path = dir.join(name);
        std::fs::write(&path, html).map_err(|source| ReportError::Io {
            path: path.clone(),
            source,
        })?;
        out.push(path);
    }
    let [a, b, c]: [PathBuf; 3] = out.try_into().map_err(|_| ReportError::Io {
        path: dir.to_path_buf(),
        source: std::io::Error::other("site pages"),
    })?;
    Ok([a, b, c])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LeaderboardColumn, LeaderboardRow};

    fn run(id: &str, created: &str, vals: &[(&str, f64, f64)]) -> SiteRun {
        SiteRun {
            suite: "s<1>".into(),
            title: "T".into(),
            run_id: id.into(),
            created: created.into(),
            git_sha: "abcdef0123456789".into(),
            harness_version: "0.1.0".into(),
            task: "segmentation".into(),
            models: vals.iter().map(|v| v.0.to_string()).collect(),
            href: format!("runs/s_1_/{id}/index.html"),
            leaderboard: Leaderboard {
                metric: "dice (mean over classes) on dataset `p`".into(),
                higher_is_better: true,
                columns: vec![
                    LeaderboardColumn {
                        name: "Clean".into(),
                        higher_is_better: Some(true),
                        description: "clean".into(),
                    },
                    LeaderboardColumn {
                        name: "Mean nAUC".into(),
                        higher_is_better: Some(true),
                        description: "mean of the per-perturbation nAUCs (ranking key)".into(),
                    },
                ],
                rows: vals
                    .iter()
                    .enumerate()
                    .map(|(i, v)| LeaderboardRow {
                        rank: i + 1,
                        model: v.0.into(),
                        values: vec![Some(v.1), Some(v.2)],
                        ci: vec![],
                    })
                    .collect(),
            },
        }
    }

    #[test]
    fn summary_columns_segmentation_and_classification() {
        let r = run("a", "2026-01-01T00:00:00Z", &[("m", 0.9, 0.8)]);
        assert_eq!(summary_columns(&r.leaderboard), (Some(1), Some(0)));
        let mut b = r.leaderboard.clone();
        b.metric = "AUC on `x` (unperturbed)".into();
        b.columns = vec![
            LeaderboardColumn {
                name: "Accuracy".into(),
                higher_is_better: Some(true),
                description: "Accuracy on the unperturbed images of `x`".into(),
            },
            LeaderboardColumn {
                name: "AUC".into(),
                higher_is_better: Some(true),
                description: "AUC on the unperturbed images of `x`".into(),
            },
        ];
        assert_eq!(summary_columns(&b), (Some(1), Some(1)));
        b.columns.clear();
        assert_eq!(summary_columns(&b), (None, None));
    }

    #[test]
    fn pages_order_bold_and_polylines() {
        let runs = vec![
            run(
                "r1",
                "2026-01-01T00:00:00Z",
                &[("a", 0.5, 0.4), ("b", 0.6, 0.3)],
            ),
            run(
                "r2",
                "2026-01-02T00:00:00Z",
                &[("b", 0.7, 0.6), ("a", 0.5, 0.5)],
            ),
        ];
        let index = render_site_index(&runs).expect("index");
        let p2 = index.find("runs/s_1_/r2/index.html").expect("r2 link");
        let p1 = index.find("runs/s_1_/r1/index.html").expect("r1 link");
        assert!(p2 < p1, "newest first");
        assert!(index.contains("s&lt;1&gt;"), "suite escaped");
        assert!(index.contains("abcdef012345") && !index.contains("abcdef0123456"));
        let board = render_site_leaderboard(&runs).expect("board");
        // r2 (latest) first: key 0.600 of b is the best of its column
        assert!(board.find("r2").expect("r2") < board.find("r1").expect("r1"));
        assert!(board.contains("<strong>0.600</strong>"), "{board}");
        assert!(board.contains("<strong>0.700</strong>"));
        assert!(board.contains("<strong>0.400</strong>"));
        assert!(!board.contains("<strong>0.300</strong>"));
        let hist = render_site_history(&runs).expect("history");
        assert_eq!(hist.matches("<polyline").count(), 4, "2 charts x 2 models");
        assert_eq!(hist.matches("<svg class=\"chart history\"").count(), 2);
        // b's key: 0.3 (r1, left) then 0.6 (r2, right): the line rises
        let chart = history_chart(
            &runs.iter().collect::<Vec<_>>(),
            &["b".to_string()],
            Summary::Key,
            "k",
        );
        let pts = chart
            .split("points=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("points");
        let xy: Vec<(f64, f64)> = pts
            .split(' ')
            .map(|p| {
                let (x, y) = p.split_once(',').expect("x,y");
                (x.parse().expect("x"), y.parse().expect("y"))
            })
            .collect();
        assert_eq!(xy.len(), 2);
        assert!(xy[0].0 < xy[1].0 && xy[0].1 > xy[1].1, "{xy:?}");
    }
}
