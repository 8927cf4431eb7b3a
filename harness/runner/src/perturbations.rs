//! The perturbations of a plan bound to their implementations, the clean
//! baseline, and the seed of every cell.

use sensibench_core::{
    Error, Image, LabelMap, Perturbation, PerturbationEntry, Registry, Sample, SeededRng,
    derive_seed,
};
use sensibench_suite::plan::{Plan, Scale};

use crate::Result;
use crate::manifest::PerturbationInfo;

/// The clean baseline evaluated for every model and dataset.
pub(crate) const BASELINE: &str = "none";

/// Perturbations that act on the sample's region (the marker box): a sample
/// without a region passes through them unchanged.
pub const REGION_PERTURBATIONS: &[&str] = &["marker_remove", "marker_swap", "minmax_clip"];

/// The label of the region (marker box) in a classification sample's region map.
pub const REGION_LABEL: u8 = 1;

/// A perturbation of the plan, bound, with what the rows say about it.
pub(crate) struct BoundPerturbation {
    pub(crate) info: PerturbationInfo,
    pub(crate) op: Option<Box<dyn Perturbation>>,
}

pub(crate) fn bind_perturbations(
    plan: &Plan,
    registry: &Registry<PerturbationEntry>,
) -> Result<Vec<BoundPerturbation>> {
    let mut out = vec![BoundPerturbation {
        info: PerturbationInfo {
            label: BASELINE.into(),
            kind: BASELINE.into(),
            parameter: String::new(),
            unit: String::new(),
            identity: Some(0.0),
            points: vec![0.0],
        },
        op: None,
    }];
    for p in &plan.perturbations {
        let entry = registry.get(&p.kind)?;
        let (op, parameter, unit, identity) = match (p.scale, &entry.severity) {
            (Scale::Severity, Some(sev)) => {
                ((sev.build)(&p.params)?, "severity", "level", Some(0.0))
            }
            (Scale::Severity, None) => {
                return Err(Error::invalid(
                    &format!("{}.severity", p.label),
                    "severity levels",
                    "a perturbation with a severity scale",
                )
                .into());
            }
            (Scale::Parameter, _) => (
                (entry.build)(&p.params)?,
                entry.parameter.name,
                entry.parameter.unit,
                entry.parameter.identity,
            ),
        };
        out.push(BoundPerturbation {
            info: PerturbationInfo {
                label: p.label.clone(),
                kind: p.kind.clone(),
                parameter: parameter.to_string(),
                unit: unit.to_string(),
                identity,
                points: p.points.clone(),
            },
            op: Some(op),
        });
    }
    Ok(out)
}

/// Seed of one cell: (suite seed, sample id, perturbation label, point).
pub fn cell_seed(suite_seed: u64, sample: &str, perturbation: &str, point: f64) -> u64 {
    derive_seed(suite_seed, &[sample, perturbation, &format!("{point}")])
}

pub(crate) fn apply(
    bp: &BoundPerturbation,
    seed: u64,
    sample: &Sample,
    mask: Option<&LabelMap>,
    point: f64,
) -> std::result::Result<(Image, Option<LabelMap>), Error> {
    match &bp.op {
        None => Ok((sample.image.clone(), mask.cloned())),
        Some(op) => {
            let mut rng = SeededRng::new(cell_seed(seed, &sample.id, &bp.info.label, point));
            op.apply(&sample.image, mask, point, &mut rng)
        }
    }
}
