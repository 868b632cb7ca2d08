//! Token features of the tagger: the SAME code runs on CoNLL tokens at
//! training time and on [`crate::text::Document`] tokens at inference, so a
//! feature can never mean one thing in training and another in production.
//!
//! Every feature is a hashed `u64` key (template id + value hashes); the
//! model keeps only the low 32 bits (see `model.rs`).

use super::gazetteer::{Gazetteer, Triggers};
use super::hash::{hash_str, key1, key2};
use crate::text::Lang;

/// What the feature code needs of one token: its original text and the text
/// pipeline's normalised form and light stem.
#[derive(Clone, Copy, Debug)]
pub struct TokView<'a> {
    pub raw: &'a str,
    pub norm: &'a str,
    pub stem: &'a str,
}

/// Arabic proclitics and article stripped from a normalised token, used as
/// the matching key of gazetteers, triggers and entity merging (so that
/// المغرب / والمغرب / للمغرب / بالمغرب all give مغرب).
///
/// Conservative on purpose: ف ب ل ك are only removed when an article
/// follows (فرنسا and لبنان must stay whole), و whenever at least three
/// letters remain (و-initial names lose it too, consistently on both sides).
pub fn ar_bare(norm: &str) -> &str {
    let mut s = norm;
    let n = |x: &str| x.chars().count();
    if let Some(r) = s.strip_prefix('و') {
        if n(r) >= 3 {
            s = r;
        }
    } else if let Some(r) = s.strip_prefix('ف') {
        if (r.starts_with("ال") || r.starts_with("لل")) && n(r) >= 4 {
            s = r;
        }
    }
    if let Some(r) = s.strip_prefix("لل") {
        if n(r) >= 2 {
            return r;
        }
    }
    if let Some(r) = s.strip_prefix(['ب', 'ك', 'ل']) {
        if r.starts_with("ال") && n(r) >= 4 {
            s = r;
        }
    }
    if let Some(r) = s.strip_prefix("ال") {
        if n(r) >= 2 {
            s = r;
        }
    }
    s
}

/// French elided article/pronoun stripped from a normalised token
/// (`l'isère` → `isère`, `d'orléans` → `orléans`, `qu'il` → `il`).
///
/// Why: WikiANN (the French training data) keeps `l'Isère` as ONE token,
/// while the text pipeline splits `l'` off at inference; with the elision
/// stripped from the matching key, the training token and the inference
/// token share their key (and gazetteer matches), so the model learns the
/// name once instead of once per elided form. The elisions are those the
/// tokenizer splits off (`text::tokens::is_elision`); at least two letters
/// must remain, so a bare `l'` stays itself.
pub fn fr_bare(norm: &str) -> &str {
    // The apostrophe ends the elision, so at most one of them matches.
    for e in crate::text::tokens::FR_ELISIONS {
        if let Some(r) = norm.strip_prefix(e).and_then(|r| r.strip_prefix('\'')) {
            if r.chars().take(2).count() == 2 {
                return r;
            }
            break;
        }
    }
    norm
}

/// The matching key of a token for gazetteers / triggers / merging.
pub fn match_key(lang: Lang, norm: &str) -> &str {
    match lang {
        Lang::Ar => ar_bare(norm),
        Lang::Fr => fr_bare(norm),
        _ => norm,
    }
}

fn is_arabic_letter(c: char) -> bool {
    matches!(c, '\u{0620}'..='\u{064A}' | '\u{066E}'..='\u{06D3}' | '\u{06FA}'..='\u{06FF}')
}

/// Compressed word shape ("Abdellatif" -> "Xx", "U.S." -> "X.X.", "2024" -> "d",
/// Arabic letters -> "a"), at most 8 symbols.
fn shape(raw: &str) -> (u64, u32) {
    let mut buf = [0u8; 8];
    let mut n = 0usize;
    let mut last = 0u8;
    let mut flags = 0u32;
    let mut upper = 0u32;
    let mut lower = 0u32;
    let mut letters = 0u32;
    let mut digits = 0u32;
    let mut chars = 0u32;
    for c in raw.chars() {
        chars += 1;
        // Arabic letters and ASCII first: same classes as the Unicode
        // predicates below (Arabic letters are never upper case), without
        // their table lookups.
        let s = if is_arabic_letter(c) {
            letters += 1;
            b'a'
        } else if c.is_ascii_lowercase() {
            lower += 1;
            letters += 1;
            b'x'
        } else if c.is_ascii_uppercase() {
            upper += 1;
            letters += 1;
            b'X'
        } else if c.is_ascii_digit() {
            digits += 1;
            b'd'
        } else if c.is_uppercase() {
            upper += 1;
            letters += 1;
            b'X'
        } else if c.is_alphabetic() {
            lower += 1;
            letters += 1;
            b'x'
        } else if c.is_numeric() {
            digits += 1;
            b'd'
        } else if c.is_ascii_punctuation() {
            c as u8
        } else if ('\u{0600}'..='\u{06FF}').contains(&c) {
            b'\''
        } else {
            b'.'
        };
        if s != last && n < buf.len() {
            buf[n] = s;
            n += 1;
        }
        last = s;
    }
    let first_upper = raw.chars().next().is_some_and(char::is_uppercase);
    if first_upper && lower > 0 {
        flags |= F_TITLE;
    }
    if upper > 0 && lower == 0 {
        flags |= F_CAPS;
    }
    if digits > 0 {
        flags |= F_DIGIT;
    }
    if digits > 0 && letters == 0 {
        flags |= F_NUM;
    }
    if letters == 0 && digits == 0 {
        flags |= F_PUNCT;
    }
    if raw.contains('-') {
        flags |= F_HYPHEN;
    }
    let len_bucket = match chars {
        0..=1 => 0,
        2 => 1,
        3..=4 => 2,
        5..=7 => 3,
        _ => 4,
    };
    flags |= len_bucket << 8;
    let sh = std::str::from_utf8(&buf[..n]).unwrap_or("");
    (hash_str(sh), flags)
}

/// Shape hash of the language's most common word shape (all Arabic
/// letters; all lower-case Latin letters): the fast path precomputes the
/// word × shape pair rows of every cached word for this one shape
/// (`fast::Entry::next_ms`).
pub(crate) fn main_shape(lang: Lang) -> u64 {
    shape(if lang == Lang::Ar { "كلمة" } else { "word" }).0
}

const F_TITLE: u32 = 1;
const F_CAPS: u32 = 2;
const F_DIGIT: u32 = 4;
const F_NUM: u32 = 8;
const F_PUNCT: u32 = 16;
const F_HYPHEN: u32 = 32;

/// Per-token values every template draws from (see [`token_info`]).
///
/// Layout (`repr(C)`, plain old data, no padding). Per token the fast path
/// reads only the first fields (norm, shape, bare, flags, coarse
/// cluster): its entries keep just those (`fast::WordInfo`), and the full
/// `Info` only where the Latin-script sentence context reads it (French
/// and English; `fast::Entry::cold`).
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub(crate) struct Info {
    pub(crate) norm: u64,
    pub(crate) shape: u64,
    pub(crate) bare: u64,
    pub(crate) flags: u32,
    /// Word cluster (fine, coarse), +1; 0 = not in the cluster vocabulary.
    pub(crate) clc: u32,
    pub(crate) cl: u32,
    pub(crate) trig: u32,
    pub(crate) raw: u64,
    pub(crate) stem: u64,
    pub(crate) pre: [u64; 4],
    pub(crate) suf: [u64; 4],
    /// Latin script: first / last word (norm hash) of the capitalised run
    /// ("Ligne de Metz-Ville à Zoufftgen") the token is in, and its place
    /// in it (`run_pos`: 0 = no run of two or more words, 1 first, 2
    /// inside, 3 last).
    pub(crate) run_first: u64,
    pub(crate) run_last: u64,
    /// Latin script: norm hash of the first word inside the next
    /// parenthesis to the right ("Rodenbach ( brasserie )"), 0 = none.
    pub(crate) paren: u64,
    /// Latin script: norm hash of the sentence's first token (0 for the
    /// first token itself), 1 + inside quotes ('' … '', « … »).
    pub(crate) first: u64,
    pub(crate) last: u64,
    pub(crate) second: u64,
    /// First and last part of a hyphenated word ("saint" / "étienne"),
    /// and the 5-char suffix of the norm; 0 = none.
    pub(crate) hy_first: u64,
    pub(crate) hy_last: u64,
    pub(crate) suf5: u64,
    /// Gazetteer bits: depend on the neighbours (multi-token matches).
    pub(crate) gaz: u32,
    pub(crate) run_pos: u16,
    pub(crate) quote: u16,
}

/// Hyphen parts and 5-char suffix of a norm (token-level fields of
/// [`Info`]): French place names are built from parts ("Saint-Étienne",
/// "Villeneuve-sur-Lot"), and a longer suffix separates "-ville" /
/// "-court" / "-heim" places from other words.
fn word_parts(norm: &str, inf: &mut Info) {
    if let Some((a, _)) = norm.split_once('-') {
        if let Some((_, b)) = norm.rsplit_once('-') {
            if !a.is_empty() && !b.is_empty() {
                inf.hy_first = hash_str(a);
                inf.hy_last = hash_str(b);
            }
        }
    }
    if let Some((i, _)) = norm.char_indices().rev().nth(4) {
        if i > 0 {
            inf.suf5 = norm.get(i..).map_or(0, hash_str);
        }
    }
}

/// Lower-case words that may join capitalised words into one name run
/// ("Université du Piémont", "Bank of England").
fn is_connector(norm: &str) -> bool {
    matches!(
        norm,
        "de" | "du"
            | "des"
            | "d'"
            | "la"
            | "le"
            | "les"
            | "l'"
            | "à"
            | "au"
            | "aux"
            | "et"
            | "sur"
            | "en"
            | "of"
            | "the"
            | "and"
            | "for"
            | "on"
            | "upon"
            | "del"
            | "della"
            | "di"
            | "da"
            | "do"
            | "dos"
            | "van"
            | "von"
            | "der"
            | "den"
            | "y"
            | "el"
            | "al"
            | "&"
    )
}

/// Capitalised for the run feature: an upper-case letter among the first
/// three characters (so the WikiANN token "d'Uruguay" counts).
fn is_cap(raw: &str) -> bool {
    raw.chars().take(3).any(char::is_uppercase)
}

/// Fill the sentence-dependent Latin-script fields of `info` (capitalised
/// runs, next parenthesis, first word, quotes). Why: WikiANN items and
/// headlines are fragments whose type is often given by a word outside the
/// ±2 window ("Ligne de Metz-Ville à Zoufftgen", "Rodenbach ( brasserie )").
/// Called by both the reference features and the fast path; does nothing
/// for Arabic.
pub(crate) fn sentence_context(lang: Lang, toks: &[TokView<'_>], info: &mut [Info]) {
    if !has_sentence_context(lang) {
        return;
    }
    let n = toks.len().min(info.len());
    let first = info.first().map_or(0, |x| x.norm);
    let last = info.last().map_or(0, |x| x.norm);
    let second = info.get(1).map_or(0, |x| x.norm);
    let mut q = 0u16;
    for k in 0..n {
        let open_close = matches!(toks[k].raw, "''" | "\"" | "``" | "«" | "»" | "“" | "”");
        if matches!(toks[k].raw, "«" | "“") {
            q = 1;
        } else if matches!(toks[k].raw, "»" | "”") {
            q = 0;
        } else if open_close {
            q ^= 1;
        }
        info[k].quote = if open_close { 2 } else { q };
        if k > 0 {
            info[k].first = first;
        }
        if k + 1 < n {
            info[k].last = last;
        }
        if k != 1 {
            info[k].second = second;
        }
    }
    let mut i = 0;
    while i < n {
        if !is_cap(toks[i].raw) {
            i += 1;
            continue;
        }
        // Extend over capitalised words and connectors; end on a capital.
        let mut end = i + 1;
        let mut j = i + 1;
        while j < n {
            if is_cap(toks[j].raw) {
                j += 1;
                end = j;
            } else if is_connector(toks[j].norm) {
                j += 1;
            } else {
                break;
            }
        }
        if end - i >= 2 {
            let (f, l) = (info[i].norm, info[end - 1].norm);
            for (k, inf) in info[i..end].iter_mut().enumerate() {
                inf.run_first = f;
                inf.run_last = l;
                inf.run_pos = if k == 0 {
                    1
                } else if i + k + 1 == end {
                    3
                } else {
                    2
                };
            }
        }
        i = end;
    }
    // First word after the next "(" (within 8 tokens), for tokens before it.
    let mut next_paren = 0u64;
    let mut dist = usize::MAX;
    for k in (0..n).rev() {
        if toks[k].raw == "(" {
            next_paren = info.get(k + 1).map_or(0, |x| x.norm);
            dist = 0;
            continue;
        }
        if toks[k].raw == ")" {
            next_paren = 0;
        }
        dist = dist.saturating_add(1);
        if dist <= 8 {
            info[k].paren = next_paren;
        }
    }
}

pub(crate) const BOS: u64 = 0x0B05_0B05_0B05_0B05;
pub(crate) const EOS: u64 = 0x0E05_0E05_0E05_0E05;

/// The first `n` chars (the affix features use the same slices).
#[cfg(test)]
fn prefix(s: &str, n: usize) -> Option<&str> {
    let mut it = s.char_indices();
    let mut count = 0;
    for (i, _) in it.by_ref() {
        if count == n {
            return s.get(..i);
        }
        count += 1;
    }
    if count == n {
        Some(s)
    } else {
        None
    }
}

#[cfg(test)]
fn suffix(s: &str, n: usize) -> Option<&str> {
    let mut count = 0;
    for (i, _) in s.char_indices().rev() {
        count += 1;
        if count == n {
            return s.get(i..);
        }
    }
    None
}

// Template ids. Changing one invalidates trained models (bump the model version).
pub(crate) const T_BIAS: u32 = 1;
pub(crate) const T_RAW: u32 = 2;
pub(crate) const T_NORM: u32 = 3;
pub(crate) const T_STEM: u32 = 4;
pub(crate) const T_BARE: u32 = 5;
pub(crate) const T_SHAPE: u32 = 6;
pub(crate) const T_PRE: u32 = 10; // ..=13
pub(crate) const T_SUF: u32 = 14; // ..=17
pub(crate) const T_NORM_M1: u32 = 20;
pub(crate) const T_NORM_P1: u32 = 21;
pub(crate) const T_NORM_M2: u32 = 22;
pub(crate) const T_NORM_P2: u32 = 23;
pub(crate) const T_BARE_M1: u32 = 24;
pub(crate) const T_BARE_P1: u32 = 25;
pub(crate) const T_SUF3_M1: u32 = 26;
pub(crate) const T_SUF3_P1: u32 = 27;
pub(crate) const T_PRE3_M1: u32 = 28;
pub(crate) const T_PRE3_P1: u32 = 29;
pub(crate) const T_SHAPE_M1: u32 = 30;
pub(crate) const T_SHAPE_P1: u32 = 31;
pub(crate) const T_SHAPE_M1_0: u32 = 32;
pub(crate) const T_SHAPE_0_P1: u32 = 33;
pub(crate) const T_BI_M1: u32 = 34;
pub(crate) const T_BI_P1: u32 = 35;
pub(crate) const T_FLAGS: u32 = 36;
pub(crate) const T_FIRST: u32 = 37;
pub(crate) const T_GAZ: u32 = 40;
pub(crate) const T_GAZ_M1: u32 = 41;
pub(crate) const T_GAZ_P1: u32 = 42;
pub(crate) const T_GAZ_SHAPE: u32 = 43;
pub(crate) const T_TRIG_0: u32 = 50;
pub(crate) const T_TRIG_M1: u32 = 51;
pub(crate) const T_TRIG_M2: u32 = 52;
pub(crate) const T_TRIG_P1: u32 = 53;
pub(crate) const T_NORM_M1_SHAPE: u32 = 54;
pub(crate) const T_SLEN_SHAPE: u32 = 55;
pub(crate) const T_SHAPE3: u32 = 56;
pub(crate) const T_LAST: u32 = 57;
pub(crate) const T_NORM_P1_SHAPE: u32 = 58;
pub(crate) const T_RAW_M1: u32 = 59;
pub(crate) const T_RAW_P1: u32 = 60;
pub(crate) const T_SLEN_POS: u32 = 61;
// Word-cluster templates (only emitted when the model has clusters).
pub(crate) const T_CL: u32 = 62;
pub(crate) const T_CLC: u32 = 63;
pub(crate) const T_CL_M1: u32 = 64;
pub(crate) const T_CL_P1: u32 = 65;
pub(crate) const T_CLC_M1_0: u32 = 66;
pub(crate) const T_CLC_0_P1: u32 = 67;
pub(crate) const T_CL_SHAPE: u32 = 68;
// Capitalised-run templates (Latin script).
pub(crate) const T_RUN_FIRST: u32 = 69;
pub(crate) const T_RUN_LAST: u32 = 70;
pub(crate) const T_PAREN: u32 = 71;
pub(crate) const T_SENT_FIRST: u32 = 72;
pub(crate) const T_QUOTE: u32 = 73;
pub(crate) const T_HY_FIRST: u32 = 74;
pub(crate) const T_HY_LAST: u32 = 75;
pub(crate) const T_SUF5: u32 = 76;
pub(crate) const T_SENT_LAST: u32 = 77;
pub(crate) const T_SENT_SECOND: u32 = 78;

/// The per-token values of one token: everything here depends on the
/// token's own strings only (raw, norm, stem) and on the language and
/// trigger list, never on its neighbours; `gaz` is left 0 (gazetteer
/// matches span several tokens and are filled in per sentence).
///
/// ONE function for the reference features and the fast inference path
/// (`fast.rs`): a new per-token value (say a word-cluster id) is added
/// here, as a field of [`Info`], and both paths see it.
pub(crate) fn token_info(lang: Lang, t: &TokView<'_>, trig: &Triggers) -> Info {
    token_info_and_key(lang, t, trig).0
}

/// [`token_info`] and the token's matching key ([`match_key`]) as a string.
pub(crate) fn token_info_and_key<'a>(
    lang: Lang,
    t: &TokView<'a>,
    trig: &Triggers,
) -> (Info, &'a str) {
    let bare_s = match_key(lang, t.norm);
    let (shape_h, flags) = shape(t.raw);
    // Equal strings hash equal: skip re-hashing the (frequent) cases
    // where norm = raw, stem = norm, or nothing was stripped (the
    // matching key is always a suffix of the norm).
    let raw = hash_str(t.raw);
    let norm = if t.norm == t.raw {
        raw
    } else {
        hash_str(t.norm)
    };
    let stem = if t.stem == t.norm {
        norm
    } else {
        hash_str(t.stem)
    };
    let bare = if bare_s.len() == t.norm.len() {
        norm
    } else {
        hash_str(bare_s)
    };
    let mut inf = Info {
        raw,
        norm,
        stem,
        bare,
        shape: shape_h,
        flags,
        ..Info::default()
    };
    // Affixes: prefixes of the clitic-free form for Arabic (the
    // proclitics are already a feature through the norm), suffixes of the
    // norm (nisba ي, feminine ة/ه, plural ون/ين are informative).
    // One pass over the first / last four characters (the same slices
    // as `prefix` / `suffix`, without rescanning per length).
    let pbase = if lang == Lang::Ar { bare_s } else { t.norm };
    for (k, (i, c)) in pbase.char_indices().take(4).enumerate() {
        inf.pre[k] = pbase.get(..i + c.len_utf8()).map_or(0, hash_str);
    }
    for (k, (i, _)) in t.norm.char_indices().rev().take(4).enumerate() {
        inf.suf[k] = t.norm.get(i..).map_or(0, hash_str);
    }
    inf.trig = trig.lookup(bare);
    (inf.cl, inf.clc) = trig.clusters.lookup(bare);
    word_parts(t.norm, &mut inf);
    (inf, bare_s)
}

/// Reusable buffers, so tagging allocates nothing per sentence once warm.
#[derive(Default)]
pub struct FeatBuf {
    pub(crate) info: Vec<Info>,
    keys_tmp: Vec<u64>,
    gaz_tmp: Vec<u32>,
    /// Feature keys of all tokens, concatenated.
    pub keys: Vec<u64>,
    /// `offsets[i]..offsets[i+1]` are token i's keys.
    pub offsets: Vec<u32>,
}

/// Compute the feature keys of one sentence into `buf.keys` / `buf.offsets`.
///
/// This is the REFERENCE list of templates (training uses it, in this key
/// order). Inference goes through `fast.rs`, which produces the same keys
/// grouped by what they depend on and caches the token-local groups per
/// document: a template added here must also be added to one group there
/// (see "ADDING A TEMPLATE" in `fast.rs`; its tests fail until it is).
pub fn sentence_features(
    lang: Lang,
    toks: &[TokView<'_>],
    gaz: &Gazetteer,
    trig: &Triggers,
    buf: &mut FeatBuf,
) {
    let FeatBuf {
        info,
        keys_tmp,
        gaz_tmp,
        keys,
        offsets,
    } = buf;
    info.clear();
    keys.clear();
    offsets.clear();
    keys_tmp.clear();
    for t in toks {
        let inf = token_info(lang, t, trig);
        keys_tmp.push(inf.bare);
        info.push(inf);
    }
    gaz_tmp.clear();
    gaz_tmp.resize(toks.len(), 0);
    gaz.annotate(keys_tmp, gaz_tmp);
    for (inf, g) in info.iter_mut().zip(gaz_tmp.iter()) {
        inf.gaz = *g;
    }
    sentence_context(lang, toks, info);
    let n = info.len();
    let get = |i: isize| -> Option<&Info> {
        if i < 0 {
            None
        } else {
            info.get(i as usize)
        }
    };
    offsets.push(0);
    keys.reserve(n * 56);
    for (i, c) in info.iter().enumerate() {
        let m1 = get(i as isize - 1);
        let m2 = get(i as isize - 2);
        let p1 = get(i as isize + 1);
        let p2 = get(i as isize + 2);
        let norm_or = |x: Option<&Info>, d: u64| x.map_or(d, |x| x.norm);
        keys.push(key1(T_BIAS, 0));
        keys.push(key1(T_RAW, c.raw));
        keys.push(key1(T_NORM, c.norm));
        keys.push(key1(T_STEM, c.stem));
        keys.push(key1(T_BARE, c.bare));
        keys.push(key1(T_SHAPE, c.shape));
        for k in 0..4 {
            if c.pre[k] != 0 {
                keys.push(key1(T_PRE + k as u32, c.pre[k]));
            }
            if c.suf[k] != 0 {
                keys.push(key1(T_SUF + k as u32, c.suf[k]));
            }
        }
        keys.push(key1(T_NORM_M1, norm_or(m1, BOS)));
        keys.push(key1(T_NORM_P1, norm_or(p1, EOS)));
        keys.push(key1(T_NORM_M2, norm_or(m2, BOS)));
        keys.push(key1(T_NORM_P2, norm_or(p2, EOS)));
        keys.push(key1(T_BARE_M1, m1.map_or(BOS, |x| x.bare)));
        keys.push(key1(T_BARE_P1, p1.map_or(EOS, |x| x.bare)));
        keys.push(key1(T_SUF3_M1, m1.map_or(BOS, |x| x.suf[2])));
        keys.push(key1(T_SUF3_P1, p1.map_or(EOS, |x| x.suf[2])));
        keys.push(key1(T_PRE3_M1, m1.map_or(BOS, |x| x.pre[2])));
        keys.push(key1(T_PRE3_P1, p1.map_or(EOS, |x| x.pre[2])));
        let sm1 = m1.map_or(BOS, |x| x.shape);
        let sp1 = p1.map_or(EOS, |x| x.shape);
        keys.push(key1(T_SHAPE_M1, sm1));
        keys.push(key1(T_SHAPE_P1, sp1));
        keys.push(key2(T_SHAPE_M1_0, sm1, c.shape));
        keys.push(key2(T_SHAPE_0_P1, c.shape, sp1));
        keys.push(key2(T_BI_M1, norm_or(m1, BOS), c.norm));
        keys.push(key2(T_BI_P1, c.norm, norm_or(p1, EOS)));
        keys.push(key2(T_NORM_M1_SHAPE, norm_or(m1, BOS), c.shape));
        keys.push(key1(T_FLAGS, c.flags as u64));
        // Sentence length and position: list items and titles (short,
        // all-name lines) behave differently from running text.
        let slen = slen_bucket(n);
        keys.push(key2(T_SLEN_SHAPE, slen, c.shape));
        let pos = if i == 0 {
            0u64
        } else if i + 1 == n {
            1
        } else {
            2
        };
        keys.push(key2(T_SLEN_POS, slen, pos));
        keys.push(key2(T_SHAPE3, key2(0, sm1, c.shape), sp1));
        keys.push(key2(T_NORM_P1_SHAPE, norm_or(p1, EOS), c.shape));
        keys.push(key1(T_RAW_M1, m1.map_or(BOS, |x| x.raw)));
        keys.push(key1(T_RAW_P1, p1.map_or(EOS, |x| x.raw)));
        if i + 1 == n {
            keys.push(key1(T_LAST, c.flags as u64));
        }
        if i == 0 {
            keys.push(key1(T_FIRST, c.flags as u64));
        }
        push_bits(keys, T_GAZ, c.gaz, 0);
        if c.gaz != 0 {
            keys.push(key2(T_GAZ_SHAPE, c.gaz as u64, c.shape));
        }
        if let Some(x) = m1 {
            push_bits(keys, T_GAZ_M1, x.gaz, 0);
            push_bits(keys, T_TRIG_M1, x.trig, 0);
        }
        if let Some(x) = m2 {
            push_bits(keys, T_TRIG_M2, x.trig, 0);
        }
        if let Some(x) = p1 {
            push_bits(keys, T_GAZ_P1, x.gaz, 0);
            push_bits(keys, T_TRIG_P1, x.trig, 0);
        }
        push_bits(keys, T_TRIG_0, c.trig, 0);
        context_keys_latin(c, &mut |k| keys.push(k));
        if c.hy_first != 0 {
            keys.push(key1(T_HY_FIRST, c.hy_first));
            keys.push(key1(T_HY_LAST, c.hy_last));
        }
        if c.suf5 != 0 {
            keys.push(key1(T_SUF5, c.suf5));
        }
        // Word clusters (all 0 when the model has none: constant keys).
        let cm1 = m1.map_or(BOS, |x| u64::from(x.cl));
        let cp1 = p1.map_or(EOS, |x| u64::from(x.cl));
        let ccm1 = m1.map_or(BOS, |x| u64::from(x.clc));
        let ccp1 = p1.map_or(EOS, |x| u64::from(x.clc));
        keys.push(key1(T_CL, u64::from(c.cl)));
        keys.push(key1(T_CLC, u64::from(c.clc)));
        keys.push(key1(T_CL_M1, cm1));
        keys.push(key1(T_CL_P1, cp1));
        keys.push(key2(T_CLC_M1_0, ccm1, u64::from(c.clc)));
        keys.push(key2(T_CLC_0_P1, u64::from(c.clc), ccp1));
        keys.push(key2(T_CL_SHAPE, u64::from(c.cl), c.shape));
        offsets.push(keys.len() as u32);
    }
}

/// Keys of the templates that name the token's own word form (raw, norm,
/// stem, clitic-free form and the two word bigrams with its neighbours'
/// norms), as [`sentence_features`] computes them. Training drops them at
/// random on entity tokens ("word dropout") so that the tagger learns to
/// find names from their context, affixes and clusters, which is all it
/// has for a name it never saw.
pub(crate) fn lexical_keys(info: &[Info], i: usize) -> [u64; 6] {
    let c = info.get(i).copied().unwrap_or_default();
    let m1 = if i == 0 {
        BOS
    } else {
        info.get(i - 1).map_or(BOS, |x| x.norm)
    };
    let p1 = info.get(i + 1).map_or(EOS, |x| x.norm);
    [
        key1(T_RAW, c.raw),
        key1(T_NORM, c.norm),
        key1(T_STEM, c.stem),
        key1(T_BARE, c.bare),
        key2(T_BI_M1, m1, c.norm),
        key2(T_BI_P1, c.norm, p1),
    ]
}

/// Does [`sentence_context`] fill anything for this language? Not for
/// Arabic: the fast path (`fast::sentence_rows`) then reads a token's
/// context values from its cached entry (its `WordInfo`, and its full
/// `Info` only when that has Latin context keys) instead of copying every
/// `Info` of the sentence, and its entries keep no full `Info` at all
/// (keep the two in step through this function).
#[inline]
pub(crate) fn has_sentence_context(lang: Lang) -> bool {
    lang != Lang::Ar
}

/// Sentence-length bucket of the `T_SLEN_*` templates.
#[inline]
pub(crate) fn slen_bucket(n: usize) -> u64 {
    match n {
        0..=1 => 0u64,
        2 => 1,
        3 => 2,
        4..=5 => 3,
        6..=10 => 4,
        _ => 5,
    }
}

/// Keys of the sentence-dependent Latin-script fields filled by
/// [`sentence_context`] (all zero for Arabic: no key). Reads no gazetteer
/// bits (`Info::gaz`): the fast path calls it for Arabic on the cached
/// entry's `Info`, whose `gaz` is not the sentence's.
pub(crate) fn context_keys_latin(c: &Info, k: &mut impl FnMut(u64)) {
    if c.paren != 0 {
        k(key2(T_PAREN, c.paren, c.shape));
    }
    if c.first != 0 {
        k(key2(T_SENT_FIRST, c.first, c.shape));
    }
    if c.second != 0 {
        k(key2(T_SENT_SECOND, c.second, c.shape));
    }
    if c.last != 0 {
        k(key2(T_SENT_LAST, c.last, c.shape));
    }
    if c.quote != 0 {
        k(key2(T_QUOTE, u64::from(c.quote), c.shape));
    }
    if c.run_pos != 0 {
        let rp = u64::from(c.run_pos);
        k(key2(T_RUN_FIRST, c.run_first, rp));
        k(key2(T_RUN_LAST, c.run_last, rp));
    }
}

/// One feature per set bit.
#[inline]
fn push_bits(keys: &mut Vec<u64>, template: u32, mut bits: u32, salt: u64) {
    while bits != 0 {
        let b = bits.trailing_zeros();
        bits &= bits - 1;
        keys.push(key2(template, b as u64, salt));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_forms() {
        assert_eq!(ar_bare("المغرب"), "مغرب");
        assert_eq!(ar_bare("والمغرب"), "مغرب");
        assert_eq!(ar_bare("للمغرب"), "مغرب");
        assert_eq!(ar_bare("بالمغرب"), "مغرب");
        assert_eq!(ar_bare("لبنان"), "لبنان");
        assert_eq!(ar_bare("ومحمد"), "محمد");
        assert_eq!(ar_bare("فرنسا"), "فرنسا");
        assert_eq!(ar_bare("وفرنسا"), "فرنسا");
        assert_eq!(ar_bare("فالمغرب"), "مغرب");
        assert_eq!(ar_bare("و"), "و");
        assert_eq!(ar_bare(""), "");
    }

    #[test]
    fn latin_sentence_context() {
        let words = [
            "Ligne",
            "de",
            "Metz-Ville",
            "à",
            "Zoufftgen",
            "(",
            "gare",
            ")",
            "«",
            "Le",
            "Train",
            "»",
        ];
        let forms: Vec<(String, String)> = words
            .iter()
            .map(|w| crate::ner::conll::token_forms(Lang::Fr, w))
            .collect();
        let toks: Vec<TokView<'_>> = words
            .iter()
            .zip(&forms)
            .map(|(w, (n, s))| TokView {
                raw: w,
                norm: n,
                stem: s,
            })
            .collect();
        let trig = Triggers::default();
        let mut info: Vec<Info> = Vec::new();
        let mut fb = FeatBuf::default();
        sentence_features(Lang::Fr, &toks, &Gazetteer::default(), &trig, &mut fb);
        for t in &toks {
            info.push(Info {
                norm: hash_str(t.norm),
                ..Info::default()
            });
        }
        sentence_context(Lang::Fr, &toks, &mut info);
        // One capitalised run "Ligne de Metz-Ville à Zoufftgen".
        assert_eq!(
            info[..5].iter().map(|x| x.run_pos).collect::<Vec<_>>(),
            [1, 2, 2, 2, 3]
        );
        assert!(info[..5].iter().all(|x| x.run_first == hash_str("ligne")));
        assert!(info[..5]
            .iter()
            .all(|x| x.run_last == hash_str("zoufftgen")));
        // Words before "(" see its first word; the first token sees no
        // sentence-first word, the others see "ligne".
        assert_eq!(info[4].paren, hash_str("gare"));
        assert_eq!(info[0].first, 0);
        assert_eq!(info[3].first, hash_str("ligne"));
        assert_eq!(info[10].quote, 1);
        assert_eq!(info[11].quote, 2);
        assert_eq!(info[7].quote, 0);
        // Arabic: nothing is filled.
        let mut ar = info.clone();
        for x in ar.iter_mut() {
            *x = Info::default();
        }
        sentence_context(Lang::Ar, &toks, &mut ar);
        assert!(ar
            .iter()
            .all(|x| x.run_pos == 0 && x.paren == 0 && x.first == 0));
        assert!(!fb.keys.is_empty());
    }

    #[test]
    fn french_elisions() {
        assert_eq!(fr_bare("l'isère"), "isère");
        assert_eq!(fr_bare("d'orléans"), "orléans");
        assert_eq!(fr_bare("jusqu'à"), "jusqu'à");
        assert_eq!(fr_bare("qu'il"), "il");
        assert_eq!(fr_bare("l'"), "l'");
        assert_eq!(fr_bare("aujourd'hui"), "aujourd'hui");
        assert_eq!(fr_bare("paris"), "paris");
        assert_eq!(match_key(Lang::Fr, "l'état"), "état");
        assert_eq!(match_key(Lang::En, "d'artagnan"), "d'artagnan");
    }

    #[test]
    fn affixes_never_split_chars() {
        assert_eq!(prefix("مغرب", 2), Some("مغ"));
        assert_eq!(suffix("مغرب", 2), Some("رب"));
        assert_eq!(prefix("ab", 3), None);
        assert_eq!(suffix("", 1), None);
        assert_eq!(prefix("ab", 2), Some("ab"));
    }
}
