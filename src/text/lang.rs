//! Language identification: ar / fr / en, `Und` for anything else.
//!
//! Two cheap signals, computed on the tokens the pipeline produces anyway:
//! * script shares of letters (Arabic vs Latin vs other): decides Arabic,
//!   and is robust to a few Latin names or acronyms inside Arabic text;
//!   Persian/Urdu (Arabic script with their own letters and no ة/ى) → `Und`;
//! * for Latin text, stop-word hit rates for French and English against
//!   Spanish, German, Italian, Portuguese and Dutch, plus diacritics, so a
//!   Spanish article is `Und` instead of "the closest of fr/en".
//!
//! Only the first [`MAX_TOKENS`] word tokens are looked at: enough for a
//! stable decision, and constant cost on megabyte inputs.

use super::data::{word_flags, L_AR, L_DE, L_EN, L_ES, L_FR, L_IT, L_NL, L_PT, W_AR_PLAIN};
use super::tokens::{classify, is_arabic_letter, is_latin_letter, Class};
use super::{Lang, Token, TokenKind};

/// Word tokens sampled for detection.
pub const MAX_TOKENS: usize = 600;

/// Counts gathered from word tokens.
#[derive(Clone, Debug, Default)]
pub struct LangStats {
    pub words: u32,
    pub arabic_letters: u32,
    /// Letters only Persian/Urdu use (پ چ ژ گ ی ک ے ں ٹ ڈ ڑ ھ ۀ).
    pub persian_letters: u32,
    /// Letters Persian does not use but Arabic does (ة ى).
    pub arabic_only: u32,
    pub latin_letters: u32,
    pub other_letters: u32,
    pub latin_words: u32,
    /// Stop-word hits: ar, en, fr, es, de, it, pt, nl. A word that is a
    /// stop word in k languages counts 1/k for each ("a", "de", "in" are
    /// shared), so shared words cannot force a tie.
    pub hits: [f32; 8],
    /// Words with English-looking spelling (th, wh, w, k, -ing, -ed): weak
    /// evidence used only when no stop word decides (headlines).
    pub en_cues: u32,
    /// Words with French-looking spelling (-eau, -eux, -aux, qu').
    pub fr_cues: u32,
    /// Latin words with French-only diacritics (è ê à ç ù â î ô û œ ë ï).
    pub fr_diacritics: u32,
    /// Latin words with diacritics French never uses (ñ ã õ á í ó ú ß ä ö å ø).
    pub foreign_diacritics: u32,
}

const BITS: [u16; 8] = [L_AR, L_EN, L_FR, L_ES, L_DE, L_IT, L_PT, L_NL];

impl LangStats {
    /// Add one word token given its original text and its norm.
    pub fn add_word(&mut self, raw: &str, norm: &str) {
        self.add_word_flags(raw, word_flags(norm));
    }

    /// [`LangStats::add_word`] with the word-table flags already looked up.
    pub fn add_word_flags(&mut self, raw: &str, flags: u16) {
        self.words += 1;
        let langs = (flags & 0xFF).count_ones();
        if langs != 0 {
            let w = 1.0 / langs as f32;
            for (i, b) in BITS.iter().enumerate() {
                if flags & b != 0 {
                    self.hits[i] += w;
                }
            }
        }
        if flags & W_AR_PLAIN != 0 {
            // The tokenizer vouches: Arabic first letter, only U+0621–U+065F
            // and ASCII letters, so the Arabic branch below without its
            // Persian scan (which would find nothing).
            let b = raw.as_bytes();
            self.arabic_letters += (b.len() / 2) as u32;
            if b.ends_with(&[0xD8, 0xA9]) || b.ends_with(&[0xD9, 0x89]) {
                self.arabic_only += 1;
            }
            return;
        }
        if raw.is_ascii() {
            self.latin_letters += raw.bytes().filter(|b| b.is_ascii_alphabetic()).count() as u32;
            self.spelling_cues(raw);
            self.latin_words += 1;
            return;
        }
        let Some(first) = raw.chars().next() else {
            return;
        };
        if is_arabic_letter(first) {
            // Byte-level: Arabic letters are two-byte sequences; Persian/Urdu
            // letters are led by 0xDA/0xDB (or are پ U+067E / ٹ U+0679), so
            // only words with those bytes get a per-character look; ة and ى
            // are word-final in practice, so only the last letter is checked.
            let b = raw.as_bytes();
            self.arabic_letters += (b.len() / 2) as u32;
            // ة U+0629 = D8 A9, ى U+0649 = D9 89
            if b.ends_with(&[0xD8, 0xA9]) || b.ends_with(&[0xD9, 0x89]) {
                self.arabic_only += 1;
            }
            // پ U+067E = D9 BE and ٹ U+0679 = D9 B9 are the only listed
            // letters outside U+0680–U+06FF (lead bytes DA/DB). Testing the
            // byte pairs (not a lone 0xB9, the tail of the common ع) keeps
            // the per-character look to the words that may need it.
            let maybe_persian = b
                .iter()
                .any(|&x| x == 0xDA || x == 0xDB || x == 0xBE || x == 0xB9)
                && b.windows(2)
                    .any(|w| matches!(w, [0xDA | 0xDB, _] | [0xD9, 0xBE | 0xB9]));
            if maybe_persian {
                for c in raw.chars() {
                    if matches!(
                        c,
                        'پ' | 'ٹ'
                            | 'چ'
                            | 'ژ'
                            | 'گ'
                            | 'ی'
                            | 'ک'
                            | 'ے'
                            | 'ں'
                            | 'ڈ'
                            | 'ڑ'
                            | 'ھ'
                            | 'ۀ'
                    ) {
                        self.persian_letters += 1;
                    }
                }
            }
        } else if is_latin_letter(first) {
            self.latin_words += 1;
            self.spelling_cues(raw);
            let (mut fr, mut foreign) = (false, false);
            for c in raw.chars() {
                if is_latin_letter(c) {
                    self.latin_letters += 1;
                }
                match c {
                    'è' | 'ê' | 'à' | 'ç' | 'ù' | 'â' | 'î' | 'ô' | 'û' | 'œ' | 'ë' | 'ï' | 'È'
                    | 'Ê' | 'À' | 'Ç' => fr = true,
                    'ñ' | 'ã' | 'õ' | 'á' | 'í' | 'ó' | 'ú' | 'ß' | 'ä' | 'ö' | 'å' | 'ø' | 'Ñ'
                    | 'Á' | 'Ó' => foreign = true,
                    _ => {}
                }
            }
            self.fr_diacritics += fr as u32;
            self.foreign_diacritics += foreign as u32;
        } else {
            self.other_letters += raw
                .chars()
                .filter(|c| classify(*c) == Class::Letter)
                .count() as u32;
        }
    }

    fn spelling_cues(&mut self, raw: &str) {
        // Only short texts need this fallback: stop words decide longer ones.
        if self.latin_words > 40 {
            return;
        }
        let b = raw.as_bytes();
        let n = b.len();
        let has = |p: &[u8]| b.windows(p.len()).any(|w| w.eq_ignore_ascii_case(p));
        let ends = |p: &[u8]| {
            n > p.len() + 1
                && b.get(n - p.len()..)
                    .is_some_and(|e| e.eq_ignore_ascii_case(p))
        };
        let en = has(b"th") || has(b"wh") || has(b"w") || has(b"k") || ends(b"ing") || ends(b"ed");
        let fr = ends(b"eau") || ends(b"eaux") || ends(b"eux") || ends(b"aux") || has(b"qu'");
        self.en_cues += (en && !fr) as u32;
        self.fr_cues += (fr && !en) as u32;
    }

    /// Gather stats from (the first [`MAX_TOKENS`] word tokens of) a token list.
    pub fn from_tokens(text: &str, tokens: &[Token], norm_buf: &str) -> LangStats {
        let mut st = LangStats::default();
        for t in tokens
            .iter()
            .filter(|t| t.kind == TokenKind::Word)
            .take(MAX_TOKENS)
        {
            let norm = norm_buf
                .get(t.norm.start as usize..t.norm.end as usize)
                .unwrap_or("");
            st.add_word(t.span.slice(text), norm);
        }
        st
    }

    /// [`LangStats::from_tokens`] with precomputed word flags (one per token).
    pub fn from_tokens_flags(text: &str, tokens: &[Token], flags: &[u16]) -> LangStats {
        let mut st = LangStats::default();
        for (t, f) in tokens
            .iter()
            .zip(flags)
            .filter(|(t, _)| t.kind == TokenKind::Word)
            .take(MAX_TOKENS)
        {
            st.add_word_flags(t.span.slice(text), *f);
        }
        st
    }

    /// The decision: language and confidence in `[0, 1]`.
    pub fn decide(&self) -> (Lang, f32) {
        let letters = self.arabic_letters + self.latin_letters + self.other_letters;
        if letters < 6 {
            return (Lang::Und, 0.1);
        }
        let lf = letters as f32;
        // Short texts are less certain: full confidence from ~80 letters on.
        let length_factor = (0.5 + lf / 160.0).min(1.0);
        let ar = self.arabic_letters as f32 / lf;
        let lat = self.latin_letters as f32 / lf;
        if ar >= 0.5 {
            let a = self.arabic_letters.max(1) as f32;
            if self.persian_letters as f32 / a > 0.03 && (self.arabic_only as f32 / a) < 0.004 {
                return (Lang::Und, 0.5 * length_factor);
            }
            return (Lang::Ar, (ar * length_factor).clamp(0.0, 1.0));
        }
        if lat >= 0.5 {
            if self.latin_words < 2 {
                return (Lang::Und, 0.2);
            }
            let en = self.hits[1];
            let fr = self.hits[2] + 0.5 * self.fr_diacritics as f32;
            let other = self.hits[3..].iter().copied().fold(0.0f32, f32::max)
                + 0.5 * self.foreign_diacritics as f32;
            let best = en.max(fr).max(other);
            if best < 1.0 {
                // No stop word (headlines): fall back on spelling, with a
                // low confidence; anything foreign-looking stays und.
                if self.foreign_diacritics == 0 && other < 0.5 {
                    let e = self.en_cues as f32;
                    let f = self.fr_cues as f32 + self.fr_diacritics as f32;
                    if e >= f + 1.0 {
                        return (Lang::En, 0.3);
                    }
                    if f >= e + 1.0 {
                        return (Lang::Fr, 0.3);
                    }
                }
                return (Lang::Und, 0.2);
            }
            let (lang, top, second) = if other > en && other > fr {
                (Lang::Und, other, en.max(fr))
            } else if en >= fr {
                (Lang::En, en, fr.max(other))
            } else {
                (Lang::Fr, fr, en.max(other))
            };
            // Margin between the top two, damped when there is little evidence.
            let margin = (top - second) / top;
            let evidence = (top / 4.0).min(1.0);
            let conf = (0.5 + 0.5 * margin) * evidence * length_factor * lat;
            return (lang, conf.clamp(0.0, 1.0));
        }
        let other = self.other_letters as f32 / lf;
        (Lang::Und, other.clamp(0.0, 1.0))
    }
}

/// Detect the language of a piece of text on its own (tokenises it).
pub fn detect(text: &str) -> (Lang, f32) {
    let mut tokens = Vec::new();
    let mut buf = String::new();
    // Constant cost on huge inputs: look at a prefix only.
    let mut end = text.len().min(64 * 1024);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    super::tokens::tokenize_into(text, 0..end, 0, &mut tokens, &mut buf);
    LangStats::from_tokens(text, &tokens, &buf).decide()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_languages() {
        assert_eq!(
            detect("أعلن وزير الداخلية أن الحكومة ستعقد اجتماعا في الرباط يوم الخميس.").0,
            Lang::Ar
        );
        assert_eq!(
            detect("Le ministre a annoncé que le gouvernement se réunira à Rabat jeudi prochain.")
                .0,
            Lang::Fr
        );
        assert_eq!(
            detect("The minister said that the government will meet in Rabat on Thursday.").0,
            Lang::En
        );
    }

    #[test]
    fn latin_words_inside_arabic() {
        let (l, c) = detect(
            "قالت شركة Renault و OCP إن المصنع في طنجة سيبدأ الإنتاج عبر منصة Google Cloud قريبا.",
        );
        assert_eq!(l, Lang::Ar);
        assert!(c > 0.5);
    }

    #[test]
    fn unsupported_and_short() {
        assert_eq!(detect("El presidente del Gobierno se reunió con los ministros para hablar de la economía.").0, Lang::Und);
        assert_eq!(detect("Der Präsident hat sich mit den Ministern getroffen, um über die Wirtschaft zu sprechen.").0, Lang::Und);
        assert_eq!(
            detect("Президент встретился с министрами, чтобы обсудить экономику.").0,
            Lang::Und
        );
        assert_eq!(detect("总统与部长们会面讨论经济问题。").0, Lang::Und);
        assert_eq!(
            detect("این یک متن فارسی است که برای آزمایش نوشته شده و کلمات زیادی دارد.").0,
            Lang::Und
        );
        let (l, c) = detect("ok");
        assert_eq!(l, Lang::Und);
        assert!(c < 0.3);
        assert_eq!(detect("").0, Lang::Und);
        assert_eq!(detect("12345 !!!").0, Lang::Und);
    }
}
