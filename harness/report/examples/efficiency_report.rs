//! Renders the data-efficiency fixture, for looking at the design:
//! `cargo run -p sensibench-report --example efficiency_report -- /tmp/eff-report/report.html`
//! writes that file (default `eff-report/report.html`).

#[path = "../tests/common/efficiency_fixture.rs"]
mod efficiency_fixture;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "eff-report/report.html".to_string()),
    );
    let html = sensibench_report::render(&efficiency_fixture::muscle_report())?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, html)?;
    println!("{}", path.display());
    Ok(())
}
