//! Segmentation metrics (Dice, IoU, Hausdorff, HD95, ASSD, RMS) with exact Euclidean distance transforms.
