"""The L/R side-marker glyph of sensibench, in numpy: the reference the Rust
`marker_inject` perturbation (harness/perturb/src/marker.rs) matches exactly,
and what the shortcut models' training scripts burn into their images.

Convention (shared with Rust, change both together):
- Glyphs are 5 x 7 bitmaps (GLYPHS below). A glyph of height `size` px
  (>= 7) is `width = (5 * size + 3) // 7` px wide; glyph pixel (y, x) is on
  when GLYPHS[g][(y * 7) // size][(x * 5) // width] == '1'.
- The marker region is the glyph plus `pad` px on each side:
  `(size + 2 pad) x (width + 2 pad)`. Its top-left corner is `(margin, margin)`
  for `top_left`, `(margin, W - margin - region_w)` for `top_right`,
  `(H - margin - region_h, margin)` for `bottom_left`,
  `(H - margin - region_h, W - margin - region_w)` for `bottom_right`, or
  an explicit `(y, x)`. The region must lie inside the image.
- With `lo, hi` the image's min and max (computed once, before drawing):
  if `box`, every region pixel is set to `lo + box_intensity * (hi - lo)`;
  then every on-pixel of the glyph (offset by `pad`) is set to
  `lo + intensity * (hi - lo)`. Arithmetic in float64, stored as float32.
- The record of an injection is the region as `(y0, x0, y1, x1)`, end
  exclusive; the Rust perturbation writes it into the sample's region mask.
"""

import numpy as np

GLYPHS = {
    "L": [
        "10000",
        "10000",
        "10000",
        "10000",
        "10000",
        "10000",
        "11111",
    ],
    "R": [
        "11110",
        "10001",
        "10001",
        "11110",
        "10100",
        "10010",
        "10001",
    ],
}

CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")


def glyph_mask(glyph: str, size: int) -> np.ndarray:
    """The on-pixels of `glyph` at height `size` (bool, size x width)."""
    if glyph not in GLYPHS:
        raise ValueError(f"glyph {glyph!r}: expected one of {sorted(GLYPHS)}")
    if size < 7:
        raise ValueError(f"size {size}: expected >= 7 px")
    width = (5 * size + 3) // 7
    rows = GLYPHS[glyph]
    out = np.zeros((size, width), dtype=bool)
    for y in range(size):
        for x in range(width):
            out[y, x] = rows[(y * 7) // size][(x * 5) // width] == "1"
    return out


def region(shape, size, corner="top_left", margin=2, pad=2, position=None):
    """The marker region `(y0, x0, y1, x1)` (end exclusive) in an image of `shape`."""
    h, w = shape
    width = (5 * size + 3) // 7
    rh, rw = size + 2 * pad, width + 2 * pad
    if position is not None:
        y0, x0 = position
    elif corner == "top_left":
        y0, x0 = margin, margin
    elif corner == "top_right":
        y0, x0 = margin, w - margin - rw
    elif corner == "bottom_left":
        y0, x0 = h - margin - rh, margin
    elif corner == "bottom_right":
        y0, x0 = h - margin - rh, w - margin - rw
    else:
        raise ValueError(f"corner {corner!r}: expected one of {CORNERS}")
    if y0 < 0 or x0 < 0 or y0 + rh > h or x0 + rw > w:
        raise ValueError(f"marker region {rh}x{rw} at ({y0}, {x0}) does not fit a {h}x{w} image")
    return (y0, x0, y0 + rh, x0 + rw)


def inject(image, glyph="L", size=9, corner="top_left", margin=2, pad=2, position=None,
           intensity=1.0, box=False, box_intensity=0.0):
    """Returns (marked image as float32, region)."""
    img = np.asarray(image, dtype=np.float32)
    lo, hi = float(img.min()), float(img.max())
    y0, x0, y1, x1 = region(img.shape, size, corner, margin, pad, position)
    out = img.copy()
    if box:
        out[y0:y1, x0:x1] = np.float32(lo + box_intensity * (hi - lo))
    m = glyph_mask(glyph, size)
    gy, gx = y0 + pad, x0 + pad
    sub = out[gy:gy + m.shape[0], gx:gx + m.shape[1]]
    sub[m] = np.float32(lo + intensity * (hi - lo))
    return out, (y0, x0, y1, x1)
