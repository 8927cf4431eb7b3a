//! Resizing of images, label maps and score maps to a model's input size.
//!
//! Every `(y, x)` plane is resized on its own (the depth of a volume is kept).
//! Conventions, shared by all functions here:
//! - Pixel centres are aligned (the "half-pixel" convention): output pixel
//!   `j` of `n_out` looks at input coordinate `u = (j + 0.5)·n_in/n_out − 0.5`.
//! - Intensities and scores are interpolated bilinearly with edge samples
//!   repeated beyond the outermost centres, exactly
//!   `torch.nn.functional.interpolate(mode='bilinear', align_corners=False,
//!   antialias=False)` (= `scipy.ndimage.zoom(order=1, grid_mode=True,
//!   mode='nearest')`). Shrinking by more than 2× therefore aliases, as it
//!   does in the usual PyTorch preprocessing.
//! - Labels take the nearest input pixel `floor((j + 0.5)·n_in/n_out)`
//!   (`interpolate(mode='nearest-exact')`).
//! - The physical extent is kept: the new spacing is
//!   `spacing · n_in / n_out` per resized axis.

use sensibench_core::{Error, Grid, Image, LabelMap, Result};

use crate::interp::{LineOperator, apply_along_axis, nearest_resize_indices};

/// The grid of `grid` resized in-plane to `height × width`, extent kept.
fn resized_grid(grid: &Grid, height: usize, width: usize) -> Result<Grid> {
    if height == 0 || width == 0 {
        return Err(Error::invalid(
            "resize target",
            format!("{height}x{width}"),
            "a height and width of at least 1 pixel",
        ));
    }
    let [d, h, w] = grid.dims();
    let [sz, sy, sx] = grid.spacing();
    grid.with_dims_spacing(
        [d, height, width],
        [
            sz,
            sy * h as f64 / height as f64,
            sx * w as f64 / width as f64,
        ],
    )
}

/// Bilinear in-plane resizing of every plane of `data` (sizes `dims`).
fn resize_planes(data: &[f32], dims: [usize; 3], height: usize, width: usize) -> Vec<f32> {
    let [d, h, w] = dims;
    let rows = LineOperator::linear_resize(h, height);
    let cols = LineOperator::linear_resize(w, width);
    // Shrink first along the axis that shrinks most, so the second pass is smaller.
    let (first, second) = if height * w <= h * width {
        ((1, &rows), (2, &cols))
    } else {
        ((2, &cols), (1, &rows))
    };
    let (tmp, tmp_dims) = apply_along_axis(data, [d, h, w], first.0, first.1);
    apply_along_axis(&tmp, tmp_dims, second.0, second.1).0
}

/// Resizes every plane of `image` to `height × width` bilinearly (see the
/// module conventions); spacing scales so the physical extent is kept.
/// Fails if a target size is 0.
pub fn resize_image(image: &Image, height: usize, width: usize) -> Result<Image> {
    let grid = resized_grid(image.grid(), height, width)?;
    if grid.dims() == image.grid().dims() {
        return Ok(image.clone());
    }
    let data = resize_planes(image.data(), image.grid().dims(), height, width);
    Image::new(grid, data)
}

/// Resizes every plane of `labels` to `height × width` by nearest neighbour
/// (`floor((j + 0.5)·n_in/n_out)`); spacing scales so the extent is kept.
/// Fails if a target size is 0.
pub fn resize_labels(labels: &LabelMap, height: usize, width: usize) -> Result<LabelMap> {
    let grid = resized_grid(labels.grid(), height, width)?;
    if grid.dims() == labels.grid().dims() {
        return Ok(labels.clone());
    }
    let [d, h, w] = labels.grid().dims();
    let rows = nearest_resize_indices(h, height);
    let cols = nearest_resize_indices(w, width);
    let src = labels.data();
    let mut data = Vec::with_capacity(d * height * width);
    for z in 0..d {
        for (k, &y) in rows.iter().enumerate() {
            if k > 0 && rows[k - 1] == y {
                // the same source row again (upsampling): copy the row just made
                let start = data.len() - width;
                data.extend_from_within(start..);
                continue;
            }
            let row = &src[(z * h + y) * w..(z * h + y + 1) * w];
            data.extend(cols.iter().map(|&x| row[x]));
        }
    }
    LabelMap::new(grid, data)
}

/// Resizes one `h × w` plane of scores (row-major) to `new_h × new_w`
/// bilinearly, with the module conventions.
///
/// # Panics
/// If `data.len() != h * w` or any size is 0: the caller owns these sizes
/// (they come from a checked model output), so a mismatch is a bug.
pub fn resize_plane_f32(data: &[f32], h: usize, w: usize, new_h: usize, new_w: usize) -> Vec<f32> {
    assert!(
        h > 0 && w > 0 && new_h > 0 && new_w > 0 && data.len() == h * w,
        "resize_plane_f32: {} values for a {h}x{w} plane resized to {new_h}x{new_w}",
        data.len()
    );
    if (h, w) == (new_h, new_w) {
        return data.to_vec();
    }
    resize_planes(data, [1, h, w], new_h, new_w)
}
