//! Renders the classification fixture, for looking at the design:
//! `cargo run -p sensibench-report --example classification_report -- /tmp/clf-report/report.html`
//! writes that file (default `clf-report/report.html`).

#[path = "../tests/common/classification_fixture.rs"]
mod classification_fixture;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "clf-report/report.html".to_string()),
    );
    let html = sensibench_report::render(&classification_fixture::classification_report())?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, html)?;
    println!("{}", path.display());
    Ok(())
}
