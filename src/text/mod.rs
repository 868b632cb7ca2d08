//! Text pipeline: from a caller's raw article to a [`Document`] that every
//! downstream stage (entities, summary, topics) consumes.
//!
//! Plain synchronous Rust, no I/O, no async. Nothing here imports any other
//! module of this crate: the dependency arrow points *into* `text`.
//!
//! Offsets: every [`Span`] carries both byte offsets (for slicing the
//! original `&str` cheaply) and Unicode code-point offsets (what the API
//! returns). They always refer to the caller's original text, never to a
//! normalised copy.
//!
//! Stages ([`analyze`]): lines → [`tokens`] (with [`normalize`]d forms in
//! [`Document::norm_buf`]) → [`lang`] (unless hinted) → light stems →
//! [`structure`] roles per line (title / byline / heading / body /
//! boilerplate) → [`sentences`] inside body and boilerplate lines.
//! `nutgraf debug segment FILE` prints the result ([`debug::render`]).
//!
//! Outside a `Document` (e.g. CoNLL tokens at NER training time) use
//! [`tokens::token_forms`] / [`normalize::normalize_into`] /
//! [`tokens::light_stem`], so features see exactly the forms inference sees.

mod classes;
pub mod data;
pub mod debug;
pub mod lang;
pub mod normalize;
pub mod sentences;
pub mod structure;
pub mod tokens;

#[cfg(test)]
mod tests;

pub use normalize::{fold, normalize_into};
pub use tokens::{light_stem, token_forms, TokenForms};

use std::ops::Range;

/// Languages the models know. `Und` is anything else (or too little text).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    Ar,
    Fr,
    En,
    Und,
}

impl Lang {
    /// The languages the service supports, in API order.
    pub const SUPPORTED: [Lang; 3] = [Lang::Ar, Lang::Fr, Lang::En];

    /// BCP-47 code as the API spells it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::Fr => "fr",
            Lang::En => "en",
            Lang::Und => "und",
        }
    }

    /// Parse a caller's hint: accepts "ar", "AR", "ar-MA", "fr_FR", "en-GB"...
    /// Returns `None` for anything that is not one of the supported languages.
    pub fn from_hint(hint: &str) -> Option<Lang> {
        let primary = hint
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "ar" | "ara" => Some(Lang::Ar),
            "fr" | "fra" | "fre" => Some(Lang::Fr),
            "en" | "eng" => Some(Lang::En),
            _ => None,
        }
    }
}

/// A region of the original text, in bytes and in code points (end exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// Code-point offset of the first character.
    pub cstart: u32,
    /// Code-point offset one past the last character.
    pub cend: u32,
}

impl Span {
    /// The slice of `text` this span covers (empty if out of bounds, never panics).
    pub fn slice<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.start..self.end).unwrap_or("")
    }
}

/// What a line/sentence is in the article's layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The article's title (first line), or a repeat of it.
    Title,
    /// Author / date / source line.
    Byline,
    /// Short section heading without final punctuation: may carry entities,
    /// never a summary candidate.
    Heading,
    /// Running text: the only summary candidates.
    Body,
    /// Comment forms, share prompts, related links, cookie notices...
    Boilerplate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Letters (any script), possibly with inner apostrophes / hyphens.
    Word,
    /// Digits in any script (ASCII, Arabic-Indic, Eastern Arabic-Indic),
    /// with decimal/thousand separators inside.
    Number,
    /// Punctuation.
    Punct,
    /// Anything else (symbols, emoji, ...).
    Symbol,
}

/// One token of the original text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub span: Span,
    pub kind: TokenKind,
    /// Normalised form for matching (NFC, lowercased, Arabic diacritics and
    /// tatweel removed, alef/yeh/teh-marbuta unified, digits to ASCII,
    /// invisible controls removed), as a range into [`Document::norm_buf`].
    pub norm: Range<u32>,
    /// Light stem for features: Arabic clitics (و ف ب ل ك ال لل ...) and
    /// common suffixes stripped; for fr/en a light suffix-stripped lowercase
    /// form. Range into [`Document::norm_buf`].
    pub stem: Range<u32>,
    /// Number of leading code points of the original token that are Arabic
    /// proclitics which are not part of a name (و ف ب ل ك, not ال), so an
    /// entity mention can start after them ("وبالمغرب" -> 2 for "وب").
    pub proclitic_chars: u8,
}

/// One sentence (or line-unit: title, byline, heading) of the document.
#[derive(Clone, Debug, PartialEq)]
pub struct Sentence {
    pub span: Span,
    pub role: Role,
    /// Index range into [`Document::tokens`].
    pub tokens: Range<usize>,
    /// Paragraph number (0-based, over the whole text).
    pub paragraph: u32,
}

/// The analysed article. Borrows the caller's text; owns everything derived.
#[derive(Clone, Debug)]
pub struct Document<'a> {
    /// The caller's original text, untouched.
    pub text: &'a str,
    /// Separate title given by the caller (not part of `text`, so it has no
    /// offsets; used for title overlap and topic features).
    pub extra_title: Option<&'a str>,
    pub lang: Lang,
    /// Confidence of `lang` in `[0, 1]` (1.0 when the caller's hint was used).
    pub lang_confidence: f32,
    /// Whether `lang` came from the caller's hint.
    pub lang_from_hint: bool,
    /// All sentences in document order, boilerplate included (with its role).
    pub sentences: Vec<Sentence>,
    /// All tokens in document order.
    pub tokens: Vec<Token>,
    /// Backing store for every token's `norm` and `stem`.
    pub norm_buf: String,
}

impl<'a> Document<'a> {
    /// Original text of a token.
    pub fn token_text(&self, t: &Token) -> &'a str {
        t.span.slice(self.text)
    }
    /// Normalised form of a token.
    pub fn norm(&self, t: &Token) -> &str {
        self.norm_buf
            .get(t.norm.start as usize..t.norm.end as usize)
            .unwrap_or("")
    }
    /// Light stem of a token.
    pub fn stem(&self, t: &Token) -> &str {
        self.norm_buf
            .get(t.stem.start as usize..t.stem.end as usize)
            .unwrap_or("")
    }
    /// Tokens of one sentence.
    pub fn sentence_tokens(&self, s: &Sentence) -> &[Token] {
        self.tokens.get(s.tokens.clone()).unwrap_or(&[])
    }
    /// Original text of a sentence.
    pub fn sentence_text(&self, s: &Sentence) -> &'a str {
        s.span.slice(self.text)
    }
    /// Drop the document, keeping its token, sentence and norm buffers for
    /// the next [`analyze`] on this thread (cleared; a buffer over 1 MiB is
    /// freed instead). Why: allocating them fresh cost the text stage
    /// several large `malloc`s per article; callers that analyse many
    /// documents on one thread (the pipeline's workers) call this when done.
    pub fn recycle(self) {
        structure::recycle(self);
    }
}

/// Options for building a [`Document`].
#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions<'a> {
    /// Separate title field from the caller, if any.
    pub title: Option<&'a str>,
    /// Caller's language hint; wins over detection when given.
    pub lang_hint: Option<Lang>,
}

/// Run the whole text pipeline: structure, language, sentences, tokens.
/// Never panics, whatever the input; linear-ish in the input size.
pub fn analyze<'a>(text: &'a str, opts: TextOptions<'a>) -> Document<'a> {
    structure::build_document(text, opts)
}
