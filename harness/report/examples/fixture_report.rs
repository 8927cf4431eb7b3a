//! Renders the test fixture to a folder, for looking at the design:
//! `cargo run -p sensibench-report --example fixture_report -- /tmp/report-example`
//! writes `/tmp/report-example/index.html`.

#[path = "../tests/common/fixture.rs"]
mod fixture;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "report-example".to_string());
    let path =
        sensibench_report::write_report(&fixture::report_data(), std::path::Path::new(&dir))?;
    println!("{}", path.display());
    Ok(())
}
