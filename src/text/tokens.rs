//! Tokenisation with offsets, matching forms and light stems.
//!
//! One left-to-right pass over the characters, no backtracking beyond a
//! bounded look-ahead of two characters (plus one URL/e-mail scan per
//! whitespace-free ASCII run), so the cost is linear in the input whatever
//! its shape (a 100,000-character word, a megabyte without spaces...).
//!
//! Token rules, chosen to match what the NER training data (CoNLL-style,
//! pre-tokenised) looks like:
//! * words: letters of any script with their combining marks; inner
//!   hyphens (`Jean-Pierre`) and apostrophes (`aujourd'hui`, `O'Neill`) stay
//!   inside; French elisions are split after the apostrophe (`l'`, `d'`,
//!   `qu'`...), the English possessive `'s` is its own token; Latin words may
//!   contain ASCII digits (`G20`, `COP28`); Arabic words stop at digits
//!   (`عدي3` → `عدي` `3`, glued bylines);
//! * known abbreviations and initials keep their dot (`Mr.`, `U.S.`, `e.g.`,
//!   `M.`, `Mme.`, `د.`, `أ.د.`), so the sentence splitter sees them;
//! * numbers: digits in any script with inner `. , ٫ ٬ : /` (3.5, 1,000,
//!   ٣٫٥, 12:30, 03/10/2024);
//! * URLs (`http://`, `https://`, `www.`) and e-mail addresses are single
//!   [`TokenKind::Symbol`] tokens, so neither the splitter nor NER looks
//!   inside them;
//! * punctuation: runs of dots (ellipsis), of `! ? ؟` and of `-` are one
//!   token, everything else one token per character;
//! * whitespace, control characters and invisible format characters
//!   (zero-width, bidi) separate tokens and are never part of one, except
//!   joiners inside a word (ZWNJ in Persian-keyboard Arabic).

use super::classes::{CLASS_TABLE, TABLE_LEN};
use super::data::{word_flags, word_table, WordTable, W_ABBR, W_ABBR_FINAL, W_AR_PLAIN};
use super::normalize::{self, digit_value, is_arabic_diacritic, is_invisible, AR_CHANGES, TATWEEL};
use super::{Lang, Span, Token, TokenKind};
use std::ops::Range;
use unicode_normalization::char::is_combining_mark;

/// Character classes of the tokenizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    Space,
    Invisible,
    Letter,
    Digit,
    Mark,
    Punct,
    Symbol,
}

/// [`Tokenizer::letter_run`]'s view of U+0600–U+067F (index `cp - 0x600`,
/// i.e. the two-byte sequences led by 0xD8 / 0xD9): 0 = not part of a fast
/// run, bit 0 = part of one (U+0621–U+065F: letters, tatweel, harakat),
/// bit 1 = also changed by normalisation ([`AR_CHANGES`]).
const AR_RUN: [u8; 128] = build_ar_run();

const fn build_ar_run() -> [u8; 128] {
    let mut t = [0u8; 128];
    let mut i = 0usize;
    while i < 128 {
        let cp = 0x600 + i;
        if cp >= 0x0621 && cp <= 0x065F {
            let changed = (AR_CHANGES[i / 64] >> (i % 64)) & 1;
            t[i] = 1 | ((changed as u8) << 1);
        }
        i += 1;
    }
    t
}

/// Class of one character: a lookup table for everything below U+2100
/// (Latin, Greek, Cyrillic, Arabic, general punctuation), the Unicode
/// property functions above. `char::is_alphabetic` alone costs more than the
/// whole rest of the pipeline on Arabic text, hence the table.
#[inline]
pub(crate) fn classify(c: char) -> Class {
    let cp = c as usize;
    if cp < TABLE_LEN {
        if let Some(t) = class_table().get(cp) {
            return *t;
        }
    }
    classify_slow(c)
}

/// The class of every code point below [`TABLE_LEN`]: written out in
/// [`super::classes`] (a test checks it against [`classify_slow`]).
#[inline]
fn class_table() -> &'static [Class; TABLE_LEN] {
    &CLASS_TABLE
}

/// The reference classification (Unicode properties; the table holds its
/// results below [`TABLE_LEN`]).
fn classify_slow(c: char) -> Class {
    if c.is_ascii() {
        return match c {
            'a'..='z' | 'A'..='Z' => Class::Letter,
            '0'..='9' => Class::Digit,
            '$' | '+' | '<' | '=' | '>' | '^' | '`' | '|' | '~' => Class::Symbol,
            '!'..='~' => Class::Punct,
            _ => Class::Space, // space, tab, newlines, NUL and other controls
        };
    }
    if is_invisible(c) || c == '\u{034F}' {
        return Class::Invisible;
    }
    if c.is_whitespace() || c.is_control() {
        return Class::Space;
    }
    if digit_value(c).is_some() {
        return Class::Digit;
    }
    if is_arabic_diacritic(c) || c == TATWEEL {
        return Class::Mark;
    }
    if c.is_alphabetic() {
        return Class::Letter;
    }
    if c.is_numeric() {
        return Class::Digit;
    }
    if is_combining_mark(c) {
        return Class::Mark;
    }
    if is_punct(c) {
        return Class::Punct;
    }
    Class::Symbol
}

/// Non-ASCII punctuation (general category P*, the common blocks).
#[inline]
fn is_punct(c: char) -> bool {
    matches!(c,
        '\u{00A1}' | '\u{00A7}' | '\u{00AB}' | '\u{00B6}' | '\u{00B7}' | '\u{00BB}' | '\u{00BF}'
        | '\u{037E}' | '\u{0387}'
        | '\u{055A}'..='\u{055F}' | '\u{0589}' | '\u{05BE}' | '\u{05C0}' | '\u{05F3}' | '\u{05F4}'
        | '\u{0609}' | '\u{060A}' | '\u{060C}' | '\u{060D}' | '\u{061B}' | '\u{061D}'..='\u{061F}'
        | '\u{066A}'..='\u{066D}' | '\u{06D4}'
        | '\u{0964}' | '\u{0965}'
        | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{205E}'
        | '\u{2E00}'..='\u{2E4F}'
        | '\u{3001}'..='\u{3003}' | '\u{3008}'..='\u{3011}' | '\u{3014}'..='\u{301F}'
        | '\u{FD3E}' | '\u{FD3F}' | '\u{FE10}'..='\u{FE19}' | '\u{FE30}'..='\u{FE4F}'
        | '\u{FE50}'..='\u{FE6B}'
        | '\u{FF01}'..='\u{FF03}' | '\u{FF05}'..='\u{FF0A}' | '\u{FF0C}'..='\u{FF0F}'
        | '\u{FF1A}' | '\u{FF1B}' | '\u{FF1F}' | '\u{FF20}' | '\u{FF3B}'..='\u{FF3D}'
        | '\u{FF3F}' | '\u{FF5B}' | '\u{FF5D}' | '\u{FF5F}'..='\u{FF65}')
}

/// Arabic-script letter (Arabic, Supplement, Extended-A, presentation forms).
#[inline]
pub fn is_arabic_letter(c: char) -> bool {
    matches!(c,
        '\u{0620}'..='\u{063F}' | '\u{0641}'..='\u{064A}' | '\u{066E}'..='\u{066F}'
        | '\u{0671}'..='\u{06D3}' | '\u{06D5}' | '\u{06EE}'..='\u{06EF}' | '\u{06FA}'..='\u{06FF}'
        | '\u{0750}'..='\u{077F}' | '\u{08A0}'..='\u{08C9}' | '\u{FB50}'..='\u{FDFF}'
        | '\u{FE70}'..='\u{FEFC}')
}

/// Latin-script letter (ASCII, Latin-1, Extended-A/B, IPA, Extended Additional).
#[inline]
pub fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
        || matches!(c, '\u{00C0}'..='\u{00D6}' | '\u{00D8}'..='\u{00F6}' | '\u{00F8}'..='\u{024F}'
            | '\u{1E00}'..='\u{1EFF}')
}

#[inline]
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02BC}')
}

#[inline]
fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}')
}

/// French elided words that the tokenizer splits off after their
/// apostrophe (`l'État` → `l'` `État`); the entity tagger strips the same
/// ones from its French matching key (`ner::features::fr_bare`).
pub const FR_ELISIONS: [&str; 14] = [
    "l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu",
];

/// Is `prefix` one of [`FR_ELISIONS`] (ASCII-case-insensitively)?
fn is_elision(prefix: &str) -> bool {
    prefix.len() <= 6 && FR_ELISIONS.iter().any(|e| e.eq_ignore_ascii_case(prefix))
}

struct Tokenizer<'t, 'o> {
    s: &'t str,
    end: usize,
    pos: usize,
    cp: u32,
    url_until: usize,
    /// Does the range contain '@' at all? (no: no e-mail, skip the check)
    has_at: bool,
    table: &'static [Class; TABLE_LEN],
    /// The word table, fetched once per line rather than once per token.
    words: &'static WordTable,
    /// Word-table flags per token, filled alongside `out` when asked for.
    flags: Option<&'o mut Vec<u16>>,
    /// When given: stems and proclitic counts of Arabic-script words are
    /// computed right away (they do not depend on the document language),
    /// and the indices of the other word tokens, whose stems wait for the
    /// language, are appended here (see [`tokenize_line`]).
    pending: Option<&'o mut Vec<usize>>,
    out: &'o mut Vec<Token>,
    norm_buf: &'o mut String,
    scratch: String,
}

impl Tokenizer<'_, '_> {
    /// [`classify`] with the table hoisted out of the `OnceLock`.
    #[inline]
    fn cls(&self, c: char) -> Class {
        match self.table.get(c as usize) {
            Some(k) => *k,
            None => classify_slow(c),
        }
    }

    /// Next character. `pos` is always on a char boundary of a valid
    /// `str`, so one- and two-byte sequences (ASCII, Latin, Arabic) are
    /// decoded by hand; longer ones go through `chars()`.
    #[inline]
    fn peek(&self) -> Option<char> {
        if self.pos >= self.end {
            return None;
        }
        let b = self.s.as_bytes();
        let b0 = *b.get(self.pos)?;
        if b0 < 0x80 {
            return Some(b0 as char);
        }
        if b0 & 0xE0 == 0xC0 {
            let b1 = *b.get(self.pos + 1)?;
            return char::from_u32(((b0 as u32 & 0x1F) << 6) | (b1 as u32 & 0x3F));
        }
        self.s
            .get(self.pos..self.end)
            .and_then(|r| r.chars().next())
    }
    /// The character after the next one.
    #[inline]
    fn peek2(&self) -> Option<char> {
        let mut it = self.s.get(self.pos..self.end)?.chars();
        it.next();
        it.next()
    }
    #[inline]
    fn peek3(&self) -> Option<char> {
        let mut it = self.s.get(self.pos..self.end)?.chars();
        it.next();
        it.next();
        it.next()
    }
    #[inline]
    fn bump(&mut self, c: char) {
        self.pos += c.len_utf8();
        self.cp += 1;
    }

    fn push(&mut self, b0: usize, c0: u32, kind: TokenKind) {
        self.push_as(b0, c0, kind, false, true);
    }

    /// Append the token `b0..pos`. `run_only`: a word made only of fast
    /// letter runs ([`Tokenizer::letter_run`]); `dirty`: one of their
    /// letters changes under normalisation. A clean run-only word is its own
    /// norm and is copied; a dirty one takes the run-only normaliser.
    fn push_as(&mut self, b0: usize, c0: u32, kind: TokenKind, run_only: bool, dirty: bool) {
        let raw = self.s.get(b0..self.pos).unwrap_or("");
        let n0 = self.norm_buf.len();
        let clean = run_only && !dirty;
        if clean {
            self.norm_buf.push_str(raw);
        } else if !(run_only && normalize::normalize_letter_run(raw, self.norm_buf)) {
            normalize::normalize_into(raw, self.norm_buf);
        }
        let norm_str = self.norm_buf.get(n0..).unwrap_or("");
        // A run-only word starts with an Arabic letter iff its first byte is
        // not ASCII.
        let ar_run = run_only && raw.as_bytes().first().is_some_and(|&b| b >= 0x80);
        if let Some(f) = self.flags.as_mut() {
            let fl = match kind {
                TokenKind::Number => 0,
                _ => self.words.flags(norm_str),
            };
            f.push(if ar_run { fl | W_AR_PLAIN } else { fl });
        }
        let norm = to_u32(n0)..to_u32(self.norm_buf.len());
        let (stem, proclitic) = match self.pending.as_mut() {
            Some(pending) if kind == TokenKind::Word => {
                let arabic = if run_only {
                    ar_run
                } else {
                    norm_is_arabic(norm_str)
                };
                if arabic {
                    let r = ar_stem(norm_str);
                    // Clean: raw == norm, without hamzated alefs (they fold),
                    // diacritics, tatweel or invisibles, so the letter count
                    // is the code-point count.
                    let pc = if clean {
                        u8::try_from(proclitic_letters(norm_str, || false)).unwrap_or(u8::MAX)
                    } else {
                        proclitic_chars(raw, norm_str)
                    };
                    (to_u32(n0 + r.start)..to_u32(n0 + r.end), pc)
                } else {
                    pending.push(self.out.len());
                    (norm.clone(), 0)
                }
            }
            _ => (norm.clone(), 0),
        };
        self.out.push(Token {
            span: Span {
                start: b0,
                end: self.pos,
                cstart: c0,
                cend: self.cp,
            },
            kind,
            stem,
            norm,
            proclitic_chars: proclitic,
        });
    }

    fn eat_marks(&mut self) {
        while let Some(c) = self.peek() {
            if self.cls(c) == Class::Mark || c == '\u{034F}' {
                self.bump(c);
            } else {
                break;
            }
        }
    }

    fn run(&mut self) {
        while self.pos < self.end {
            let Some(&b) = self.s.as_bytes().get(self.pos) else {
                break;
            };
            if b == b' ' {
                self.pos += 1;
                self.cp += 1;
                continue;
            }
            // Byte-level dispatch of the common word starts (ASCII and
            // Arabic letters), exactly as the `match` below would decide,
            // without decoding the character first.
            if b.is_ascii_alphabetic() {
                if !(self.has_at || matches!(b, b'h' | b'H' | b'w' | b'W'))
                    || self.pos < self.url_until
                {
                    self.word();
                    continue;
                }
            } else if b == 0xD8 || b == 0xD9 {
                if let Some(&b1) = self.s.as_bytes().get(self.pos + 1) {
                    let cp = ((b as usize & 0x1F) << 6) | (b1 as usize & 0x3F);
                    if self.table.get(cp) == Some(&Class::Letter) {
                        self.word();
                        continue;
                    }
                }
            }
            let Some(c) = self.peek() else { break };
            match self.cls(c) {
                Class::Space | Class::Invisible => self.bump(c),
                Class::Letter | Class::Digit
                    if c.is_ascii_alphanumeric()
                        && (self.has_at || matches!(c, 'h' | 'H' | 'w' | 'W'))
                        && self.pos >= self.url_until
                        && self.try_url() => {}
                Class::Letter => self.word(),
                Class::Digit => self.number(),
                Class::Punct => self.punct(c),
                Class::Mark | Class::Symbol => self.symbol(c),
            }
        }
    }

    /// URL or e-mail starting here? Scans the whitespace-free ASCII run once
    /// and remembers its end, so a long run is never rescanned.
    fn try_url(&mut self) -> bool {
        let rest = self.s.get(self.pos..self.end).unwrap_or("");
        let bytes = rest.as_bytes();
        let mut run_len = bytes.len();
        let mut at: Option<usize> = None;
        for (i, &b) in bytes.iter().enumerate() {
            if !b.is_ascii_graphic()
                || matches!(
                    b,
                    b'<' | b'>' | b'"' | b'(' | b')' | b'[' | b']' | b'{' | b'}'
                )
            {
                run_len = i;
                break;
            }
            if b == b'@' && at.is_none() {
                at = Some(i);
            }
        }
        self.url_until = self.pos + run_len;
        let run = rest.get(..run_len).unwrap_or("");
        // Plain words (the vast majority) leave here.
        let first = bytes.first().map(|b| b.to_ascii_lowercase());
        if at.is_none() && !matches!(first, Some(b'h' | b'w')) {
            return false;
        }
        let lower_starts = |p: &str| {
            run.len() > p.len()
                && run
                    .get(..p.len())
                    .is_some_and(|h| h.eq_ignore_ascii_case(p))
        };
        let is_url = lower_starts("http://") || lower_starts("https://") || lower_starts("www.");
        let is_mail = !is_url
            && match at {
                Some(at) if at > 0 => {
                    let local = run.as_bytes().get(..at).unwrap_or(&[]);
                    let domain = run.get(at + 1..).unwrap_or("");
                    local
                        .iter()
                        .all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(b))
                        && domain.contains('.')
                        && domain
                            .bytes()
                            .next()
                            .is_some_and(|b| b.is_ascii_alphanumeric())
                }
                _ => false,
            };
        if !(is_url || is_mail) {
            return false;
        }
        let trimmed = run.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '"', ')', ']']);
        if trimmed.is_empty() {
            return false;
        }
        let b0 = self.pos;
        let c0 = self.cp;
        self.pos += trimmed.len();
        self.cp += to_u32(trimmed.len());
        self.push(b0, c0, TokenKind::Symbol);
        true
    }

    fn word(&mut self) {
        let b0 = self.pos;
        let c0 = self.cp;
        // U+0600–U+06FF (lead bytes 0xD8–0xDB) holds no Latin letter.
        let latin = match self.s.as_bytes().get(self.pos) {
            Some(&b) if b < 0x80 => b.is_ascii_alphabetic(),
            Some(0xD8..=0xDB) => false,
            _ => self.peek().is_some_and(is_latin_letter),
        };
        let mut letters = 0usize;
        let mut possessive = false;
        // `dirty`: some letter of a fast run changes under normalisation;
        // `run_bytes`: bytes taken by fast runs. A word made of fast runs
        // only and not dirty is its own norm.
        let mut dirty = false;
        let mut run_bytes = 0usize;
        loop {
            let p = self.pos;
            letters += self.letter_run(&mut dirty);
            run_bytes += self.pos - p;
            if self.pos >= self.end {
                break;
            }
            // An ASCII byte other than a digit, '-' or an apostrophe always
            // ends the word (the `match` below would `break` on it).
            if let Some(&b) = self.s.as_bytes().get(self.pos) {
                if b < 0x80 && !b.is_ascii_digit() && b != b'-' && b != b'\'' {
                    break;
                }
            }
            let Some(c) = self.peek() else { break };
            match self.cls(c) {
                Class::Letter => {
                    letters += 1;
                    self.bump(c)
                }
                Class::Mark => self.bump(c),
                Class::Digit if latin && c.is_ascii_digit() => self.bump(c),
                Class::Invisible => {
                    // Joiners inside a word belong to it; trailing ones do not.
                    match self.peek2().map(|x| self.cls(x)) {
                        Some(Class::Letter | Class::Mark) => self.bump(c),
                        _ => break,
                    }
                }
                Class::Punct
                    if is_hyphen(c)
                        && self.peek2().is_some_and(|n| self.cls(n) == Class::Letter) =>
                {
                    self.bump(c)
                }
                Class::Punct
                    if is_apostrophe(c)
                        && self.peek2().is_some_and(|n| self.cls(n) == Class::Letter) =>
                {
                    let prefix = self.s.get(b0..self.pos).unwrap_or("");
                    if is_elision(prefix) {
                        self.bump(c);
                        break;
                    }
                    let next = self.peek2();
                    if matches!(next, Some('s' | 'S'))
                        && self.peek3().is_none_or(|n| self.cls(n) != Class::Letter)
                    {
                        possessive = true;
                        break;
                    }
                    self.bump(c);
                }
                _ => break,
            }
        }
        if self.pos < self.end && self.s.as_bytes().get(self.pos) == Some(&b'.') {
            self.abbreviation_dot(b0, letters);
        }
        let simple = run_bytes == self.pos - b0;
        self.push_as(b0, c0, TokenKind::Word, simple, dirty);
        if possessive {
            let b1 = self.pos;
            let c1 = self.cp;
            if let Some(a) = self.peek() {
                self.bump(a);
            }
            if let Some(s) = self.peek() {
                self.bump(s);
            }
            self.push(b1, c1, TokenKind::Word);
        }
    }

    /// Fast path of [`Tokenizer::word`]: skip a run of ASCII letters and
    /// of Arabic letters/harakat/tatweel (U+0621–U+065F) byte-wise, without
    /// decoding or classifying. Returns the number of letters skipped; sets
    /// `dirty` if one of them is changed by normalisation (an ASCII capital,
    /// or an Arabic code point flagged in [`AR_CHANGES`]).
    #[inline]
    fn letter_run(&mut self, dirty: &mut bool) -> usize {
        let b = self.s.as_bytes().get(..self.end).unwrap_or(&[]);
        let (pos, letters, changed) = scan_letter_run(b, self.pos);
        self.pos = pos;
        self.cp += to_u32(letters);
        *dirty |= changed;
        letters
    }

    /// Keep the dot of an abbreviation or an initial inside the word token:
    /// single letters (`J.`, `U.S.`, `e.g.`, `د.`, `أ.د.`) and the words of
    /// the abbreviation table (`Mr.`, `Mme.`, `etc.`).
    fn abbreviation_dot(&mut self, b0: usize, letters: usize) {
        if letters == 1 {
            self.bump('.');
            // chain of single letters with dots: U.S., e.g., أ.د.
            while let (Some(l), Some('.')) = (self.peek(), self.peek2()) {
                if self.cls(l) != Class::Letter {
                    break;
                }
                self.bump(l);
                self.bump('.');
            }
            return;
        }
        let w = self.s.get(b0..self.pos).unwrap_or("");
        if w.len() > 12 {
            return;
        }
        self.scratch.clear();
        normalize::normalize_into(w, &mut self.scratch);
        if word_flags(&self.scratch) & (W_ABBR | W_ABBR_FINAL) != 0 {
            self.bump('.');
        }
    }

    fn number(&mut self) {
        let b0 = self.pos;
        let c0 = self.cp;
        while let Some(c) = self.peek() {
            match self.cls(c) {
                Class::Digit | Class::Mark => self.bump(c),
                Class::Punct | Class::Symbol
                    if matches!(c, '.' | ',' | ':' | '/' | '\u{066B}' | '\u{066C}')
                        && self.peek2().is_some_and(|n| self.cls(n) == Class::Digit) =>
                {
                    self.bump(c)
                }
                _ => break,
            }
        }
        self.push(b0, c0, TokenKind::Number);
    }

    fn punct(&mut self, c: char) {
        let b0 = self.pos;
        let c0 = self.cp;
        self.bump(c);
        let same_run = |n: char| match c {
            '.' => n == '.',
            '!' | '?' | '\u{061F}' => matches!(n, '!' | '?' | '\u{061F}'),
            '-' => n == '-',
            _ => false,
        };
        while let Some(n) = self.peek() {
            if same_run(n) {
                self.bump(n);
            } else {
                break;
            }
        }
        self.eat_marks();
        self.push(b0, c0, TokenKind::Punct);
    }

    /// A symbol (or a stray combining mark) with its modifiers: combining
    /// marks, variation selectors, skin tones, ZWJ sequences, flag pairs.
    fn symbol(&mut self, c: char) {
        let b0 = self.pos;
        let c0 = self.cp;
        self.bump(c);
        let regional = |x: char| ('\u{1F1E6}'..='\u{1F1FF}').contains(&x);
        if regional(c) {
            if let Some(n) = self.peek().filter(|n| regional(*n)) {
                self.bump(n);
            }
        }
        loop {
            match self.peek() {
                Some(n)
                    if self.cls(n) == Class::Mark || ('\u{1F3FB}'..='\u{1F3FF}').contains(&n) =>
                {
                    self.bump(n)
                }
                Some('\u{200D}') if self.peek2().is_some_and(|n| self.cls(n) == Class::Symbol) => {
                    self.bump('\u{200D}');
                    if let Some(n) = self.peek() {
                        self.bump(n);
                    }
                }
                _ => break,
            }
        }
        self.push(b0, c0, TokenKind::Symbol);
    }
}

/// [`Tokenizer::letter_run`] on the bytes `b` from `pos`: returns the end of
/// the run, its number of letters and whether one of them changes under
/// normalisation. Four Arabic letters (8 bytes) per step while they last
/// ([`four_arabic_run_letters`]), then two if there are, then one letter
/// per step; all take exactly the letters [`AR_RUN`] marks (tests compare
/// with the one-letter loop alone on hostile text).
///
/// Why: Arabic words are mostly runs of these letters (~6,000 per 13 KB
/// article), and the one-letter loop compiled to ~24 instructions per letter
/// in the release build; the 8- and 4-byte steps cut the text stage of such
/// an article by ~19 k instructions (callgrind, 1.6 %).
#[inline(always)]
fn scan_letter_run(b: &[u8], mut pos: usize) -> (usize, usize, bool) {
    let mut acc = 0u8;
    let mut letters = 0usize;
    while let Some(&w) = b
        .get(pos..pos + 8)
        .and_then(|c| <&[u8; 8]>::try_from(c).ok())
    {
        let Some(changed4) = four_arabic_run_letters(u64::from_le_bytes(w)) else {
            break;
        };
        acc |= changed4 << 1;
        pos += 8;
        letters += 4;
    }
    // Then two (4 bytes): the same test on two lanes (the upper two lanes
    // are given plain letters).
    if let Some(&w) = b
        .get(pos..pos + 4)
        .and_then(|c| <&[u8; 4]>::try_from(c).ok())
    {
        const TWO_PLAIN: u64 = 0xA8D8_A8D8 << 32; // ب ب (U+0628)
        if let Some(changed2) =
            four_arabic_run_letters(u64::from(u32::from_le_bytes(w)) | TWO_PLAIN)
        {
            acc |= changed2 << 1;
            pos += 4;
            letters += 2;
        }
    }
    loop {
        match b.get(pos) {
            Some(&b0) if b0 & 0xFE == 0xD8 => {
                let Some(&b1) = b.get(pos + 1) else { break };
                let i = (usize::from(b0 & 1) << 6) | usize::from(b1 & 0x3F);
                let e = AR_RUN.get(i).copied().unwrap_or(0);
                if e == 0 {
                    break;
                }
                acc |= e;
                pos += 2;
            }
            Some(&b0) if b0.is_ascii_alphabetic() => {
                acc |= u8::from(b0 < b'a') << 1;
                pos += 1;
            }
            _ => break,
        }
        letters += 1;
    }
    (pos, letters, acc & 2 != 0)
}

/// The SWAR step of [`Tokenizer::letter_run`]: `w` is 8 bytes of the text
/// (little-endian). If they are four two-byte characters of U+0621–U+065F
/// (the code points [`AR_RUN`] marks), returns whether one of them is
/// changed by normalisation ([`AR_CHANGES`]), as 0/1; otherwise `None`.
/// [`AR_RUN`] decides the same per character (a test checks both on every
/// lead/trail byte pair).
#[inline(always)]
fn four_arabic_run_letters(w: u64) -> Option<u8> {
    const LANES: u64 = 0x0001_0001_0001_0001;
    const HIGH: u64 = 0x8000 * LANES;
    // Lead bytes (even positions) must be 0xD8 or 0xD9.
    if w & (0x00FE * LANES) != 0x00D8 * LANES {
        return None;
    }
    // Per 16-bit lane: the index into AR_RUN / AR_CHANGES, cp - 0x600.
    let idx = ((w & LANES) << 6) | ((w >> 8) & (0x003F * LANES));
    // Every lane in 0x21..=0x5F (no carry between lanes: idx <= 0x7F).
    let at_least = idx + (0x8000 - 0x21) * LANES;
    let above = idx + (0x8000 - 0x60) * LANES;
    if at_least & HIGH != HIGH || above & HIGH != 0 {
        return None;
    }
    let mut changed = 0u64;
    for k in 0..4 {
        let i = (idx >> (16 * k)) & 0x7F;
        let word = AR_CHANGES.get((i >> 6) as usize).copied().unwrap_or(0);
        changed |= (word >> (i & 63)) & 1;
    }
    Some(changed as u8)
}

#[inline]
fn to_u32(x: usize) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

/// Tokenise `text[range]` (a line: it may not split a token) whose first
/// character has code-point offset `cp_start` in the whole text. Tokens are
/// appended to `tokens` with their `norm` in `norm_buf`; `stem` is left
/// equal to `norm` and `proclitic_chars` to 0 (see [`fill_stems`]).
/// Returns the code-point offset of `range.end`.
pub fn tokenize_into(
    text: &str,
    range: Range<usize>,
    cp_start: u32,
    tokens: &mut Vec<Token>,
    norm_buf: &mut String,
) -> u32 {
    tokenize_into_flags(text, range, cp_start, tokens, norm_buf, None)
}

/// [`tokenize_into`] that also appends, per token, its word-table flags
/// ([`super::data::word_flags`] of the norm; 0 for numbers; plus
/// [`W_AR_PLAIN`] on words of one fast Arabic letter run, for language id)
/// to `flags`, while the norm is hot.
pub fn tokenize_into_flags(
    text: &str,
    range: Range<usize>,
    cp_start: u32,
    tokens: &mut Vec<Token>,
    norm_buf: &mut String,
    flags: Option<&mut Vec<u16>>,
) -> u32 {
    tokenize_impl(text, range, cp_start, tokens, norm_buf, flags, None)
}

/// [`tokenize_into_flags`] with flags for [`super::structure`], which also
/// does the stemming that does not need the document language while the
/// norm is hot: Arabic-script words get their final `stem` and
/// `proclitic_chars` here (the Arabic stemmer ignores the language); the
/// indices of the other word tokens are appended to `pending`, for
/// [`fill_stems_at`] once the language is known. Same results as
/// [`tokenize_into`] followed by [`fill_stems`].
pub(crate) fn tokenize_line(
    text: &str,
    range: Range<usize>,
    cp_start: u32,
    tokens: &mut Vec<Token>,
    norm_buf: &mut String,
    flags: &mut Vec<u16>,
    pending: &mut Vec<usize>,
) -> u32 {
    tokenize_impl(
        text,
        range,
        cp_start,
        tokens,
        norm_buf,
        Some(flags),
        Some(pending),
    )
}

fn tokenize_impl(
    text: &str,
    range: Range<usize>,
    cp_start: u32,
    tokens: &mut Vec<Token>,
    norm_buf: &mut String,
    flags: Option<&mut Vec<u16>>,
    pending: Option<&mut Vec<usize>>,
) -> u32 {
    let end = range.end.min(text.len());
    if !text.is_char_boundary(end) || !text.is_char_boundary(range.start.min(end)) {
        return cp_start;
    }
    let mut t = Tokenizer {
        s: text,
        end,
        pos: range.start.min(end),
        cp: cp_start,
        url_until: 0,
        has_at: text
            .as_bytes()
            .get(range.start.min(end)..end)
            .is_some_and(|b| b.contains(&b'@')),
        table: class_table(),
        words: word_table(),
        pending,
        flags,
        out: tokens,
        norm_buf,
        scratch: String::new(),
    };
    t.run();
    t.cp
}

/// Tokenise a whole string (code points counted from 0). Returns the tokens
/// and the buffer their `norm`/`stem` ranges point into; stems are filled
/// for `lang`.
pub fn tokenize_with(text: &str, lang: Lang) -> (Vec<Token>, String) {
    let mut tokens = Vec::new();
    let mut buf = String::new();
    tokenize_into(text, 0..text.len(), 0, &mut tokens, &mut buf);
    fill_stems(text, &mut tokens, &buf, lang);
    (tokens, buf)
}

/// [`tokenize_with`] for text whose language does not matter (phrases).
pub fn tokenize(text: &str) -> Vec<Token> {
    tokenize_with(text, Lang::Und).0
}

/// Fill `stem` and `proclitic_chars` of word tokens, now that the document
/// language is known. Stems are sub-ranges of the norm, so nothing is
/// allocated.
pub fn fill_stems(text: &str, tokens: &mut [Token], norm_buf: &str, lang: Lang) {
    for t in tokens.iter_mut() {
        if t.kind == TokenKind::Word {
            fill_stem(text, t, norm_buf, lang);
        }
    }
}

/// [`fill_stems`] for the word tokens at `indices` only (the `pending`
/// list of [`tokenize_line`]).
pub(crate) fn fill_stems_at(
    text: &str,
    tokens: &mut [Token],
    indices: &[usize],
    norm_buf: &str,
    lang: Lang,
) {
    for &i in indices {
        if let Some(t) = tokens.get_mut(i) {
            if t.kind == TokenKind::Word {
                fill_stem(text, t, norm_buf, lang);
            }
        }
    }
}

#[inline]
fn fill_stem(text: &str, t: &mut Token, norm_buf: &str, lang: Lang) {
    let n0 = t.norm.start as usize;
    let Some(norm) = norm_buf.get(n0..t.norm.end as usize) else {
        return;
    };
    let r = light_stem_range(norm, lang);
    t.stem = to_u32(n0 + r.start)..to_u32(n0 + r.end);
    t.proclitic_chars = proclitic_chars(t.span.slice(text), norm);
}

/// The matching forms of one token, as the pipeline computes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenForms {
    /// Range of the normalised form in the caller's buffer.
    pub norm: Range<u32>,
    /// Range of the light stem in the caller's buffer (inside `norm`).
    pub stem: Range<u32>,
    /// Leading code points of `token` that are non-name Arabic proclitics.
    pub proclitic_chars: u8,
}

/// Norm, stem and proclitic count of ONE pre-tokenised token (e.g. a CoNLL
/// token at NER training time), exactly as [`super::analyze`] computes them
/// for the same token in running text: the norm is appended to `buf`, and
/// the returned ranges point into `buf`.
///
/// Use this (not an ad-hoc lowercase) wherever features are computed
/// outside a [`super::Document`], so training and inference agree.
pub fn token_forms(token: &str, lang: Lang, buf: &mut String) -> TokenForms {
    let n0 = buf.len();
    normalize::normalize_into(token, buf);
    let n1 = buf.len();
    let norm = buf.get(n0..n1).unwrap_or("");
    let r = light_stem_range(norm, lang);
    let is_word = token
        .chars()
        .next()
        .is_some_and(|c| classify(c) == Class::Letter);
    TokenForms {
        norm: to_u32(n0)..to_u32(n1),
        stem: to_u32(n0 + r.start)..to_u32(n0 + r.end),
        proclitic_chars: if is_word {
            proclitic_chars(token, norm)
        } else {
            0
        },
    }
}

/// Light stem of a normalised token (always a sub-slice of `norm`).
///
/// Arabic-script tokens get the Arabic light stemmer whatever `lang` is
/// (Arabic text quotes Latin names and vice versa); Latin tokens get the
/// French rules when `lang` is French, the English ones otherwise.
pub fn light_stem(norm: &str, lang: Lang) -> &str {
    norm.get(light_stem_range(norm, lang)).unwrap_or(norm)
}

/// Does `norm` start with an Arabic-script letter (then it gets the Arabic
/// stemmer whatever the language)? Two-byte U+0600–U+06FF is decoded
/// from the bytes; anything else non-ASCII through `chars()`.
#[inline]
fn norm_is_arabic(norm: &str) -> bool {
    match norm.as_bytes() {
        [b0 @ 0xD8..=0xDB, b1, ..] => {
            let cp = ((*b0 as u32 & 0x1F) << 6) | (*b1 as u32 & 0x3F);
            char::from_u32(cp).is_some_and(is_arabic_letter)
        }
        [b0, ..] if *b0 < 0x80 => false,
        _ => norm.chars().next().is_some_and(is_arabic_letter),
    }
}

/// Byte range of [`light_stem`] inside `norm`.
pub fn light_stem_range(norm: &str, lang: Lang) -> Range<usize> {
    if norm_is_arabic(norm) {
        return ar_stem(norm);
    }
    match norm.chars().next() {
        Some(c) if c.is_ascii_alphabetic() || (!c.is_ascii() && c.is_alphabetic()) => {
            if lang == Lang::Fr {
                fr_stem(norm)
            } else {
                en_stem(norm)
            }
        }
        _ => 0..norm.len(),
    }
}

// The Arabic affixes of the light stemmer, as UTF-8 bytes (the stemmer
// works on bytes: every affix is a whole character sequence, so byte
// prefixes/suffixes are character prefixes/suffixes).
const AR_WAW: &[u8] = "و".as_bytes();
const AR_FEH: &[u8] = "ف".as_bytes();
const AR_ALEF: &[u8] = "ا".as_bytes();
const AR_LAM_LAM: &[u8] = "لل".as_bytes();
const AR_BEH_AL: &[u8] = "بال".as_bytes();
const AR_KAF_AL: &[u8] = "كال".as_bytes();
const AR_AL: &[u8] = "ال".as_bytes();
const AR_PREFIXES: [&[u8]; 4] = [AR_BEH_AL, AR_KAF_AL, AR_LAM_LAM, AR_AL];
const AR_SUFFIXES: [&[u8]; 8] = [
    "ها".as_bytes(),
    "ان".as_bytes(),
    "ات".as_bytes(),
    "ون".as_bytes(),
    "ين".as_bytes(),
    "يه".as_bytes(),
    "ه".as_bytes(),
    "ي".as_bytes(),
];

/// Arabic light stemmer in the spirit of Larkey's Light10, made more
/// conservative on the prefixes: و/ف are only removed before an article or
/// an alef (وزير, فرنسا must survive), ب/ك only with the article.
/// Suffixes ها ان ات ون ين يه ه ي are each removed once, in that order,
/// when at least two letters remain. Works on the folded form (ة→ه, أ→ا).
fn ar_stem(norm: &str) -> Range<usize> {
    let b = norm.as_bytes();
    // First letter و ف ب ك ل ا (byte pairs), else only suffixes apply.
    if !matches!(
        b,
        [0xD9, 0x88 | 0x81 | 0x83 | 0x84, ..] | [0xD8, 0xA8 | 0xA7, ..]
    ) {
        return suffixes_ar(b, 0);
    }
    let mut start = 0usize;
    if let Some(r) = b.strip_prefix(AR_WAW).or_else(|| b.strip_prefix(AR_FEH)) {
        // (ال starts with ا)
        let ok = r.starts_with(AR_ALEF)
            || r.starts_with(AR_LAM_LAM)
            || r.starts_with(AR_BEH_AL)
            || r.starts_with(AR_KAF_AL);
        if ok && at_least_chars(r, 4) {
            start = b.len() - r.len();
        }
    }
    let s = b.get(start..).unwrap_or(&[]);
    for p in AR_PREFIXES {
        if let Some(r) = s.strip_prefix(p) {
            if at_least_two_chars(r) {
                start += p.len();
            }
            break;
        }
    }
    suffixes_ar(b.get(start..).unwrap_or(&[]), start)
}

/// Suffix part of [`ar_stem`] on `s` (which starts at byte `start` of the norm).
fn suffixes_ar(mut s: &[u8], start: usize) -> Range<usize> {
    // All suffixes end in ا ت ن ه ي: skip the loop for any other last letter.
    // Last letter ا ت ن ه ي (byte pairs).
    if !matches!(s, [.., 0xD8, 0xA7 | 0xAA] | [.., 0xD9, 0x86 | 0x87 | 0x8A]) {
        return start..start + s.len();
    }
    for suf in AR_SUFFIXES {
        if let Some(r) = s.strip_suffix(suf) {
            if at_least_two_chars(r) {
                s = r;
            }
        }
    }
    start..start + s.len()
}

/// `at_least_chars(s, 2)` for `s` starting on a character boundary (a
/// norm or part of one, cut after whole letters): its first character takes
/// at most 4 bytes, so 5 bytes hold two, and below that a second character
/// is a non-continuation byte after the first.
///
/// Why: inlined into the eight suffix tests, the general counting loop
/// made `suffixes_ar` compile to ~46 or ~64 instructions per call depending
/// on the build's inlining (thin LTO), ~20 k per Arabic article apart.
#[inline]
fn at_least_two_chars(s: &[u8]) -> bool {
    s.len() >= 5
        || s.get(1..)
            .is_some_and(|t| t.iter().any(|&x| x & 0xC0 != 0x80))
}

/// `k >= 1` and the UTF-8 bytes `s` (whole characters) hold at least `k`
/// characters, without decoding: characters are the non-continuation bytes.
#[inline]
fn at_least_chars(s: &[u8], k: usize) -> bool {
    if s.len() < k {
        return false;
    }
    // (a character is at most 4 bytes)
    if k > 0 && s.len() >= 4 * k {
        return true;
    }
    let mut n = 0usize;
    for &x in s {
        n += usize::from(x & 0xC0 != 0x80);
        if n >= k.max(1) {
            return true;
        }
    }
    false
}

/// English: possessive and plural only (light on purpose: features want
/// "countries"/"country" together, not "organization"/"organ").
fn en_stem(norm: &str) -> Range<usize> {
    let mut s = norm;
    for p in ["'s", "\u{2019}s"] {
        if let Some(r) = s.strip_suffix(p) {
            s = r;
        }
    }
    let n = s.len();
    if n > 4 && s.ends_with("ies") {
        s = &s[..n - 3];
    } else if n > 3
        && s.ends_with('y')
        && !s.ends_with("ey")
        && !s.ends_with("ay")
        && !s.ends_with("oy")
    {
        s = &s[..n - 1];
    } else if n > 4 && s.ends_with("sses") {
        s = &s[..n - 2];
    } else if n > 3
        && s.ends_with('s')
        && !s.ends_with("ss")
        && !s.ends_with("us")
        && !s.ends_with("is")
    {
        s = &s[..n - 1];
    }
    0..s.len()
}

/// French: plural s/x then feminine e (marocaines → marocain).
fn fr_stem(norm: &str) -> Range<usize> {
    let mut s = norm;
    if s.len() > 3 && (s.ends_with('s') || s.ends_with('x')) && !s.ends_with("ss") {
        s = &s[..s.len() - 1];
    }
    if s.len() > 4 && s.ends_with('e') {
        s = &s[..s.len() - 1];
    }
    0..s.len()
}

/// Number of leading letters of `norm` that are Arabic proclitics which
/// are never part of a name: و/ف (conjunction) before an article, a
/// hamzated alef (وأكد, وإسبانيا) or ب/ك/ل+article; ب/ك before the
/// article (بالمغرب); ل before the assimilated article (للمغرب). Diacritics
/// and tatweel following a proclitic are counted with it.
///
/// This is the normalised-letter part of [`proclitic_chars`]: how many proclitic
/// letters `norm` starts with. `hamza_alef` says whether the raw token's
/// second letter is a hamzated alef (أ إ آ, which the norm folds to ا);
/// it is only asked when no article decides.
fn proclitic_letters(norm: &str, hamza_alef: impl FnOnce() -> bool) -> usize {
    // First letter و ف ب ك ل (byte pairs).
    if !matches!(
        norm.as_bytes(),
        [0xD9, 0x88 | 0x81 | 0x83 | 0x84, ..] | [0xD8, 0xA8, ..]
    ) {
        return 0;
    }
    let mut k = 0usize;
    let mut t = norm;
    if let Some(r) = t.strip_prefix("و").or_else(|| t.strip_prefix("ف")) {
        let article = r.starts_with("ال")
            || r.starts_with("لل")
            || (r.starts_with(['ب', 'ك']) && r.get(2..).is_some_and(|x| x.starts_with("ال")));
        let ok = article || hamza_alef();
        if ok && at_least_chars(r.as_bytes(), 3) {
            k += 1;
            t = r;
        }
    }
    if let Some(r) = t.strip_prefix(['ب', 'ك', 'ل']) {
        if (r.starts_with("ال") || (t.starts_with('ل') && r.starts_with('ل')))
            && at_least_chars(r.as_bytes(), 3)
        {
            k += 1;
        }
    }
    k
}

/// Number of leading code points of `raw` that are Arabic proclitics which
/// are never part of a name (the rules: [`proclitic_letters`]).
fn proclitic_chars(raw: &str, norm: &str) -> u8 {
    let k = proclitic_letters(norm, || {
        raw.chars()
            .filter(|c| !is_arabic_diacritic(*c) && *c != TATWEEL && !is_invisible(*c))
            .nth(1)
            .is_some_and(|c| matches!(c, 'أ' | 'إ' | 'آ'))
    });
    if k == 0 {
        return 0;
    }
    // Map k normalised letters back to original code points.
    let mut letters = 0usize;
    let mut cps = 0usize;
    for c in raw.chars() {
        let skip = is_arabic_diacritic(c) || c == TATWEEL || is_invisible(c);
        if !skip {
            if letters == k {
                break;
            }
            letters += 1;
        }
        cps += 1;
    }
    u8::try_from(cps).unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `at_least_two_chars` is `at_least_chars(_, 2)` on every slice that
    /// starts on a character boundary (what `suffixes_ar` passes it).
    #[test]
    fn at_least_two_chars_equals_the_counting_version() {
        let pool = ["a", "é", "ب", "ة", "€", "😀", "ـ", "\u{64b}", "x"];
        let mut seed = 0x51_7cc1_b727_220au64;
        let mut checked = 0;
        for _ in 0..4_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 6) as usize;
            let w: String = (0..len)
                .map(|j| pool[((seed >> (8 * j)) % pool.len() as u64) as usize])
                .collect();
            let b = w.as_bytes();
            for (start, _) in w.char_indices().chain([(w.len(), ' ')]) {
                for end in start..=b.len() {
                    if !w.is_char_boundary(end) {
                        continue;
                    }
                    let r = &b[start..end];
                    assert_eq!(at_least_two_chars(r), at_least_chars(r, 2), "{r:?}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 20_000, "{checked}");
    }

    /// The letter-run scan as it was before the four-letter step: one
    /// letter per step through [`AR_RUN`] (the reference of the fast scan).
    fn scan_letter_run_reference(b: &[u8], mut pos: usize) -> (usize, usize, bool) {
        let mut acc = 0u8;
        let mut letters = 0usize;
        loop {
            match b.get(pos) {
                Some(&b0) if b0 & 0xFE == 0xD8 => {
                    let Some(&b1) = b.get(pos + 1) else { break };
                    let e = AR_RUN[(usize::from(b0 & 1) << 6) | usize::from(b1 & 0x3F)];
                    if e == 0 {
                        break;
                    }
                    acc |= e;
                    pos += 2;
                }
                Some(&b0) if b0.is_ascii_alphabetic() => {
                    acc |= u8::from(b0 < b'a') << 1;
                    pos += 1;
                }
                _ => break,
            }
            letters += 1;
        }
        (pos, letters, acc & 2 != 0)
    }

    /// Every character of U+0600–U+067F in each of the four lanes (the
    /// others plain letters): the SWAR step accepts exactly the letters
    /// AR_RUN marks, and reports exactly their normalisation changes.
    #[test]
    fn four_letter_step_equals_ar_run_on_every_lane() {
        let plain = "\u{0628}".as_bytes(); // ب: a run letter, unchanged
        for cp in 0x0600u32..0x0680 {
            let c = char::from_u32(cp).unwrap();
            let mut enc = [0u8; 4];
            let cb = c.encode_utf8(&mut enc).as_bytes().to_vec();
            let e = AR_RUN[(cp - 0x600) as usize];
            for lane in 0..4 {
                let mut w = Vec::new();
                for k in 0..4 {
                    w.extend_from_slice(if k == lane { &cb } else { plain });
                }
                let word = u64::from_le_bytes(w[..8].try_into().unwrap());
                let want = if e == 0 { None } else { Some(e >> 1) };
                assert_eq!(
                    four_arabic_run_letters(word),
                    want,
                    "U+{cp:04X} lane {lane}"
                );
            }
        }
    }

    /// The fast scan equals the one-letter reference from every character
    /// boundary of hostile text: Arabic with harakat, tatweel, hamza forms,
    /// Persian letters, digits, RTL marks, ZWNJ, emoji, Latin, combining
    /// marks, whitespace; long Arabic runs so the four-letter step is used.
    #[test]
    fn letter_run_scan_equals_reference_on_hostile_text() {
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let mut fast_steps = 0usize;
        for round in 0..3_000 {
            let mut text = String::new();
            for _ in 0..rng.below(40) {
                text.push_str(PIECES[rng.below(PIECES.len())]);
                if round % 3 == 0 {
                    text.push_str("المملكة");
                }
            }
            let b = text.as_bytes();
            for pos in (0..=b.len()).filter(|&p| text.is_char_boundary(p)) {
                let fast = scan_letter_run(b, pos);
                assert_eq!(fast, scan_letter_run_reference(b, pos), "{text:?} at {pos}");
                fast_steps += usize::from(fast.1 >= 4);
            }
        }
        assert!(fast_steps > 10_000, "{fast_steps}");
        for s in [
            "",
            " ",
            "\u{200F}",
            "ـــــ",
            "مُحَمَّدٌ",
            "أإآٱ",
            "ABCDefgh",
            "پچژگ",
        ] {
            let b = s.as_bytes();
            assert_eq!(
                scan_letter_run(b, 0),
                scan_letter_run_reference(b, 0),
                "{s:?}"
            );
        }
    }

    /// A small deterministic generator for the differential tests.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// Pieces of hostile text: affix letters, other Arabic letters, harakat,
    /// tatweel, hamza forms, Persian look-alikes, ASCII, Latin-1, 3- and
    /// 4-byte characters (RTL marks, emoji), combining marks, whitespace.
    const PIECES: &[&str] = &[
        "و", "ف", "ب", "ك", "ل", "ا", "ال", "لل", "ها", "ان", "ة", "ى", "م", "غ", "ر", "ن", "أ",
        "إ", "آ", "ٱ", "ء", "ـ", "َ", "ّ", "ٰ", "\u{0653}", "\u{0654}", "ی", "ک", "پ", "a", "S", "Z",
        "é", "ß", "\u{200F}", "\u{200C}", "\u{202E}", "😀", "\u{0301}", "ﻻ", "𝒜", " ", "\n", "",
        "3", "٣", "۱", "'", "-", ".", "،", "؟",
    ];

    fn toks(s: &str) -> Vec<(String, TokenKind)> {
        tokenize(s)
            .iter()
            .map(|t| (t.span.slice(s).to_string(), t.kind))
            .collect()
    }
    fn words(s: &str) -> Vec<String> {
        toks(s).into_iter().map(|t| t.0).collect()
    }

    /// The written-out table must equal the reference classification; on a
    /// mismatch (new Unicode data in a toolchain) print the runs to paste
    /// into classes.rs.
    #[test]
    fn class_table_matches_classify_slow() {
        let table = class_table();
        let mut runs: Vec<(u32, Class)> = Vec::new();
        let mut mismatches = 0;
        for i in 0..TABLE_LEN as u32 {
            let k = char::from_u32(i).map_or(Class::Symbol, classify_slow);
            if table[i as usize] != k {
                mismatches += 1;
            }
            if runs.last().map(|r| r.1) != Some(k) {
                runs.push((i, k));
            }
        }
        if mismatches > 0 {
            for (i, k) in &runs {
                println!("(0x{i:04X}, {k:?}),");
            }
        }
        assert_eq!(mismatches, 0, "{} runs printed above", runs.len());
    }

    #[test]
    fn basic_kinds() {
        let t = toks("Le 3 octobre, 1,000 personnes (3.5%) !");
        let kinds: Vec<TokenKind> = t.iter().map(|x| x.1).collect();
        use TokenKind::*;
        assert_eq!(
            words("Le 3 octobre, 1,000 personnes (3.5%) !"),
            [
                "Le",
                "3",
                "octobre",
                ",",
                "1,000",
                "personnes",
                "(",
                "3.5",
                "%",
                ")",
                "!"
            ]
        );
        assert_eq!(
            kinds,
            [Word, Number, Word, Punct, Number, Word, Punct, Number, Punct, Punct, Punct]
        );
    }

    #[test]
    fn arabic_digits_and_glued_byline() {
        assert_eq!(
            words("خديجة عدي3 أكتوبر ٢٠٢٤"),
            ["خديجة", "عدي", "3", "أكتوبر", "٢٠٢٤"]
        );
        let t = toks("نسبة ٣٫٥ في المئة");
        assert_eq!(t[1], ("٣٫٥".to_string(), TokenKind::Number));
    }

    #[test]
    fn elision_possessive_hyphen() {
        assert_eq!(
            words("l'État d'Agadir qu'il aujourd'hui"),
            ["l'", "État", "d'", "Agadir", "qu'", "il", "aujourd'hui"]
        );
        assert_eq!(
            words("Morocco's King Jean-Pierre O'Neill"),
            ["Morocco", "'s", "King", "Jean-Pierre", "O'Neill"]
        );
        assert_eq!(words("l’Espagne"), ["l’", "Espagne"]);
    }

    #[test]
    fn abbreviations_keep_dot() {
        assert_eq!(
            words("Mr. Smith of the U.S. said"),
            ["Mr.", "Smith", "of", "the", "U.S.", "said"]
        );
        assert_eq!(
            words("e.g. this, M. Macron"),
            ["e.g.", "this", ",", "M.", "Macron"]
        );
        assert_eq!(
            words("قال د. أحمد و أ.د. سعيد"),
            ["قال", "د.", "أحمد", "و", "أ.د.", "سعيد"]
        );
        assert_eq!(words("end.The"), ["end", ".", "The"]);
    }

    #[test]
    fn urls_and_emails() {
        let t = toks("See https://example.com/a?b=1. Mail: info@example.org, www.site.ma!");
        assert!(t.contains(&("https://example.com/a?b=1".into(), TokenKind::Symbol)));
        assert!(t.contains(&("info@example.org".into(), TokenKind::Symbol)));
        assert!(t.contains(&("www.site.ma".into(), TokenKind::Symbol)));
    }

    #[test]
    fn ellipsis_and_runs() {
        assert_eq!(
            words("Wait... what?! ؟؟"),
            ["Wait", "...", "what", "?!", "؟؟"]
        );
    }

    #[test]
    fn invisible_and_emoji() {
        let s = "a\u{200F}b \u{202E}abc\u{202C} 👩\u{200D}💻 🇲🇦";
        let w = words(s);
        assert_eq!(w, ["a\u{200F}b", "abc", "👩\u{200D}💻", "🇲🇦"]);
        let (t, buf) = tokenize_with(s, Lang::En);
        assert_eq!(&buf[t[0].norm.start as usize..t[0].norm.end as usize], "ab");
    }

    #[test]
    fn offsets_are_codepoints() {
        let s = "éa مرحبا x";
        let t = tokenize(s);
        assert_eq!((t[1].span.cstart, t[1].span.cend), (3, 8));
        assert_eq!((t[2].span.cstart, t[2].span.cend), (9, 10));
    }

    #[test]
    fn stems() {
        assert_eq!(light_stem("المغرب", Lang::Ar), "مغرب");
        assert_eq!(light_stem("والمغرب", Lang::Ar), "مغرب");
        assert_eq!(light_stem("مغربيه", Lang::Ar), "مغرب");
        assert_eq!(light_stem("وزير", Lang::Ar), "وزير");
        assert_eq!(light_stem("فرنسا", Lang::Ar), "فرنسا");
        assert_eq!(
            light_stem("countries", Lang::En),
            light_stem("country", Lang::En)
        );
        assert_eq!(light_stem("marocaines", Lang::Fr), "marocain");
        assert_eq!(light_stem("marocain", Lang::Fr), "marocain");
    }

    #[test]
    fn proclitics() {
        let pc = |w: &str| {
            let mut b = String::new();
            token_forms(w, Lang::Ar, &mut b).proclitic_chars
        };
        assert_eq!(pc("وبالمغرب"), 2);
        assert_eq!(pc("بالمغرب"), 1);
        assert_eq!(pc("المغرب"), 0);
        assert_eq!(pc("للمغرب"), 1);
        assert_eq!(pc("وإسبانيا"), 1);
        assert_eq!(pc("واشنطن"), 0);
        assert_eq!(pc("وزير"), 0);
        assert_eq!(pc("فرنسا"), 0);
        assert_eq!(pc("وَبِالمغرب"), 4);
    }

    #[test]
    fn token_forms_match_pipeline() {
        let s = "وبالمغرب Countries l'État";
        let (t, buf) = tokenize_with(s, Lang::Fr);
        for tok in &t {
            let mut b = String::new();
            let f = token_forms(tok.span.slice(s), Lang::Fr, &mut b);
            assert_eq!(
                &b[f.norm.start as usize..f.norm.end as usize],
                &buf[tok.norm.start as usize..tok.norm.end as usize]
            );
            assert_eq!(
                &b[f.stem.start as usize..f.stem.end as usize],
                &buf[tok.stem.start as usize..tok.stem.end as usize]
            );
            assert_eq!(f.proclitic_chars, tok.proclitic_chars);
        }
    }
}
