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

use super::data::{word_flags, W_ABBR, W_ABBR_FINAL};
use super::normalize::{self, digit_value, is_arabic_diacritic, is_invisible, TATWEEL};
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

/// Code points below this are classified by table lookup.
const TABLE_LEN: usize = 0x2100;

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

fn class_table() -> &'static [Class; TABLE_LEN] {
    static T: std::sync::OnceLock<[Class; TABLE_LEN]> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let mut t = [Class::Symbol; TABLE_LEN];
        for (i, slot) in t.iter_mut().enumerate() {
            if let Some(c) = char::from_u32(i as u32) {
                *slot = classify_slow(c);
            }
        }
        t
    })
}

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

/// French elided words that are split off after their apostrophe
/// (`l'État` → `l'` `État`), compared ASCII-case-insensitively.
fn is_elision(prefix: &str) -> bool {
    const EL: [&str; 14] = [
        "l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu",
        "presqu",
    ];
    prefix.len() <= 6 && EL.iter().any(|e| e.eq_ignore_ascii_case(prefix))
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
    /// Word-table flags per token, filled alongside `out` when asked for.
    flags: Option<&'o mut Vec<u16>>,
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
        let raw = self.s.get(b0..self.pos).unwrap_or("");
        let n0 = self.norm_buf.len();
        normalize::normalize_into(raw, self.norm_buf);
        if let Some(f) = self.flags.as_mut() {
            let fl = match kind {
                TokenKind::Number => 0,
                _ => word_flags(self.norm_buf.get(n0..).unwrap_or("")),
            };
            f.push(fl);
        }
        let norm = to_u32(n0)..to_u32(self.norm_buf.len());
        self.out.push(Token {
            span: Span {
                start: b0,
                end: self.pos,
                cstart: c0,
                cend: self.cp,
            },
            kind,
            stem: norm.clone(),
            norm,
            proclitic_chars: 0,
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
        while let Some(c) = self.peek() {
            if c == ' ' {
                self.pos += 1;
                self.cp += 1;
                continue;
            }
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
        let latin = self.peek().is_some_and(is_latin_letter);
        let mut letters = 0usize;
        let mut possessive = false;
        loop {
            letters += self.letter_run();
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
        if self.peek() == Some('.') {
            self.abbreviation_dot(b0, letters);
        }
        self.push(b0, c0, TokenKind::Word);
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
    /// decoding or classifying. Returns the number of letters skipped.
    #[inline]
    fn letter_run(&mut self) -> usize {
        let b = self.s.as_bytes();
        let mut letters = 0usize;
        while self.pos < self.end {
            let Some(&b0) = b.get(self.pos) else { break };
            if b0.is_ascii_alphabetic() {
                self.pos += 1;
            } else if b0 == 0xD8 || b0 == 0xD9 {
                let Some(&b1) = b.get(self.pos + 1) else {
                    break;
                };
                let cp = ((b0 as u32 & 0x1F) << 6) | (b1 as u32 & 0x3F);
                if !(0x0621..=0x065F).contains(&cp) {
                    break;
                }
                self.pos += 2;
            } else {
                break;
            }
            self.cp += 1;
            letters += 1;
        }
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
/// ([`super::data::word_flags`] of the norm; 0 for numbers) to `flags`,
/// while the norm is hot.
pub fn tokenize_into_flags(
    text: &str,
    range: Range<usize>,
    cp_start: u32,
    tokens: &mut Vec<Token>,
    norm_buf: &mut String,
    flags: Option<&mut Vec<u16>>,
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
        if t.kind != TokenKind::Word {
            continue;
        }
        let n0 = t.norm.start as usize;
        let Some(norm) = norm_buf.get(n0..t.norm.end as usize) else {
            continue;
        };
        let r = light_stem_range(norm, lang);
        t.stem = to_u32(n0 + r.start)..to_u32(n0 + r.end);
        t.proclitic_chars = proclitic_chars(t.span.slice(text), norm);
    }
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

/// Byte range of [`light_stem`] inside `norm`.
pub fn light_stem_range(norm: &str, lang: Lang) -> Range<usize> {
    match norm.chars().next() {
        Some(c) if !c.is_ascii() && is_arabic_letter(c) => ar_stem(norm),
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

/// Arabic light stemmer in the spirit of Larkey's Light10, made more
/// conservative on the prefixes: و/ف are only removed before an article or
/// an alef (وزير, فرنسا must survive), ب/ك only with the article.
/// Suffixes ها ان ات ون ين يه ه ي are each removed once, in that order,
/// when at least two letters remain. Works on the folded form (ة→ه, أ→ا).
fn ar_stem(norm: &str) -> Range<usize> {
    let mut s = norm;
    let mut start = 0usize;
    // First letter و ف ب ك ل ا (byte pairs), else only suffixes apply.
    if !matches!(
        norm.as_bytes(),
        [0xD9, 0x88 | 0x81 | 0x83 | 0x84, ..] | [0xD8, 0xA8 | 0xA7, ..]
    ) {
        return suffixes_ar(norm, 0);
    }
    if let Some(r) = s.strip_prefix("و").or_else(|| s.strip_prefix("ف")) {
        let ok = r.starts_with("ال")
            || r.starts_with("لل")
            || r.starts_with("بال")
            || r.starts_with("كال")
            || r.starts_with('ا');
        if ok && at_least_chars(r, 4) {
            start += s.len() - r.len();
            s = r;
        }
    }
    for p in ["بال", "كال", "لل", "ال"] {
        if let Some(r) = s.strip_prefix(p) {
            if at_least_chars(r, 2) {
                start += s.len() - r.len();
                s = r;
            }
            break;
        }
    }
    let r = suffixes_ar(s, start);
    r.start..r.end
}

/// Suffix part of [`ar_stem`] on `s` (which starts at byte `start` of the norm).
fn suffixes_ar(mut s: &str, start: usize) -> Range<usize> {
    // All suffixes end in ا ت ن ه ي: skip the loop for any other last letter.
    // Last letter ا ت ن ه ي (byte pairs).
    if !matches!(
        s.as_bytes(),
        [.., 0xD8, 0xA7 | 0xAA] | [.., 0xD9, 0x86 | 0x87 | 0x8A]
    ) {
        return start..start + s.len();
    }
    for suf in ["ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي"] {
        if let Some(r) = s.strip_suffix(suf) {
            if at_least_chars(r, 2) {
                s = r;
            }
        }
    }
    start..start + s.len()
}

/// `s.chars().count() >= k` without counting past `k`.
#[inline]
fn at_least_chars(s: &str, k: usize) -> bool {
    s.len() >= k && s.chars().nth(k.saturating_sub(1)).is_some()
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

/// Number of leading code points of `raw` that are Arabic proclitics which
/// are never part of a name: و/ف (conjunction) before an article, a
/// hamzated alef (وأكد, وإسبانيا) or ب/ك/ل+article; ب/ك before the
/// article (بالمغرب); ل before the assimilated article (للمغرب). Diacritics
/// and tatweel following a proclitic are counted with it.
fn proclitic_chars(raw: &str, norm: &str) -> u8 {
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
        let hamza_alef = raw
            .chars()
            .filter(|c| !is_arabic_diacritic(*c) && *c != TATWEEL && !is_invisible(*c))
            .nth(1)
            .is_some_and(|c| matches!(c, 'أ' | 'إ' | 'آ'));
        let article = r.starts_with("ال")
            || r.starts_with("لل")
            || (r.starts_with(['ب', 'ك']) && r.get(2..).is_some_and(|x| x.starts_with("ال")));
        if (article || hamza_alef) && at_least_chars(r, 3) {
            k += 1;
            t = r;
        }
    }
    if let Some(r) = t.strip_prefix(['ب', 'ك', 'ل']) {
        if (r.starts_with("ال") || (t.starts_with('ل') && r.starts_with('ل')))
            && at_least_chars(r, 3)
        {
            k += 1;
        }
    }
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

    fn toks(s: &str) -> Vec<(String, TokenKind)> {
        tokenize(s)
            .iter()
            .map(|t| (t.span.slice(s).to_string(), t.kind))
            .collect()
    }
    fn words(s: &str) -> Vec<String> {
        toks(s).into_iter().map(|t| t.0).collect()
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
