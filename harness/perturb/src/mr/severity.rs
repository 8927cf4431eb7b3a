//! The severity scale of the MR artefacts, written once (TorchIO's habit:
//! the common work lives in one place). An artefact declares its level
//! table and the options the scale leaves free ([`SeverityLevels`]) and how
//! it applies one level ([`ApplyLevel`]; nothing to write when a level is a
//! value of its swept parameter); [`Severity`] is the perturbation swept by
//! level, [`scale`] its registry [`SeverityScale`] and [`entry`] its
//! registry entry.

use sensibench_core::{
    Image, LabelMap, ParameterInfo, Params, Perturbation, PerturbationEntry, Result,
    SEVERITY_LEVELS, SeededRng, SeverityScale, severity_level,
};

use crate::options::unchanged;

/// An artefact with a severity scale: what each level 1..=5 sets.
pub trait SeverityLevels: Sized + Send + Sync + 'static {
    /// The parameters one level sets: `f64` when a level is a value of the
    /// artefact's swept parameter.
    type Level: Copy;
    /// The registered name; a bad level is refused as `NAME.severity`.
    const NAME: &'static str;
    /// Levels 1..=5: what the level sets, as `sensibench list` prints it,
    /// and its parameters.
    const SCALE: [(&'static str, Self::Level); SEVERITY_LEVELS];
    /// Binds the options the scale leaves free (refusing the others) and
    /// fixes the rest at the scale's values.
    fn bind_severity(params: &Params) -> Result<Self>;
}

/// How an artefact applies the parameters `L` of one severity level.
pub trait ApplyLevel<L> {
    /// The artefact at the parameters of a level in 1..=5.
    fn apply_level(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        level: L,
        rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)>;
}

/// A level that is a value of the swept parameter: the perturbation applied
/// at that value.
impl<P: Perturbation> ApplyLevel<f64> for P {
    fn apply_level(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        level: f64,
        rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        self.apply(image, mask, level, rng)
    }
}

/// An artefact bound to its severity scale: the swept value is the level
/// 0..=5 (checked with [`severity_level`]); level `k ≥ 1` applies the
/// artefact at the parameters of `A::SCALE[k − 1]`, level 0 returns the
/// input unchanged (no numbers are drawn).
#[derive(Clone, Debug)]
pub struct Severity<A> {
    /// The artefact, with the options the scale leaves free bound.
    pub artefact: A,
}

impl<A: SeverityLevels> Severity<A> {
    /// Binds options (those the scale leaves free, see
    /// [`SeverityLevels::bind_severity`]).
    pub fn from_params(params: &Params) -> Result<Self> {
        Ok(Severity {
            artefact: A::bind_severity(params)?,
        })
    }
}

impl<A> Perturbation for Severity<A>
where
    A: SeverityLevels + ApplyLevel<A::Level>,
{
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        match severity_level(A::NAME, value)? {
            0 => Ok(unchanged(image, mask)),
            level => self
                .artefact
                .apply_level(image, mask, A::SCALE[level - 1].1, rng),
        }
    }
}

/// The severity scale of artefact `A`, for its registry entry.
pub fn scale<A>() -> SeverityScale
where
    A: SeverityLevels + ApplyLevel<A::Level>,
{
    SeverityScale {
        levels: A::SCALE.map(|(text, _)| text),
        build: build::<A>,
    }
}

/// The registry entry of artefact `A` (named `A::NAME`) with its severity
/// scale: the one-line `summary` of `sensibench list`, the swept
/// `parameter` and the options binder `build`.
pub(crate) fn entry<A>(
    summary: &'static str,
    parameter: ParameterInfo,
    build: fn(&Params) -> Result<Box<dyn Perturbation>>,
) -> PerturbationEntry
where
    A: SeverityLevels + ApplyLevel<A::Level>,
{
    PerturbationEntry {
        name: A::NAME,
        summary,
        parameter,
        build,
        severity: Some(scale::<A>()),
    }
}

/// [`SeverityScale::build`] of [`scale`].
fn build<A>(params: &Params) -> Result<Box<dyn Perturbation>>
where
    A: SeverityLevels + ApplyLevel<A::Level>,
{
    Ok(Box::new(Severity::<A>::from_params(params)?))
}

/// The parameters of a level table, level 1 first.
pub const fn parameters<L: Copy>(
    scale: &[(&'static str, L); SEVERITY_LEVELS],
) -> [L; SEVERITY_LEVELS] {
    let mut out = [scale[0].1; SEVERITY_LEVELS];
    let mut i = 1;
    while i < SEVERITY_LEVELS {
        out[i] = scale[i].1;
        i += 1;
    }
    out
}
