//! Loaders (PNG/JPEG, NIfTI, DICOM) and deterministic synthetic phantoms.
