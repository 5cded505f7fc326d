//! The search key: how a shop owner's search text and the stored order fields are made
//! comparable, the same way on both sides.
//!
//! Japanese input arrives in many equivalent forms: full-width digits and letters
//! (`５８４０`, `ＯＲＤ`), half-width kana (`ｲﾄｳ`), katakana or hiragana for the same
//! reading, a name typed with or without the space between family and given name, an
//! order number in another letter case. [`search_key`] folds all of them into one form:
//! Unicode NFKC (full-width ASCII to ASCII, half-width kana to full-width), no white space
//! (the ideographic space included), katakana to hiragana, lower case.

use unicode_normalization::UnicodeNormalization;

/// The first and last katakana that have a hiragana counterpart 0x60 code points below
/// (ァ … ヶ; the prolonged sound mark ー is shared by both scripts and stays).
const KATAKANA: std::ops::RangeInclusive<char> = '\u{30A1}'..='\u{30F6}';
const KATAKANA_TO_HIRAGANA: u32 = 0x60;

/// The comparable form of a search text or a stored field.
pub fn search_key(text: &str) -> String {
    text.nfkc()
        .filter(|c| !c.is_whitespace())
        .map(|c| {
            if KATAKANA.contains(&c) {
                char::from_u32(c as u32 - KATAKANA_TO_HIRAGANA).unwrap_or(c)
            } else {
                c
            }
        })
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::search_key;

    #[test]
    fn everyday_forms_of_one_text_share_a_key() {
        let same = [
            // Full-width digits, as an IME types them.
            ("５８４０", "5840"),
            // A name with and without the space (half-width, full-width).
            ("伊藤 さくら", "伊藤さくら"),
            ("伊藤\u{3000}さくら", "伊藤さくら"),
            // Katakana, hiragana and half-width kana.
            ("イトウ サクラ", "いとうさくら"),
            ("ｲﾄｳ ｻｸﾗ", "いとうさくら"),
            ("ヴァイオリン", "ゔぁいおりん"),
            // Letter case and full-width letters of an order number.
            ("ORD-100053", "ord-100053"),
            ("ＯＲＤ－１０００５３", "ord-100053"),
        ];
        for (text, key) in same {
            assert_eq!(search_key(text), key, "{text}");
        }
    }

    #[test]
    fn the_prolonged_sound_mark_and_kanji_stay() {
        assert_eq!(search_key("コーヒー"), "こーひー");
        assert_eq!(search_key("髙橋"), "髙橋");
    }
}
