//! The perturbation library: geometric, intensity and noise perturbations.
