//! Embedding PNGs in the pages: the check that a payload is pure base64 (so
//! it cannot break out of an attribute) and the `data:` URI made from it.

/// Whether `s` is a non-empty string of the standard base64 alphabet.
pub(crate) fn is_base64(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
}

/// `data:image/png;base64,…` when the payload is pure base64, else `None`.
pub(crate) fn png_data_uri(png_base64: &str) -> Option<String> {
    is_base64(png_base64).then(|| format!("data:image/png;base64,{png_base64}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pure_base64_is_embedded() {
        assert!(is_base64("iVBORw0KGgo="));
        assert!(!is_base64("\" onerror=\"x"));
        assert!(!is_base64(""));
        assert_eq!(
            png_data_uri("AAAA").as_deref(),
            Some("data:image/png;base64,AAAA")
        );
        assert_eq!(png_data_uri("<x>"), None);
    }
}
