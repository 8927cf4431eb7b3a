//! A minimal writer of NumPy `.npy` files (format version 1.0, little endian,
//! C order), for exporting phantoms and fixtures.
//!
//! The header is the magic `\x93NUMPY`, version bytes `1 0`, a little-endian
//! `u16` header length, and an ASCII dict `{'descr': '<f4', 'fortran_order':
//! False, 'shape': (N, H, W), }` padded with spaces and ended by `\n` so that
//! the data starts at a multiple of 64 bytes.

use std::io::Write;
use std::path::Path;

use sensibench_core::{Error, Result};

/// An element type that can be written to `.npy`.
pub trait NpyElement: Copy {
    /// The NumPy dtype descriptor, e.g. `<f4`.
    const DESCR: &'static str;
    /// Appends the little-endian bytes of `self`.
    fn put_le(self, out: &mut Vec<u8>);
}

impl NpyElement for f32 {
    const DESCR: &'static str = "<f4";
    fn put_le(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl NpyElement for u8 {
    const DESCR: &'static str = "|u1";
    fn put_le(self, out: &mut Vec<u8>) {
        out.push(self);
    }
}

/// Encodes `data` of `shape` (C order) as `.npy` bytes; fails if the product
/// of `shape` is not `data.len()` or the header would exceed 65535 bytes.
pub fn encode_npy<T: NpyElement>(shape: &[usize], data: &[T]) -> Result<Vec<u8>> {
    let n: usize = shape.iter().product();
    if n != data.len() {
        return Err(Error::Shape {
            what: "npy data".into(),
            expected: format!("{n} elements for shape {shape:?}"),
            found: data.len().to_string(),
        });
    }
    let shape_txt = match shape.len() {
        1 => format!("({},)", shape[0]),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
        T::DESCR,
        shape_txt
    );
    // magic(6) + version(2) + len(2) + header + '\n' must be a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    let pad = (64 - unpadded % 64) % 64;
    header.extend(std::iter::repeat_n(' ', pad));
    header.push('\n');
    let hlen = u16::try_from(header.len())
        .map_err(|_| Error::Other(format!("npy header too long for shape {shape:?}")))?;
    let mut out = Vec::with_capacity(10 + header.len() + data.len() * 4);
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&hlen.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for &v in data {
        v.put_le(&mut out);
    }
    Ok(out)
}

/// Writes `data` of `shape` to `path` as `.npy` (see [`encode_npy`]).
pub fn write_npy<T: NpyElement>(path: &Path, shape: &[usize], data: &[T]) -> Result<()> {
    let bytes = encode_npy(shape, data)?;
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::create(path).map_err(io)?;
    f.write_all(&bytes).map_err(io)?;
    Ok(())
}
