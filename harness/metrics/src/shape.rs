//! The grid check shared by the per-class measures ([`crate::seg`],
//! [`crate::clinical`]): two grids of the same dimensionality and sizes.

use sensibench_core::{Error, Grid, Result};

/// `Ok` if the grid of `found` has the dimensionality and sizes of the grid
/// of `expected`; otherwise an [`Error::Shape`] about `what` naming both
/// shapes, each with its dimensionality and role (e.g. `"5x6 (2D
/// reference)"`). Spacing is not compared.
pub(crate) fn check_same_shape(
    what: &str,
    expected: (&Grid, &str),
    found: (&Grid, &str),
) -> Result<()> {
    let ((ge, expected_role), (gf, found_role)) = (expected, found);
    if gf.dims() != ge.dims() || gf.ndim() != ge.ndim() {
        return Err(Error::Shape {
            what: what.to_string(),
            expected: format!("{} ({}D {expected_role})", ge.shape_string(), ge.ndim()),
            found: format!("{} ({}D {found_role})", gf.shape_string(), gf.ndim()),
        });
    }
    Ok(())
}
