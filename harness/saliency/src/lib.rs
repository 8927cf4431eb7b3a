//! Saliency maps for classifiers and how much of them falls on a region.
//!
//! Conventions of the project: a classifier takes `N x 1 x H x W` images and
//! returns `N x C` logits; a model that supports CAM/CRM ends with a last
//! convolutional block giving feature maps `F` (`K x h x w` per item), global
//! average pooling (GAP) and one linear head (weight `C x K` row-major, bias
//! `C`).
//!
//! - [`occlusion`]: occlusion sensitivity (Zeiler & Fergus 2014), model
//!   agnostic, through a probability callback.
//! - [`crm`]: Class-selective Relevance Mapping (Kim et al. 2019) in closed
//!   form for a GAP + linear head; [`cam`]: Class Activation Mapping (Zhou et
//!   al. 2016). Both upsampled with [`upsample_bilinear`] (exactly
//!   `torch.nn.functional.interpolate(mode="bilinear", align_corners=False)`).
//! - [`class_mean_maps`], [`to_unit`]: averaging and display normalisation.
//! - Localisation against a region: [`relevance_mass_accuracy`],
//!   [`relevance_rank_accuracy`], [`pointing_game`] (all on `R⁺ = max(R, 0)`
//!   semantics; see each function).
//!
//! Grad-CAM needs autograd and lives in the TorchScript backend
//! (`sensibench_backends_tch::gradcam`).

mod cam;
mod localisation;
mod map;
mod occlusion;

pub use cam::{cam, crm};
pub use localisation::{
    check_region, pointing_game, relevance_mass_accuracy, relevance_rank_accuracy,
};
pub use map::{SaliencyMap, class_mean_maps, to_unit, upsample_bilinear};
pub use occlusion::occlusion;
