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
        let n: usize = shape.iter().product();
        if n != data.len() {
            return Err(Error::Shape {
                what: "tensor data length".into(),
                expected: format!("{n} for shape {shape:?}"),
                found: data.len().to_string(),
            });
        }
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
        let n = self.item_len();
        &self.data[i * n..(i + 1) * n]
    }
}
