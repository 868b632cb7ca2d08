//! Article structure: which line is the title, a byline, a repeated title,
//! a section heading, running text or page boilerplate.
//!
//! Scraped articles arrive as one paragraph per line. Each non-empty line
//! is a *block*; blocks are classified in the spirit of jusText (Pomikálek
//! 2011): not by a phrase list alone, but by length, stop-word density,
//! final punctuation, separator density, date/byline cues, and known
//! boilerplate phrases in ar/fr/en, with context: a comment-form / related
//! links / tags phrase starts the page *tail*, and everything after it is
//! boilerplate unless it clearly reads as article prose again.
//!
//! Then Body and Boilerplate blocks are split into sentences; Title, Byline
//! and Heading blocks are one unit each.

use super::data::{self, Boiler, L_AR, L_EN, L_FR, W_BYLINE, W_DATE, W_PHRASE, W_UI};
use super::lang::LangStats;
use super::normalize::line_key;
use super::sentences;
use super::tokens::{self, fill_stems_at};
use super::*;

/// Tunable thresholds of the block classifier, in one place.
#[derive(Clone, Copy, Debug)]
pub struct StructureParams {
    /// A first line with more words than this is prose, not a title.
    pub title_max_words: usize,
    /// Headings: at most this many words...
    pub heading_max_words: usize,
    /// ...and this many code points.
    pub heading_max_chars: u32,
    /// Bylines: at most this many words.
    pub byline_max_words: usize,
    /// Inside the page tail, a block must have at least this many words
    /// (and prose-like stop-word density) to count as article text again.
    pub tail_escape_words: usize,
    /// Stop-word density (stop words / words) of prose: below it, long
    /// unpunctuated blocks are keyword/tag lists.
    pub min_stop_density: f32,
    /// Multi-word boilerplate phrases are looked for in blocks up to this size.
    pub phrase_max_words: usize,
}

impl Default for StructureParams {
    fn default() -> Self {
        StructureParams {
            title_max_words: 30,
            heading_max_words: 15,
            heading_max_chars: 160,
            byline_max_words: 14,
            tail_escape_words: 60,
            min_stop_density: 0.08,
            phrase_max_words: 40,
        }
    }
}

/// A non-empty line.
#[derive(Clone, Debug)]
struct Block {
    tokens: Range<usize>,
}

/// Features of a block (computed once).
#[derive(Clone, Copy, Debug, Default)]
struct Feats {
    words: usize,
    stop: usize,
    chars: u32,
    ends_terminal: bool,
    ends_colon: bool,
    separators: usize,
    date: bool,
    byline_marker: bool,
    ui_words: usize,
    symbols_only: bool,
    year: bool,
    phrase: Option<Boiler>,
}

fn lang_bit(lang: Lang) -> u16 {
    match lang {
        Lang::Ar => L_AR,
        Lang::En => L_EN,
        Lang::Fr => L_FR,
        Lang::Und => L_AR | L_EN | L_FR,
    }
}

fn feats(doc: &Document<'_>, b: &Block, flags: &[u16], params: &StructureParams) -> Feats {
    let toks = doc.tokens.get(b.tokens.clone()).unwrap_or(&[]);
    let tflags = flags.get(b.tokens.clone()).unwrap_or(&[]);
    let mut f = Feats {
        symbols_only: true,
        ..Feats::default()
    };
    let bit = lang_bit(doc.lang);
    if let (Some(first), Some(last)) = (toks.first(), toks.last()) {
        f.chars = last.span.cend.saturating_sub(first.span.cstart);
    }
    for (k, t) in toks.iter().enumerate() {
        match t.kind {
            TokenKind::Word => {
                f.words += 1;
                f.symbols_only = false;
                let fl = tflags.get(k).copied().unwrap_or(0);
                if fl & bit != 0 {
                    f.stop += 1;
                }
                if fl & W_DATE != 0 {
                    f.date = true;
                }
                if fl & W_BYLINE != 0 {
                    f.byline_marker = true;
                }
                if fl & W_UI != 0 {
                    f.ui_words += 1;
                }
            }
            TokenKind::Number => {
                f.symbols_only = false;
                let n = doc.norm(t);
                if n.len() == 4 && (n.starts_with("19") || n.starts_with("20")) {
                    f.year = true;
                }
                if n.contains('/') || n.contains(':') {
                    f.date = true;
                }
            }
            TokenKind::Punct => {
                // Menu / breadcrumb separators (« » are quotes in ar/fr:
                // only unpaired » count, see below).
                if matches!(
                    doc.token_text(t),
                    "|" | "•" | "·" | "»" | "›" | "–" | ">" | ">>"
                ) {
                    f.separators += 1;
                }
            }
            TokenKind::Symbol => {
                if matches!(doc.token_text(t), "|" | ">" | "©") {
                    f.separators += 1;
                }
            }
        }
    }
    // Quotes « » are not separators when balanced.
    // (a token reading "«" is always a punctuation token: test that first)
    let opens = toks
        .iter()
        .filter(|t| t.kind == TokenKind::Punct && doc.token_text(t) == "«")
        .count();
    f.separators = f.separators.saturating_sub(opens);
    // Final punctuation (skipping closing quotes/brackets).
    for t in toks.iter().rev() {
        let s = doc.token_text(t);
        if t.kind == TokenKind::Punct && matches!(s, "»" | "\"" | "”" | "’" | ")" | "]" | "'")
        {
            continue;
        }
        if t.kind == TokenKind::Punct {
            f.ends_terminal = s.chars().any(sentences::is_terminal_char);
            f.ends_colon = s == ":";
        } else if t.kind == TokenKind::Word {
            f.ends_terminal = s.ends_with('.');
        }
        break;
    }
    f.date |= f.year && f.words <= params.byline_max_words;
    f.phrase = find_phrase(doc, toks, tflags, f.words, f.ends_terminal, params);
    f
}

/// Known boilerplate phrase in the block? Multi-word phrases may be anywhere
/// in a short block; one-word phrases ("Commentaires", "الوسوم") only open a
/// very short block (≤ 3 words, no final stop), so the word in running text never triggers them.
fn find_phrase(
    doc: &Document<'_>,
    toks: &[Token],
    tflags: &[u16],
    words: usize,
    ends_terminal: bool,
    params: &StructureParams,
) -> Option<Boiler> {
    if words > params.phrase_max_words || toks.is_empty() {
        return None;
    }
    let table = data::phrases();
    let mut best: Option<Boiler> = None;
    for (i, t) in toks.iter().enumerate() {
        if tflags.get(i).is_none_or(|f| f & W_PHRASE == 0) {
            continue;
        }
        let Some(cands) = table.get(doc.norm(t)) else {
            continue;
        };
        for p in cands {
            if p.toks.len() == 1 && (i > 0 || words > 3 || ends_terminal) {
                continue;
            }
            let ok = p
                .toks
                .iter()
                .enumerate()
                .all(|(k, pt)| toks.get(i + k).is_some_and(|x| doc.norm(x) == pt));
            if ok {
                if p.kind == Boiler::Tail {
                    return Some(Boiler::Tail);
                }
                best = Some(p.kind);
            }
        }
    }
    best
}

/// Build the whole [`Document`]: lines → tokens → language → stems →
/// block roles → sentences.
pub fn build_document<'a>(text: &'a str, opts: TextOptions<'a>) -> Document<'a> {
    build_document_with(text, opts, &StructureParams::default())
}

/// Buffers of one document build, kept per thread between calls (see
/// [`Spare::take`]).
#[derive(Default)]
struct Spare {
    tokens: Vec<Token>,
    sentences: Vec<Sentence>,
    norm_buf: String,
    flags: Vec<u16>,
    blocks: Vec<Block>,
    pending_stems: Vec<usize>,
    ranges: Vec<Range<usize>>,
}

/// A buffer whose capacity exceeds this many bytes is not kept: one huge
/// text must not pin its megabytes in a worker thread for good. The cap
/// is per buffer: the seven of [`Spare`] may together keep up to 7 MiB in
/// a thread after a long text (a typical article's buffers are sized to
/// it, far less); docs/DEPLOY.md's worst-case memory is measured with
/// 1 MiB texts, so it includes them.
const KEEP_BYTES: usize = 1 << 20;

fn keep<T>(v: &mut Vec<T>) {
    if v.capacity().saturating_mul(std::mem::size_of::<T>()) > KEEP_BYTES {
        *v = Vec::new();
    } else {
        v.clear();
    }
}

thread_local! {
    static SPARE: std::cell::RefCell<Spare> = std::cell::RefCell::new(Spare::default());
}

impl Spare {
    /// This thread's buffers, empty (fresh ones when there are none, e.g.
    /// during thread teardown).
    ///
    /// Why: a fresh document's token, norm and flag buffers are each larger
    /// than glibc's fast bins, so every analysis paid for large `malloc`s
    /// (≈ 2,800 instructions each on the Arabic sample: a large request first
    /// consolidates the small chunks the other stages freed) plus the
    /// regrowth of the sentence and block vectors. Reused, they cost nothing
    /// once they have grown to a typical article.
    fn take() -> Spare {
        SPARE
            .try_with(|s| s.try_borrow_mut().map(|mut s| std::mem::take(&mut *s)))
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default()
    }

    /// Keep the buffers for the next document built on this thread.
    fn give_back(mut self) {
        keep(&mut self.tokens);
        keep(&mut self.sentences);
        if self.norm_buf.capacity() > KEEP_BYTES {
            self.norm_buf = String::new();
        } else {
            self.norm_buf.clear();
        }
        keep(&mut self.flags);
        keep(&mut self.blocks);
        keep(&mut self.pending_stems);
        keep(&mut self.ranges);
        let _ = SPARE.try_with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                *s = self;
            }
        });
    }
}

/// Give `doc`'s token, sentence and norm buffers back to this thread, for
/// the next [`build_document`] on it (see [`Document::recycle`]).
pub(super) fn recycle(doc: Document<'_>) {
    let mut spare = Spare::take();
    spare.tokens = doc.tokens;
    spare.sentences = doc.sentences;
    spare.norm_buf = doc.norm_buf;
    spare.give_back();
}

/// [`build_document`] with explicit thresholds.
pub fn build_document_with<'a>(
    text: &'a str,
    opts: TextOptions<'a>,
    params: &StructureParams,
) -> Document<'a> {
    let Spare {
        mut tokens,
        mut sentences,
        mut norm_buf,
        mut flags,
        mut blocks,
        mut pending_stems,
        mut ranges,
    } = Spare::take();
    tokens.clear();
    tokens.reserve(text.len() / 6 + 1);
    sentences.clear();
    norm_buf.clear();
    norm_buf.reserve(text.len() + 16);
    let mut doc = Document {
        text,
        extra_title: opts.title,
        lang: Lang::Und,
        lang_confidence: 0.0,
        lang_from_hint: false,
        sentences,
        tokens,
        norm_buf,
    };
    // 1. lines → tokens (+ word-table flags per token, looked up once
    //    while the norm is hot; used by language id and roles)
    blocks.clear();
    flags.clear();
    flags.reserve(text.len() / 6 + 1);
    // Word tokens whose stems wait for the language (non-Arabic script).
    pending_stems.clear();
    let mut pos = 0usize;
    let mut cp = 0u32;
    while pos < text.len() {
        // (`str::find` of an ASCII char is a memchr; `pos` is always just
        // after a '\n' or 0, so on a char boundary)
        let nl = text
            .get(pos..)
            .and_then(|r| r.find('\n'))
            .map_or(text.len(), |k| pos + k);
        let t0 = doc.tokens.len();
        cp = tokens::tokenize_line(
            text,
            pos..nl,
            cp,
            &mut doc.tokens,
            &mut doc.norm_buf,
            &mut flags,
            &mut pending_stems,
        );
        if doc.tokens.len() > t0 {
            blocks.push(Block {
                tokens: t0..doc.tokens.len(),
            });
        }
        cp += 1; // the '\n'
        pos = nl + 1;
    }
    // 2. language
    match opts.lang_hint {
        Some(l) => {
            doc.lang = l;
            doc.lang_confidence = 1.0;
            doc.lang_from_hint = true;
        }
        None => {
            let (l, c) = LangStats::from_tokens_flags(text, &doc.tokens, &flags).decide();
            doc.lang = l;
            doc.lang_confidence = c;
        }
    }
    // 3. stems (need the language; Arabic-script words got theirs in the
    //    tokenizer, as they do not depend on it)
    fill_stems_at(
        text,
        &mut doc.tokens,
        &pending_stems,
        &doc.norm_buf,
        doc.lang,
    );
    // 4. roles
    let roles = classify_blocks(&doc, &blocks, &flags, opts, params);
    // 5. sentences
    ranges.clear();
    for (p, (b, role)) in blocks.iter().zip(roles).enumerate() {
        ranges.clear();
        match role {
            Role::Body | Role::Boilerplate => {
                sentences::split(text, &doc.tokens, b.tokens.clone(), &mut ranges)
            }
            _ => ranges.push(b.tokens.clone()),
        }
        for r in &ranges {
            let (Some(first), Some(last)) = (
                doc.tokens.get(r.start),
                doc.tokens.get(r.end.wrapping_sub(1)),
            ) else {
                continue;
            };
            doc.sentences.push(Sentence {
                span: Span {
                    start: first.span.start,
                    end: last.span.end,
                    cstart: first.span.cstart,
                    cend: last.span.cend,
                },
                role,
                tokens: r.clone(),
                paragraph: u32::try_from(p).unwrap_or(u32::MAX),
            });
        }
    }
    Spare {
        flags,
        blocks,
        pending_stems,
        ranges,
        ..Spare::default()
    }
    .give_back();
    doc
}

fn block_text<'a>(doc: &Document<'a>, b: &Block) -> &'a str {
    let (Some(first), Some(last)) = (
        doc.tokens.get(b.tokens.start),
        doc.tokens.get(b.tokens.end.wrapping_sub(1)),
    ) else {
        return "";
    };
    doc.text.get(first.span.start..last.span.end).unwrap_or("")
}

fn classify_blocks(
    doc: &Document<'_>,
    blocks: &[Block],
    flags: &[u16],
    opts: TextOptions<'_>,
    params: &StructureParams,
) -> Vec<Role> {
    let mut roles = Vec::with_capacity(blocks.len());
    let feats: Vec<Feats> = blocks
        .iter()
        .map(|b| feats(doc, b, flags, params))
        .collect();
    // Title keys: the caller's title and/or the first line.
    let mut title_keys: Vec<String> = Vec::new();
    if let Some(t) = opts.title {
        let k = line_key(t);
        if !k.is_empty() {
            title_keys.push(k);
        }
    }
    let mut in_tail = false;
    for (i, (b, f)) in blocks.iter().zip(&feats).enumerate() {
        let short = f.words <= params.title_max_words && f.chars <= 400;
        // Title or repeated title.
        if short
            && !title_keys.is_empty()
            && title_keys
                .iter()
                .any(|t| close_len(t, f.chars) && starts_like(doc, b, t))
        {
            let k = line_key(block_text(doc, b));
            if title_keys.iter().any(|t| same_title(t, &k)) {
                roles.push(Role::Title);
                continue;
            }
        }
        if i == 0
            && opts.title.is_none()
            && short
            && f.phrase.is_none()
            && f.words >= 1
            && !looks_like_byline(f, params)
            && classify_free(f, params) != Role::Boilerplate
            && blocks.len() > 1
        {
            // An untitled text starting with prose is not a title: a long
            // line ending with a stop, or a line of several sentences. (A
            // single-line text is never a title: it is all the body there is.)
            let mut prose = f.ends_terminal && f.words > 12;
            if !prose && f.ends_terminal {
                let mut r = Vec::new();
                sentences::split(doc.text, &doc.tokens, b.tokens.clone(), &mut r);
                prose = r.len() > 1;
            }
            if !prose {
                let k = line_key(block_text(doc, b));
                if !k.is_empty() {
                    title_keys.push(k);
                }
                roles.push(Role::Title);
                continue;
            }
        }
        let role = match f.phrase {
            Some(Boiler::Tail) => {
                in_tail = true;
                Role::Boilerplate
            }
            Some(Boiler::Line) => Role::Boilerplate,
            None if in_tail => {
                let prose = f.words >= params.tail_escape_words
                    && f.ends_terminal
                    && (f.stop as f32) >= params.min_stop_density * 2.5 * f.words as f32;
                if prose {
                    in_tail = false;
                    Role::Body
                } else {
                    Role::Boilerplate
                }
            }
            None => classify_free(f, params),
        };
        roles.push(role);
    }
    roles
}

/// Same title, up to a site suffix or a truncated repeat: equal keys, or
/// one key is a word-prefix of the other and covers at least 70% of it
/// ("Titre" vs "Titre - Le Site", scraped repeats cut at a length).
fn same_title(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    !short.is_empty()
        && long.starts_with(short)
        && long.as_bytes().get(short.len()) == Some(&b' ')
        && short.len() * 10 >= long.len() * 7
}

/// Can a block of `chars` code points have the line key `key`? (Cheap
/// filter before computing the block's key.)
fn close_len(key: &str, chars: u32) -> bool {
    let k = key.chars().count() as u32;
    chars + 8 >= k && chars <= k * 2 + 16
}

/// Cheap filter before computing a block's line key: does the title key
/// start with the alphanumeric head of the block's first word/number?
fn starts_like(doc: &Document<'_>, b: &Block, key: &str) -> bool {
    let toks = doc.tokens.get(b.tokens.clone()).unwrap_or(&[]);
    let Some(t) = toks
        .iter()
        .find(|t| matches!(t.kind, TokenKind::Word | TokenKind::Number))
    else {
        return false;
    };
    let n = doc.norm(t);
    let head_len = n
        .char_indices()
        .find(|(_, c)| !c.is_alphanumeric())
        .map_or(n.len(), |(i, _)| i);
    key.starts_with(n.get(..head_len).unwrap_or(""))
}

fn looks_like_byline(f: &Feats, params: &StructureParams) -> bool {
    // A date plus an author/publication marker is a byline even when it ends
    // with an abbreviation ("... at 10:45 a.m."); weaker evidence needs a
    // short line without final punctuation.
    f.words <= params.byline_max_words
        && ((f.date && f.byline_marker)
            || (!f.ends_terminal
                && ((f.date && f.words <= 8) || (f.byline_marker && f.words <= 6))))
}

/// Role of a block outside the tail and without a known phrase.
fn classify_free(f: &Feats, params: &StructureParams) -> Role {
    if f.symbols_only {
        // URLs, e-mails, lone symbols / punctuation lines
        return Role::Boilerplate;
    }
    if f.words > 0 && f.ui_words == f.words {
        // "Facebook Twitter WhatsApp", "Partager Imprimer"
        return Role::Boilerplate;
    }
    let density = if f.words == 0 {
        0.0
    } else {
        f.stop as f32 / f.words as f32
    };
    if f.separators >= 2 && density < 0.15 && !f.ends_terminal {
        // menus, breadcrumbs: "Accueil | Politique | Société"
        return Role::Boilerplate;
    }
    if looks_like_byline(f, params) {
        return Role::Byline;
    }
    if f.words <= params.heading_max_words
        && f.chars <= params.heading_max_chars
        && !f.ends_terminal
        && !f.ends_colon
    {
        return Role::Heading;
    }
    if !f.ends_terminal && f.words >= 8 && density < params.min_stop_density * 0.6 {
        // keyword / tag lists
        return Role::Boilerplate;
    }
    Role::Body
}
