//! `sensibench evaluate`: the metrics on their own, like nnU-Net's evaluation
//! (`summary.json`-style output: per case, then the mean per class and metric).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sensibench_core::LabelMap;
use sensibench_metrics::{SegMetric, score_class};
use serde::Serialize;

#[derive(clap::Args)]
pub struct EvaluateArgs {
    /// Prediction mask: a NIfTI (.nii/.nii.gz) or PNG file, or a folder of them.
    #[arg(long)]
    pred: PathBuf,
    /// Reference mask (file or folder; folders are matched by file name).
    #[arg(long = "ref")]
    reference: PathBuf,
    /// Metrics, comma-separated (see `sensibench list`).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "dice,iou,hausdorff,hd95,assd,rmssd"
    )]
    metrics: Vec<String>,
    /// Labels to score, comma-separated (default: every label > 0 in either mask).
    #[arg(long, value_delimiter = ',')]
    labels: Vec<u8>,
    /// Pixel spacing `dy,dx` in mm for PNG masks (NIfTI spacing comes from the header).
    #[arg(long, value_delimiter = ',', default_value = "1,1")]
    spacing: Vec<f64>,
    /// Write the JSON here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Serialize)]
struct Case {
    prediction_file: String,
    reference_file: String,
    /// label -> metric -> value (null where undefined, e.g. a distance to an empty mask).
    metrics: BTreeMap<String, BTreeMap<String, Option<f64>>>,
}

#[derive(Serialize)]
struct Summary {
    metric_per_case: Vec<Case>,
    /// label -> metric -> mean over the cases where it is defined.
    mean: BTreeMap<String, BTreeMap<String, Option<f64>>>,
    conventions: BTreeMap<String, String>,
}

fn is_mask_file(p: &Path) -> bool {
    let n = p
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    n.ends_with(".nii") || n.ends_with(".nii.gz") || n.ends_with(".png")
}

fn pairs(pred: &Path, reference: &Path) -> Result<Vec<(PathBuf, PathBuf)>> {
    match (pred.is_dir(), reference.is_dir()) {
        (false, false) => Ok(vec![(pred.to_path_buf(), reference.to_path_buf())]),
        (true, true) => {
            let mut files: Vec<PathBuf> = std::fs::read_dir(reference)
                .with_context(|| format!("reading {}", reference.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| is_mask_file(p))
                .collect();
            files.sort();
            if files.is_empty() {
                bail!("{}: no .nii, .nii.gz or .png files", reference.display());
            }
            let mut out = Vec::new();
            for r in files {
                let name = r.file_name().map(|n| n.to_os_string()).unwrap_or_default();
                let p = pred.join(&name);
                if !p.is_file() {
                    bail!(
                        "{}: no prediction for reference {}",
                        p.display(),
                        r.display()
                    );
                }
                out.push((p, r));
            }
            Ok(out)
        }
        _ => bail!("--pred and --ref must both be files or both be folders"),
    }
}

fn load(path: &Path, spacing: [f64; 2]) -> Result<LabelMap> {
    if !path.exists() {
        bail!("{}: no such file", path.display());
    }
    Ok(sensibench_data::load_label_map(path, spacing)?)
}

pub fn run(args: &EvaluateArgs) -> Result<()> {
    let metrics: Vec<SegMetric> = args
        .metrics
        .iter()
        .map(|m| SegMetric::from_name(m).map_err(anyhow::Error::from))
        .collect::<Result<_>>()?;
    let [dy, dx] = match args.spacing.as_slice() {
        [dy, dx] if *dy > 0.0 && *dx > 0.0 => [*dy, *dx],
        other => bail!("--spacing expects two positive numbers `dy,dx`, got {other:?}"),
    };
    let mut cases = Vec::new();
    let mut sums: BTreeMap<String, BTreeMap<String, (f64, usize)>> = BTreeMap::new();
    for (p, r) in pairs(&args.pred, &args.reference)? {
        let pred = load(&p, [dy, dx])?;
        let reference = load(&r, [dy, dx])?;
        if pred.grid().dims() != reference.grid().dims() {
            bail!(
                "{} is {} but {} is {}",
                p.display(),
                pred.grid().shape_string(),
                r.display(),
                reference.grid().shape_string()
            );
        }
        let labels: Vec<u8> = if args.labels.is_empty() {
            let max = pred.max_label().max(reference.max_label());
            (1..=max)
                .filter(|&l| pred.count(l) > 0 || reference.count(l) > 0)
                .collect()
        } else {
            args.labels.clone()
        };
        let mut per_label = BTreeMap::new();
        for l in labels {
            let values = score_class(&pred, &reference, l, &metrics)
                .with_context(|| format!("scoring {} against {}", p.display(), r.display()))?;
            let mut m = BTreeMap::new();
            for (metric, v) in metrics.iter().zip(values) {
                let v = v.is_finite().then_some(v);
                if let Some(v) = v {
                    let e = sums
                        .entry(l.to_string())
                        .or_default()
                        .entry(metric.name().to_string())
                        .or_insert((0.0, 0));
                    e.0 += v;
                    e.1 += 1;
                }
                m.insert(metric.name().to_string(), v);
            }
            per_label.insert(l.to_string(), m);
        }
        cases.push(Case {
            prediction_file: p.display().to_string(),
            reference_file: r.display().to_string(),
            metrics: per_label,
        });
    }
    let mean = sums
        .into_iter()
        .map(|(l, m)| {
            let m = m
                .into_iter()
                .map(|(k, (s, n))| (k, (n > 0).then(|| s / n as f64)))
                .collect();
            (l, m)
        })
        .collect();
    let conventions = metrics
        .iter()
        .map(|m| (m.name().to_string(), m.summary().to_string()))
        .collect();
    let summary = Summary {
        metric_per_case: cases,
        mean,
        conventions,
    };
    let text = serde_json::to_string_pretty(&summary)?;
    match &args.out {
        Some(path) => std::fs::write(path, text + "\n")
            .with_context(|| format!("writing {}", path.display()))?,
        None => println!("{text}"),
    }
    Ok(())
}
