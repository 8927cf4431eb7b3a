//! A dense `f32` tensor in row-major order, the currency between the harness
//! and model backends (`NCHW` for 2D models, `NCDHW` for 3D ones).

use crate::{Error, Result};

#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    shape: Vec<usize>,
    data: Vec<f32>,
}

impl Tensor {
    /// Wraps `data`; its length must equal the product of `shape`.
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Result<Self> {
        check_len(&shape, data.len())?;
        Ok(Tensor { shape, data })
    }
    pub fn zeros(shape: Vec<usize>) -> Self {
        let n = shape.iter().product();
        Tensor {
            shape,
            data: vec![0.0; n],
        }
    }
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    pub fn data(&self) -> &[f32] {
        &self.data
    }
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }
    pub fn into_data(self) -> Vec<f32> {
        self.data
    }
    /// Elements per item of the leading (batch) axis.
    pub fn item_len(&self) -> usize {
        self.shape.iter().skip(1).product()
    }
    /// The `i`-th item of the batch axis as a slice.
    pub fn item(&self, i: usize) -> &[f32] {
        self.view().item(i)
    }
    /// A borrowed view of the whole tensor.
    pub fn view(&self) -> TensorView<'_> {
        TensorView {
            shape: &self.shape,
            data: &self.data,
        }
    }
}

/// Fails unless `len` is the product of `shape`.
fn check_len(shape: &[usize], len: usize) -> Result<()> {
    let n: usize = shape.iter().product();
    if n != len {
        return Err(Error::Shape {
            what: "tensor data length".into(),
            expected: format!("{n} for shape {shape:?}"),
            found: len.to_string(),
        });
    }
    Ok(())
}

/// A borrowed dense `f32` tensor (row-major), e.g. a model output still in
/// the backend's own memory. Built by [`TensorView::new`], which checks the
/// length against the shape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TensorView<'a> {
    shape: &'a [usize],
    data: &'a [f32],
}

impl<'a> TensorView<'a> {
    /// Views `data`; its length must equal the product of `shape`.
    pub fn new(shape: &'a [usize], data: &'a [f32]) -> Result<Self> {
        check_len(shape, data.len())?;
        Ok(TensorView { shape, data })
    }
    pub fn shape(&self) -> &'a [usize] {
        self.shape
    }
    pub fn data(&self) -> &'a [f32] {
        self.data
    }
    /// Elements per item of the leading (batch) axis.
    pub fn item_len(&self) -> usize {
        self.shape.iter().skip(1).product()
    }
    /// The `i`-th item of the batch axis as a slice.
    pub fn item(&self, i: usize) -> &'a [f32] {
        let n = self.item_len();
        &self.data[i * n..(i + 1) * n]
    }
    /// An owned copy.
    pub fn to_tensor(&self) -> Tensor {
        Tensor {
            shape: self.shape.to_vec(),
            data: self.data.to_vec(),
        }
    }
}

/// The flat index and value of the first NaN or infinity in `data`, if any.
///
/// The common all-finite case is checked in one branch-free pass (which the
/// compiler vectorises) before the element is searched for.
pub fn first_non_finite(data: &[f32]) -> Option<(usize, f32)> {
    let all_finite = data
        .chunks(4096)
        .all(|c| c.iter().fold(true, |ok, v| ok & v.is_finite()));
    if all_finite {
        return None;
    }
    data.iter()
        .position(|v| !v.is_finite())
        .map(|i| (i, data[i]))
}

/// A copy of `data` and whether every value is finite, in one pass: each
/// block is checked while it is still in cache from the copy.
pub fn copy_checking_finite(data: &[f32]) -> (Vec<f32>, bool) {
    let mut out = Vec::with_capacity(data.len());
    let mut finite = true;
    for block in data.chunks(4096) {
        out.extend_from_slice(block);
        finite &= block.iter().fold(true, |ok, v| ok & v.is_finite());
    }
    (out, finite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_non_finite_finds_the_first() {
        assert_eq!(first_non_finite(&[0.0; 10_000]), None);
        let mut v = vec![1.0f32; 10_000];
        v[9_000] = f32::INFINITY;
        v[9_500] = f32::NAN;
        assert_eq!(first_non_finite(&v), Some((9_000, f32::INFINITY)));
        v[3] = f32::NEG_INFINITY;
        assert_eq!(first_non_finite(&v), Some((3, f32::NEG_INFINITY)));
        assert_eq!(first_non_finite(&[]), None);
        let (copy, finite) = copy_checking_finite(&v);
        assert!(!finite && copy.len() == v.len() && copy[..3] == v[..3]);
        let t = Tensor::new(vec![2, 3], vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!(t.view().item(1), &[3.0, 4.0, 5.0]);
        assert_eq!(t.view().to_tensor(), t);
        assert!(TensorView::new(&[2, 2], &[0.0; 3]).is_err());
        let (copy, finite) = copy_checking_finite(&[1.5; 5000]);
        assert!(finite && copy == vec![1.5; 5000]);
    }
}
