//! The null model and the model-file hash.

use std::io::Write;

use sensibench_backends::{NullModel, sha256_file};
use sensibench_core::{Batch, Model, Tensor};

#[test]
fn null_model_returns_the_reference() {
    let mut m = NullModel::new("null");
    assert!(m.needs_reference());
    assert_eq!(m.name(), "null");
    let input = Tensor::zeros(vec![1, 1, 2, 2]);
    let reference = Tensor::new(vec![1, 1, 2, 2], vec![0.0, 1.0, 2.0, 3.0]).expect("tensor");
    let out = m
        .predict(&Batch {
            input: &input,
            reference: Some(&reference),
        })
        .expect("reference given");
    assert_eq!(out, reference);
    let err = m
        .predict(&Batch {
            input: &input,
            reference: None,
        })
        .expect_err("no reference")
        .to_string();
    assert!(err.contains("model `null`"), "{err}");
    assert!(err.contains("has none"), "{err}");
}

#[test]
fn sha256_matches_known_digests() {
    // FIPS 180-2 test vectors: "abc" and the empty message.
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(b"abc").expect("write");
    f.flush().expect("flush");
    assert_eq!(
        sha256_file(f.path()).expect("hash"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let empty = tempfile::NamedTempFile::new().expect("temp file");
    assert_eq!(
        sha256_file(empty.path()).expect("hash"),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    // A file larger than the 64 KiB read buffer: 100000 bytes of 'a'
    // (digest from `python3 -c "import hashlib;print(hashlib.sha256(b'a'*100000).hexdigest())"`).
    let mut big = tempfile::NamedTempFile::new().expect("temp file");
    big.write_all(&[b'a'; 100_000]).expect("write");
    big.flush().expect("flush");
    assert_eq!(sha256_file(big.path()).expect("hash"), BIG_A);
    let err = sha256_file(std::path::Path::new("/nonexistent/model.onnx"))
        .expect_err("missing")
        .to_string();
    assert!(err.contains("/nonexistent/model.onnx"), "{err}");
}

const BIG_A: &str = "6d1cf22d7cc09b085dfc25ee1a1f3ae0265804c607bc2074ad253bcc82fd81ee";
