//! Text folding for search: "Tỉnh Hà Tĩnh" and "ha tinh" meet at "tinh ha tinh".

use unicode_normalization::UnicodeNormalization;

/// Lower-cases, strips diacritics (đ → d included), turns punctuation into
/// spaces and collapses runs of spaces, so that names match with or without
/// tone marks and whatever tone placement (Hoà / Hòa) a source used.
pub fn fold(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut pending_space = false;
    for ch in input.nfd() {
        if unicode_normalization::char::is_combining_mark(ch) {
            continue;
        }
        let ch = match ch {
            'đ' | 'Đ' => 'd',
            c => c,
        };
        if ch.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(ch.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_vietnamese_names() {
        assert_eq!(fold("Tỉnh Hà Tĩnh"), "tinh ha tinh");
        assert_eq!(fold("  HÀ   tĩnh "), "ha tinh");
        assert_eq!(fold("Thành phố Đà Nẵng"), "thanh pho da nang");
        assert_eq!(fold("Hoà"), fold("Hòa"));
        assert_eq!(fold("Phường B’Lao"), "phuong b lao");
        assert_eq!(fold("Xã Thạch Kênh"), "xa thach kenh");
    }
}
