//! How a model (or pretraining source) looks in every chart: its colour from
//! the Okabe–Ito palette, its marker shape, its table swatch, and the style
//! index that picks both from the report-wide list.

/// The Okabe–Ito palette in the order lines use it (yellow last: it is the
/// hardest to see on white).
pub const OKABE_ITO: [&str; 8] = [
    "#0072B2", // blue
    "#D55E00", // vermillion
    "#009E73", // bluish green
    "#CC79A7", // reddish purple
    "#E69F00", // orange
    "#56B4E9", // sky blue
    "#000000", // black
    "#F0E442", // yellow
];

/// The number of marker shapes ([`marker_path`] cycles through them).
pub const MARKER_SHAPES: usize = 5;

/// The colour of the model at `index` in the report-wide model list.
pub fn model_colour(index: usize) -> &'static str {
    OKABE_ITO[index % OKABE_ITO.len()]
}

/// An SVG path (centred on 0,0) of marker shape `index % MARKER_SHAPES`:
/// circle, square, triangle up, diamond, triangle down.
pub fn marker_path(index: usize, size: f64) -> String {
    let s = size;
    match index % MARKER_SHAPES {
        0 => format!(
            "M{:.2},0a{s:.2},{s:.2} 0 1,0 {:.2},0a{s:.2},{s:.2} 0 1,0 {:.2},0z",
            -s,
            2.0 * s,
            -2.0 * s
        ),
        1 => {
            let h = s * 0.88;
            format!(
                "M{:.2},{:.2}h{:.2}v{:.2}h{:.2}z",
                -h,
                -h,
                2.0 * h,
                2.0 * h,
                -2.0 * h
            )
        }
        2 => {
            let h = s * 1.2;
            format!(
                "M0,{:.2}L{:.2},{:.2}L{:.2},{:.2}z",
                -h,
                h * 0.9,
                h * 0.7,
                -h * 0.9,
                h * 0.7
            )
        }
        3 => {
            let h = s * 1.25;
            format!("M0,{:.2}L{h:.2},0L0,{h:.2}L{:.2},0z", -h, -h)
        }
        _ => {
            let h = s * 1.2;
            format!(
                "M0,{h:.2}L{:.2},{:.2}L{:.2},{:.2}z",
                h * 0.9,
                -h * 0.7,
                -h * 0.9,
                -h * 0.7
            )
        }
    }
}

/// A 30×12 inline SVG of the style's line and marker (for tables and keys).
pub(crate) fn swatch(index: usize) -> String {
    let c = model_colour(index);
    format!(
        r#"<svg class="swatch" viewBox="0 0 30 12" width="30" height="12" aria-hidden="true"><path d="M2,6h26" stroke="{c}" stroke-width="2"/><path transform="translate(15,6)" d="{}" stroke="{c}" fill="{c}"/></svg>"#,
        marker_path(index, 3.3)
    )
}

/// The style index of each of `names`: its position in the report-wide
/// `listed` names, else the next free index after them (the same name
/// twice gets the same index).
pub(crate) fn style_indices<'a>(
    names: impl IntoIterator<Item = &'a str>,
    listed: &[String],
) -> Vec<usize> {
    let mut extra: Vec<&str> = Vec::new();
    names
        .into_iter()
        .map(|name| {
            if let Some(i) = listed.iter().position(|m| m == name) {
                i
            } else if let Some(i) = extra.iter().position(|m| *m == name) {
                listed.len() + i
            } else {
                extra.push(name);
                listed.len() + extra.len() - 1
            }
        })
        .collect()
}

/// The positions `0..styles.len()` in increasing style (stable), the
/// report-wide order every legend reads in.
pub(crate) fn in_style_order(styles: &[usize]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..styles.len()).collect();
    order.sort_by_key(|&k| styles[k]);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_names_keep_their_index_and_others_follow() {
        let listed = ["a".to_string(), "b".to_string()];
        let styles = style_indices(["b", "x", "a", "x", "y"], &listed);
        assert_eq!(styles, vec![1, 2, 0, 2, 3]);
        assert_eq!(in_style_order(&styles), vec![2, 0, 1, 3, 4]);
        assert_eq!(model_colour(OKABE_ITO.len() + 1), OKABE_ITO[1]);
        assert!(swatch(0).contains(r##"stroke="#0072B2""##));
    }
}
