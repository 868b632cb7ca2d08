//! Matching form of words: what two spellings of "the same" word have in
//! common in scraped Arabic, French and English news.
//!
//! The original text is never modified; normalised forms are only used for
//! matching (stop words, gazetteers, features, title comparison). The rules:
//!
//! * Unicode NFC (slow path only when a token actually needs it: combining
//!   marks outside Arabic harakat, or a code point outside the common blocks);
//! * lowercase (`char::to_lowercase`, ASCII fast path);
//! * Arabic: tatweel and diacritics (harakat, Quranic marks, superscript
//!   alef) dropped, alef forms أ إ آ ٱ → ا, ى → ي, ة → ه, and the
//!   Persian/Urdu look-alikes ی → ي, ک → ك, ہ/ۃ/ە → ه that Moroccan and Gulf
//!   sites produce with non-Arabic keyboards;
//! * typographic apostrophes ’ ʼ → `'`;
//! * zero-width and bidi control characters (U+200B–U+200F, U+202A–U+202E,
//!   U+2060–U+2064, U+2066–U+2069, U+FEFF, soft hyphen) dropped;
//! * Arabic-Indic (٠-٩), Eastern Arabic-Indic (۰-۹) and full-width digits →
//!   ASCII, Arabic decimal separator ٫ → `.`, thousands separator ٬ → `,`.
//!
//! Why not NFKC: it would rewrite too much (ligatures, superscripts, the
//! Arabic presentation forms are rare in news text) and is much slower.

use super::tokens::{classify, Class};
use unicode_normalization::UnicodeNormalization;

/// Invisible formatting characters that must never influence matching:
/// zero-width space/joiners, LRM/RLM, bidi embeddings/overrides/isolates,
/// word joiner, BOM, soft hyphen.
#[inline]
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}')
}

/// Arabic diacritics and Quranic annotation marks (all non-spacing), which
/// are optional in MSA writing and therefore dropped for matching.
#[inline]
pub fn is_arabic_diacritic(c: char) -> bool {
    matches!(c,
        '\u{0610}'..='\u{061A}'
        | '\u{064B}'..='\u{065F}'
        | '\u{0670}'
        | '\u{06D6}'..='\u{06DC}'
        | '\u{06DF}'..='\u{06E4}'
        | '\u{06E7}'..='\u{06E8}'
        | '\u{06EA}'..='\u{06ED}')
}

/// Tatweel (kashida): pure typographic stretching.
pub const TATWEEL: char = '\u{0640}';

/// Decimal value of a digit in ASCII, Arabic-Indic, Eastern Arabic-Indic or
/// full-width form.
#[inline]
pub fn digit_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '\u{0660}'..='\u{0669}' => Some(c as u32 - 0x0660),
        '\u{06F0}'..='\u{06F9}' => Some(c as u32 - 0x06F0),
        '\u{FF10}'..='\u{FF19}' => Some(c as u32 - 0xFF10),
        _ => None,
    }
}

/// Matching form of every code point of the Arabic block U+0600–U+06FF
/// (0 = dropped), computed at compile time: the Arabic path of
/// [`normalize_into`] is one table load per character.
const AR_MAP: [u32; 256] = build_ar_map();

const fn build_ar_map() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0u32;
    while i < 256 {
        let cp = 0x0600 + i;
        t[i as usize] = match cp {
            0x0622 | 0x0623 | 0x0625 | 0x0671 | 0x0672 | 0x0673 => 0x0627,
            0x0649 | 0x06CC => 0x064A,
            0x0629 | 0x06C1 | 0x06C3 | 0x06D5 => 0x0647,
            0x06A9 => 0x0643,
            0x0660..=0x0669 => cp - 0x0660 + 0x30,
            0x06F0..=0x06F9 => cp - 0x06F0 + 0x30,
            0x066B => '.' as u32,
            0x066C => ',' as u32,
            0x0640 => 0,
            0x0610..=0x061A
            | 0x064B..=0x065F
            | 0x0670
            | 0x06D6..=0x06DC
            | 0x06DF..=0x06E4
            | 0x06E7..=0x06E8
            | 0x06EA..=0x06ED => 0,
            _ => cp,
        };
        i += 1;
    }
    t
}

/// Which code points of U+0600–U+063F (`[0]`) and U+0640–U+067F (`[1]`)
/// [`normalize_into`] changes or drops (bit `cp & 0x3F`), derived from
/// [`AR_MAP`] at compile time. The tokenizer ORs these bits while it scans
/// an Arabic word (lead byte 0xD8 / 0xD9): a word with no bit set is its
/// own norm and is copied as is, which skips the per-character mapping
/// for most Arabic words. (U+0653–U+0655, which need NFC, are among the
/// changed ones, so they always take the full path.)
pub(crate) const AR_CHANGES: [u64; 2] = build_ar_changes();

const fn build_ar_changes() -> [u64; 2] {
    let mut m = [0u64; 2];
    let mut i = 0usize;
    while i < 128 {
        if AR_MAP[i] != 0x0600 + i as u32 {
            m[i / 64] |= 1 << (i % 64);
        }
        i += 1;
    }
    m
}

/// Map one (already NFC, not yet lowercased) character to its matching form
/// and append it; returns nothing because a character may vanish.
#[inline]
fn push_mapped(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    let cp = c as u32;
    if (0x0600..=0x06FF).contains(&cp) {
        // Arabic block: no case; fold spelling variants (table).
        let m = AR_MAP.get((cp - 0x0600) as usize).copied().unwrap_or(cp);
        if m != 0 {
            if let Some(m) = char::from_u32(m) {
                out.push(m);
            }
        }
        return;
    }
    if is_invisible(c) {
        return;
    }
    if matches!(c, '\u{2019}' | '\u{02BC}') {
        // typographic apostrophes match the ASCII one (l’État = l'État)
        out.push('\'');
        return;
    }
    if let Some(d) = digit_value(c) {
        out.push(char::from_u32(0x30 + d).unwrap_or('0'));
        return;
    }
    if c.is_lowercase() || !c.is_uppercase() {
        out.push(c);
    } else {
        out.extend(c.to_lowercase());
    }
}

/// True if `c` can be mapped without a prior NFC pass: ASCII, Latin-1 and
/// Latin Extended-A letters (all NFC-stable), the Arabic block except the
/// combining hamza/madda (U+0653–U+0655) that compose with alef/waw/yeh, and
/// General Punctuation except EN QUAD / EM QUAD (U+2000, U+2001): those two
/// have singleton canonical decompositions (NFC turns them into U+2002 /
/// U+2003), so treating them as stable made `fold` depend on whether another
/// character of the same word forced the NFC path, and `fold(fold(s))`
/// differ from `fold(s)` (found by the `normalize_is_idempotent` property).
#[inline]
fn nfc_trivial(c: char) -> bool {
    let cp = c as u32;
    cp < 0x0300
        || ((0x0600..=0x06FF).contains(&cp) && !(0x0653..=0x0655).contains(&cp))
        || is_invisible(c)
        || (0x2002..=0x206F).contains(&cp)
}

/// Append the matching form of `word` to `out` (see the module doc).
///
/// Works on any string (a token, a line, a whole title); whitespace is
/// kept as is. This is THE function to use wherever a form must equal the
/// `norm` of a [`super::Token`] (gazetteers, CoNLL training tokens).
pub fn normalize_into(word: &str, out: &mut String) {
    let base = out.len();
    if word.is_ascii() {
        out.push_str(word);
        if let Some(s) = out.get_mut(base..) {
            s.make_ascii_lowercase();
        }
        return;
    }
    out.reserve(word.len());
    // Optimistic single pass over the bytes, copying runs of unchanged
    // characters (most Arabic letters, lowercase Latin) in one go. Arabic
    // (two-byte U+0600–U+06FF) is mapped straight from the bytes through
    // AR_MAP. Restart through NFC only when a character that NFC could
    // change shows up (rare in news text).
    let bytes = word.as_bytes();
    let mut run = 0usize;
    let mut i = 0usize;
    while let Some(&b0) = bytes.get(i) {
        if b0 < 0x80 {
            if b0.is_ascii_uppercase() {
                out.push_str(word.get(run..i).unwrap_or(""));
                out.push(b0.to_ascii_lowercase() as char);
                run = i + 1;
            }
            i += 1;
            continue;
        }
        if (0xD8..=0xDB).contains(&b0) {
            let b1 = bytes.get(i + 1).copied().unwrap_or(0);
            let cp = ((b0 as u32 & 0x1F) << 6) | (b1 as u32 & 0x3F);
            let m = AR_MAP
                .get((cp.wrapping_sub(0x0600)) as usize)
                .copied()
                .unwrap_or(cp);
            if m == cp {
                i += 2;
                continue;
            }
            if !(0x0653..=0x0655).contains(&cp) {
                out.push_str(word.get(run..i).unwrap_or(""));
                if let Some(m) = char::from_u32(m).filter(|_| m != 0) {
                    out.push(m);
                }
                i += 2;
                run = i;
                continue;
            }
        }
        // General path: decode one character.
        let Some(c) = word.get(i..).and_then(|r| r.chars().next()) else {
            break;
        };
        if !nfc_trivial(c) {
            out.truncate(base);
            for c in word.nfc() {
                push_mapped(c, out);
            }
            return;
        }
        out.push_str(word.get(run..i).unwrap_or(""));
        push_mapped(c, out);
        i += c.len_utf8();
        run = i;
    }
    out.push_str(word.get(run..).unwrap_or(""));
}

/// [`normalize_into`] for a word the tokenizer scanned as one fast letter
/// run: ASCII letters and two-byte U+0600–U+067F only. Same output, without
/// the general path's checks. Returns false, with `out` unchanged, when the
/// word is not of that shape or needs NFC (combining hamza/madda
/// U+0653–U+0655): then the caller uses [`normalize_into`].
pub(crate) fn normalize_letter_run(word: &str, out: &mut String) -> bool {
    let base = out.len();
    let bytes = word.as_bytes();
    let mut run = 0usize;
    let mut i = 0usize;
    while let Some(&b0) = bytes.get(i) {
        if b0 < 0x80 {
            if b0.is_ascii_uppercase() {
                out.push_str(word.get(run..i).unwrap_or(""));
                out.push(b0.to_ascii_lowercase() as char);
                run = i + 1;
            }
            i += 1;
            continue;
        }
        let Some(&b1) = bytes.get(i + 1).filter(|_| b0 & 0xFE == 0xD8) else {
            out.truncate(base);
            return false;
        };
        let idx = (usize::from(b0 & 1) << 6) | usize::from(b1 & 0x3F);
        let cp = 0x0600 + idx as u32;
        let m = AR_MAP.get(idx).copied().unwrap_or(cp);
        if m != cp {
            if (0x0653..=0x0655).contains(&cp) {
                out.truncate(base);
                return false;
            }
            out.push_str(word.get(run..i).unwrap_or(""));
            if let Some(m) = char::from_u32(m).filter(|_| m != 0) {
                out.push(m);
            }
            run = i + 2;
        }
        i += 2;
    }
    out.push_str(word.get(run..).unwrap_or(""));
    true
}

/// Convenience: the matching form of `s` as a new `String`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    normalize_into(s, &mut out);
    out
}

/// A comparison key for whole lines (title vs. first line, repeated title):
/// the matching form of every letter/digit run, joined by single spaces, so
/// punctuation, quotes and spacing differences do not matter.
pub fn line_key(s: &str) -> String {
    let folded = fold(s);
    let mut out = String::with_capacity(folded.len());
    let mut pending_space = false;
    for c in folded.chars() {
        if matches!(classify(c), Class::Letter | Class::Digit) {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        } else if !is_arabic_diacritic(c) {
            pending_space = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_lowercase() {
        assert_eq!(fold("Rabat U.S."), "rabat u.s.");
    }

    #[test]
    fn arabic_folding() {
        // alef forms, alef maqsura, teh marbuta, tatweel, harakat
        assert_eq!(fold("أحمد"), "احمد");
        assert_eq!(fold("إسبانيا"), "اسبانيا");
        assert_eq!(fold("آمال"), "امال");
        assert_eq!(fold("ٱلله"), "الله");
        assert_eq!(fold("مصطفى"), "مصطفي");
        assert_eq!(fold("المدينة"), "المدينه");
        assert_eq!(fold("الـمـغـرب"), "المغرب");
        assert_eq!(fold("مُحَمَّدٌ"), "محمد");
        // Persian look-alikes
        assert_eq!(fold("کتاب"), "كتاب");
        assert_eq!(fold("علی"), "علي");
    }

    /// EN QUAD / EM QUAD normalise like NFC does whether or not another
    /// character of the word forces the NFC path (a lowercase Ⱥ is ⱥ,
    /// U+2C65, which does): before the fix the first fold kept U+2000 and the
    /// second turned it into U+2002.
    #[test]
    fn quad_spaces_fold_the_same_on_both_paths() {
        for s in [
            "\u{2000}",
            "a\u{2000}b",
            "Ⱥ\u{2000}",
            "\u{2001}x",
            "ⱥ\u{2001}",
        ] {
            let once = fold(s);
            assert_eq!(fold(&once), once, "{s:?}");
            assert!(
                !once.contains(['\u{2000}', '\u{2001}']),
                "{s:?} -> {once:?}"
            );
        }
        assert_eq!(fold("Ⱥ\u{2000}"), fold("ⱥ\u{2000}"));
    }

    #[test]
    fn invisible_and_digits() {
        assert_eq!(
            fold("ab\u{200B}c\u{200F}d\u{202E}e\u{2066}f\u{FEFF}"),
            "abcdef"
        );
        assert_eq!(fold("٢٠٢٤"), "2024");
        assert_eq!(fold("۱۲۳"), "123");
        assert_eq!(fold("٣٫٥"), "3.5");
        assert_eq!(fold("１２"), "12");
    }

    #[test]
    fn nfc_and_case() {
        // e + combining acute -> é
        assert_eq!(fold("E\u{0301}TAT"), "état");
        assert_eq!(fold("ÉTAT"), "état");
        assert_eq!(fold("État"), fold("E\u{0301}tat"));
        // alef + combining hamza above composes to أ then folds to ا
        assert_eq!(fold("\u{0627}\u{0654}حمد"), "احمد");
        assert_eq!(fold("ΣΟΦΙΑ"), "σοφια");
    }

    #[test]
    fn line_keys() {
        assert_eq!(
            line_key("  «Le Maroc», et l'Espagne !"),
            "le maroc et l espagne"
        );
        assert_eq!(line_key("الـمغرب، وإسبانيا"), line_key("المغرب وإسبانيا"));
    }
}
