//! The fast inference path of the tagger: the SAME emission scores as the
//! reference feature list ([`super::features::sentence_features`], which
//! training uses), computed with far fewer feature lookups.
//!
//! Why it is exact: an emission score is an integer sum (i32) of quantised
//! weight rows, one per feature key, converted to f32 once at the end.
//! Integer addition is associative, so any grouping of the keys gives the
//! same sum and hence the same tags, bit for bit.
//!
//! The grouping: most templates of token i depend on one token's string
//! only — its own (raw, norm, stem, affixes, shape, flags, trigger class)
//! or one neighbour's at a fixed offset (the norm of i−1, the suffix of
//! i+1, …). News repeats words, so per document and per distinct token
//! string ([`DocCache`]) we keep the part of its [`Info`] read per token
//! ([`WordInfo`]) and five partial sums: its
//! own templates, and what it contributes to the token after it, before
//! it, two after and two before. A token then costs one cache probe plus
//! five row additions, and only the genuinely contextual templates are
//! looked up per token: word pairs (bigrams; norm × neighbour shape, whose
//! rows for the language's main shape are kept in the neighbour's entry
//! too: [`Entry::next_ms`]),
//! shape pairs / trigram / sentence length / position (memoised too: few
//! distinct values) and gazetteer bits (multi-token matches).
//!
//! ADDING A TEMPLATE (keep this list in step with `sentence_features`):
//! 1. Push its key in `sentence_features` (the reference, used by
//!    training). If it needs a new per-token value, add a field to
//!    `features::Info` and compute it in `features::token_info`, which
//!    both paths call.
//! 2. Push the same key in exactly one group function below, chosen by
//!    what the key depends on: only the token itself → [`own_keys`]; one
//!    neighbour at a fixed offset → [`from_prev`] / [`from_next`] /
//!    [`from_prev2`] / [`from_next2`] (with the BOS/EOS value when the
//!    neighbour is missing, as in the reference); shapes / sentence length
//!    / position only → [`shape_context_keys`]; the token and one
//!    neighbour's word → [`pair_prev_keys`] / [`pair_next_keys`]; the
//!    coarse clusters of the token and its neighbours → [`clc_pair_keys`]
//!    (the fast path reads their rows from a per-tagger table, [`ClcPairs`]);
//!    gazetteer bits or anything else → [`context_keys`].
//! 3. `cargo test --lib ner::fast` — `groups_cover_the_reference_keys`
//!    fails (model-independent) until every reference key of every token
//!    is produced by exactly one group, and `fast_rows_equal_reference`
//!    compares the emission sums with the shipped model.
//!
//! The WORD TABLE (model format 6, issue 9): the model file carries a list
//! of frequent word forms (raw, norm, stem as the text pipeline gives
//! them), chosen at training time from unlabelled text
//! ([`frequent_words`]). After loading, a background thread computes their
//! [`Entry`]s with the same code as a cache miss ([`new_entry`]) into a
//! read-only [`WordTable`]. A first occurrence in a document then refers
//! to that entry (an id with [`IN_TABLE`] set; neither the 368-byte entry
//! nor the strings are copied) instead of computing it (~3,400
//! instructions). It holds
//! model data only, never anything from a request, so it is the same for
//! every request and every benchmark iteration. An entry depends on the
//! weights (immutable), the language and the triggers (public fields of
//! the tagger, so re-checked on every use, [`WordTable::get`]) and the
//! token's three strings (compared in full). A new input of
//! `features::token_info` must be re-checked there too.

use super::features::{
    context_keys_latin, has_sentence_context, main_shape, sentence_context, slen_bucket,
    token_info_and_key, Info, TokView, BOS, EOS, T_BARE, T_BARE_M1, T_BARE_P1, T_BIAS, T_BI_M1,
    T_BI_P1, T_CL, T_CLC, T_CLC_0_P1, T_CLC_M1_0, T_CL_M1, T_CL_P1, T_CL_SHAPE, T_FIRST, T_FLAGS,
    T_GAZ, T_GAZ_M1, T_GAZ_P1, T_GAZ_SHAPE, T_HY_FIRST, T_HY_LAST, T_LAST, T_NORM, T_NORM_M1,
    T_NORM_M1_SHAPE, T_NORM_M2, T_NORM_P1, T_NORM_P1_SHAPE, T_NORM_P2, T_PRE, T_PRE3_M1, T_PRE3_P1,
    T_RAW, T_RAW_M1, T_RAW_P1, T_SHAPE, T_SHAPE3, T_SHAPE_0_P1, T_SHAPE_M1, T_SHAPE_M1_0,
    T_SHAPE_P1, T_SLEN_POS, T_SLEN_SHAPE, T_STEM, T_SUF, T_SUF3_M1, T_SUF3_P1, T_SUF5, T_TRIG_0,
    T_TRIG_M1, T_TRIG_M2, T_TRIG_P1,
};
use super::gazetteer::{Gazetteer, Triggers};
use super::hash::{hash_str, key1, key2, mix};
use super::model::{varint, vget, viterbi_rows, LangTagger, Scratch, Table, NTAGS};
use crate::huge::HugeSlice;
use crate::model_file::ModelError;
use crate::text::{Lang, Role, TextOptions};

/// An integer emission row (one sum per BIO tag).
type Row = [i32; NTAGS];

#[inline]
fn add(acc: &mut Row, r: &Row) {
    for t in 0..NTAGS {
        acc[t] += r[t];
    }
}

/// One key per set bit (as `features::push_bits` with salt 0).
#[inline]
fn bits(template: u32, mut b: u32, k: &mut impl FnMut(u64)) {
    while b != 0 {
        let i = b.trailing_zeros();
        b &= b - 1;
        k(key2(template, u64::from(i), 0));
    }
}

// ---- Key groups: together exactly the keys of `sentence_features`. ----

/// Keys of a token that depend on its own strings only.
pub(crate) fn own_keys(c: &Info, k: &mut impl FnMut(u64)) {
    k(key1(T_BIAS, 0));
    k(key1(T_RAW, c.raw));
    k(key1(T_NORM, c.norm));
    k(key1(T_STEM, c.stem));
    k(key1(T_BARE, c.bare));
    k(key1(T_SHAPE, c.shape));
    for j in 0..4 {
        if c.pre[j] != 0 {
            k(key1(T_PRE + j as u32, c.pre[j]));
        }
        if c.suf[j] != 0 {
            k(key1(T_SUF + j as u32, c.suf[j]));
        }
    }
    k(key1(T_FLAGS, u64::from(c.flags)));
    bits(T_TRIG_0, c.trig, k);
    if c.hy_first != 0 {
        k(key1(T_HY_FIRST, c.hy_first));
        k(key1(T_HY_LAST, c.hy_last));
    }
    if c.suf5 != 0 {
        k(key1(T_SUF5, c.suf5));
    }
    k(key1(T_CL, u64::from(c.cl)));
    k(key1(T_CLC, u64::from(c.clc)));
    k(key2(T_CL_SHAPE, u64::from(c.cl), c.shape));
}

/// Keys a token gets from the token before it (`None`: sentence start).
pub(crate) fn from_prev(x: Option<&Info>, k: &mut impl FnMut(u64)) {
    k(key1(T_NORM_M1, x.map_or(BOS, |x| x.norm)));
    k(key1(T_BARE_M1, x.map_or(BOS, |x| x.bare)));
    k(key1(T_SUF3_M1, x.map_or(BOS, |x| x.suf[2])));
    k(key1(T_PRE3_M1, x.map_or(BOS, |x| x.pre[2])));
    k(key1(T_SHAPE_M1, x.map_or(BOS, |x| x.shape)));
    k(key1(T_RAW_M1, x.map_or(BOS, |x| x.raw)));
    k(key1(T_CL_M1, x.map_or(BOS, |x| u64::from(x.cl))));
    if let Some(x) = x {
        bits(T_TRIG_M1, x.trig, k);
    }
}

/// Keys a token gets from the token after it (`None`: sentence end).
pub(crate) fn from_next(x: Option<&Info>, k: &mut impl FnMut(u64)) {
    k(key1(T_NORM_P1, x.map_or(EOS, |x| x.norm)));
    k(key1(T_BARE_P1, x.map_or(EOS, |x| x.bare)));
    k(key1(T_SUF3_P1, x.map_or(EOS, |x| x.suf[2])));
    k(key1(T_PRE3_P1, x.map_or(EOS, |x| x.pre[2])));
    k(key1(T_SHAPE_P1, x.map_or(EOS, |x| x.shape)));
    k(key1(T_RAW_P1, x.map_or(EOS, |x| x.raw)));
    k(key1(T_CL_P1, x.map_or(EOS, |x| u64::from(x.cl))));
    if let Some(x) = x {
        bits(T_TRIG_P1, x.trig, k);
    }
}

/// Keys a token gets from the token two before it.
pub(crate) fn from_prev2(x: Option<&Info>, k: &mut impl FnMut(u64)) {
    k(key1(T_NORM_M2, x.map_or(BOS, |x| x.norm)));
    if let Some(x) = x {
        bits(T_TRIG_M2, x.trig, k);
    }
}

/// Keys a token gets from the token two after it.
pub(crate) fn from_next2(x: Option<&Info>, k: &mut impl FnMut(u64)) {
    k(key1(T_NORM_P2, x.map_or(EOS, |x| x.norm)));
}

/// Where a token stands: the inputs of [`shape_context_keys`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShapeCtx {
    /// Shape hash of the previous / own / next token (BOS / EOS at the ends).
    sm1: u64,
    s0: u64,
    sp1: u64,
    /// `slen_bucket | first << 8 | last << 9 | (flags << 32 if first or last)`.
    code: u64,
}

impl ShapeCtx {
    fn new(prev: Option<&WordInfo>, c: &WordInfo, next: Option<&WordInfo>, slen: u64) -> Self {
        let first = prev.is_none();
        let last = next.is_none();
        let flags = if first || last { u64::from(c.flags) } else { 0 };
        ShapeCtx {
            sm1: prev.map_or(BOS, |x| x.shape),
            s0: c.shape,
            sp1: next.map_or(EOS, |x| x.shape),
            code: slen | u64::from(first) << 8 | u64::from(last) << 9 | flags << 32,
        }
    }

    fn hash(&self) -> u64 {
        mix(self.sm1 ^ self.s0.rotate_left(21) ^ self.sp1.rotate_left(42) ^ self.code)
    }
}

/// Keys of shapes, sentence length and position (few distinct values in a
/// document, so memoised per document).
pub(crate) fn shape_context_keys(s: &ShapeCtx, k: &mut impl FnMut(u64)) {
    let slen = s.code & 0xFF;
    let first = s.code & 1 << 8 != 0;
    let last = s.code & 1 << 9 != 0;
    let flags = s.code >> 32;
    k(key2(T_SHAPE_M1_0, s.sm1, s.s0));
    k(key2(T_SHAPE_0_P1, s.s0, s.sp1));
    k(key2(T_SLEN_SHAPE, slen, s.s0));
    let pos = if first {
        0u64
    } else if last {
        1
    } else {
        2
    };
    k(key2(T_SLEN_POS, slen, pos));
    k(key2(T_SHAPE3, key2(0, s.sm1, s.s0), s.sp1));
    if last {
        k(key1(T_LAST, flags));
    }
    if first {
        k(key1(T_FIRST, flags));
    }
}

/// Keys of a token's own word paired with the previous word.
pub(crate) fn pair_prev_keys(prev: Option<&WordInfo>, c: &WordInfo, k: &mut impl FnMut(u64)) {
    bigram_prev_key(prev, c, k);
    prev_shape_key(prev, c.shape, k);
}

/// The word bigram with the previous word.
#[inline]
fn bigram_prev_key(prev: Option<&WordInfo>, c: &WordInfo, k: &mut impl FnMut(u64)) {
    k(key2(T_BI_M1, prev.map_or(BOS, |x| x.norm), c.norm));
}

/// The key of the previous word paired with the token's shape: for the
/// language's main shape, a row of the previous token's entry
/// ([`Entry::next_ms`]).
#[inline]
fn prev_shape_key(prev: Option<&WordInfo>, shape: u64, k: &mut impl FnMut(u64)) {
    k(key2(T_NORM_M1_SHAPE, prev.map_or(BOS, |x| x.norm), shape));
}

/// Keys of a token's own word paired with the next word.
pub(crate) fn pair_next_keys(c: &WordInfo, next: Option<&WordInfo>, k: &mut impl FnMut(u64)) {
    bigram_next_key(c, next, k);
    next_shape_key(next, c.shape, k);
}

/// The word bigram with the next word.
#[inline]
fn bigram_next_key(c: &WordInfo, next: Option<&WordInfo>, k: &mut impl FnMut(u64)) {
    k(key2(T_BI_P1, c.norm, next.map_or(EOS, |x| x.norm)));
}

/// The key of the next word paired with the token's shape (see
/// [`prev_shape_key`], [`Entry::prev_ms`]).
#[inline]
fn next_shape_key(next: Option<&WordInfo>, shape: u64, k: &mut impl FnMut(u64)) {
    k(key2(T_NORM_P1_SHAPE, next.map_or(EOS, |x| x.norm), shape));
}

/// Keys of a token's coarse word cluster paired with its neighbours'. Few
/// distinct values (~33), so the fast path reads their rows from a
/// per-tagger table ([`ClcPairs`]) instead of hashing and probing.
pub(crate) fn clc_pair_keys(
    prev: Option<&WordInfo>,
    c: &WordInfo,
    next: Option<&WordInfo>,
    k: &mut impl FnMut(u64),
) {
    let pc = prev.map_or(BOS, |x| u64::from(x.clc));
    k(key2(T_CLC_M1_0, pc, u64::from(c.clc)));
    let nc = next.map_or(EOS, |x| u64::from(x.clc));
    k(key2(T_CLC_0_P1, u64::from(c.clc), nc));
}

/// Keys that depend on the sentence context in other ways: gazetteer bits
/// (multi-token matches) of the token and its neighbours, and the
/// Latin-script sentence context (`features::sentence_context`: capitalised
/// run, next parenthesis, first/second/last word, quotes).
pub(crate) fn context_keys(
    prev: Option<&Info>,
    c: &Info,
    next: Option<&Info>,
    k: &mut impl FnMut(u64),
) {
    gaz_keys(prev.map(|x| x.gaz), c.gaz, c.shape, next.map(|x| x.gaz), k);
    context_keys_latin(c, k);
}

/// The gazetteer part of [`context_keys`]: the bits of the previous token
/// (if any), of the token (with its shape) and of the next token (if any).
#[inline]
fn gaz_keys(prev: Option<u32>, gaz: u32, shape: u64, next: Option<u32>, k: &mut impl FnMut(u64)) {
    bits(T_GAZ, gaz, k);
    if gaz != 0 {
        k(key2(T_GAZ_SHAPE, u64::from(gaz), shape));
    }
    if let Some(x) = prev {
        bits(T_GAZ_M1, x, k);
    }
    if let Some(x) = next {
        bits(T_GAZ_P1, x, k);
    }
}

/// Coarse-cluster values with precomputed rows in [`ClcPairs`]
/// (`Info::clc` is the coarse id + 1, 0 = word outside the clusters; the
/// shipped models have 32 coarse clusters). Larger values take the hashed
/// keys of [`clc_pair_keys`].
const CLC_VALUES: usize = 64;

/// The weight rows of the two [`clc_pair_keys`] templates for every pair
/// of values below [`CLC_VALUES`] and the sentence ends, read from the
/// weight table once per tagger: two array reads per token instead of two
/// key hashes and table probes (issue 9). Depends on the weights only (the
/// clusters, a public field of the tagger, only map words to values).
pub(crate) struct ClcPairs {
    /// `m1_0[p * CLC_VALUES + c]`: row of T_CLC_M1_0 (p, c); p = CLC_VALUES: BOS.
    m1_0: Vec<[i16; NTAGS]>,
    /// `p1[c * (CLC_VALUES + 1) + n]`: row of T_CLC_0_P1 (c, n); n = CLC_VALUES: EOS.
    p1: Vec<[i16; NTAGS]>,
}

impl std::fmt::Debug for ClcPairs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClcPairs({CLC_VALUES} values)")
    }
}

impl ClcPairs {
    pub(super) fn build(w: &Table) -> ClcPairs {
        let v = |x: usize, end: u64| {
            if x == CLC_VALUES {
                end
            } else {
                x as u64
            }
        };
        let mut m1_0 = Vec::with_capacity((CLC_VALUES + 1) * CLC_VALUES);
        for p in 0..=CLC_VALUES {
            for c in 0..CLC_VALUES {
                m1_0.push(w.row(key2(T_CLC_M1_0, v(p, BOS), c as u64)));
            }
        }
        let mut p1 = Vec::with_capacity(CLC_VALUES * (CLC_VALUES + 1));
        for c in 0..CLC_VALUES {
            for n in 0..=CLC_VALUES {
                p1.push(w.row(key2(T_CLC_0_P1, c as u64, v(n, EOS))));
            }
        }
        ClcPairs { m1_0, p1 }
    }

    /// Add the rows of [`clc_pair_keys`] to `acc`; false (nothing added)
    /// when a value has no precomputed row (then the caller hashes).
    #[inline]
    fn add(
        &self,
        prev: Option<&WordInfo>,
        c: &WordInfo,
        next: Option<&WordInfo>,
        acc: &mut Row,
    ) -> bool {
        let idx = |x: Option<&WordInfo>| match x {
            None => Some(CLC_VALUES),
            Some(x) => Some(x.clc as usize).filter(|v| *v < CLC_VALUES),
        };
        let c = c.clc as usize;
        let (Some(p), Some(n)) = (idx(prev), idx(next)) else {
            return false;
        };
        if c >= CLC_VALUES {
            return false;
        }
        let (Some(a), Some(b)) = (
            self.m1_0.get(p * CLC_VALUES + c),
            self.p1.get(c * (CLC_VALUES + 1) + n),
        ) else {
            return false;
        };
        for t in 0..NTAGS {
            acc[t] += i32::from(a[t]) + i32::from(b[t]);
        }
        true
    }
}

// ---- The per-document cache. ----

/// The fields of a token's [`Info`] that the fast path reads per token
/// (the "hot" part: word, shape, matching key, flags, coarse cluster).
/// Everything else of `Info` (affixes, trigger and fine-cluster classes,
/// hyphen parts) is already folded into an entry's partial sums, so an
/// entry keeps only these 32 bytes; the full `Info` is kept aside
/// ([`Entry::cold`]) only where something still reads it: the
/// Latin-script sentence context. Entries shrank from 536 to 368 bytes
/// (issue 9, session 9); Arabic keeps no full `Info`, so its document
/// caches and word table take ~30 % less cache and memory, while a French
/// or English word costs 568 bytes (entry and full `Info` side by side).
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub(crate) struct WordInfo {
    pub(crate) norm: u64,
    pub(crate) shape: u64,
    pub(crate) bare: u64,
    pub(crate) flags: u32,
    pub(crate) clc: u32,
}

impl From<&Info> for WordInfo {
    fn from(i: &Info) -> Self {
        WordInfo {
            norm: i.norm,
            shape: i.shape,
            bare: i.bare,
            flags: i.flags,
            clc: i.clc,
        }
    }
}

/// What the cache keeps per distinct token string.
///
/// Plain old data (`repr(C)`, no padding) so that the word table's
/// entries can live in huge-page memory (`crate::huge`). Field order puts
/// together what is read together: the hash, lengths and inline strings
/// (a first occurrence's comparison), then the rows and `word` (a
/// token's window). Entries are 368 bytes at alignment 8, so a group
/// starts at any offset within a cache line and may span one line more
/// than its size; padding every entry to a 64-byte boundary (576 bytes
/// when they were 536, +3.4 MB peak RSS) was measured and not kept:
/// 683.6 vs 674.8 µs medians, min 659.8 vs 669.9, at load 1.4 (no clear
/// gain).
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
struct Entry {
    /// Hash of the raw text (the cache index key).
    h: u64,
    /// Byte lengths of the token's raw / norm / stem (`u32::MAX` for a
    /// longer string: then never equal to a token's).
    raw_len: u32,
    norm_len: u32,
    stem_len: u32,
    /// The three strings concatenated, when they fit ([`INLINE`] bytes;
    /// most words do): compared in full on every hit, so a hash collision
    /// can never mix two tokens. Next to the hash: a frequent word's first
    /// occurrence in a document reads one or two adjacent lines of the
    /// word table, not also a random line of its strings elsewhere.
    inline: [u8; INLINE],
    /// Where the strings are in the cache's / table's text when they do
    /// not fit inline (`u64`, not `usize`: the layout has no padding on
    /// any target).
    at: u64,
    /// Code points of the matching key (`features::match_key`).
    bare_chars: u32,
    /// The gazetteer's one-token step of the matching key
    /// (`Gazetteer::first_step`). Valid because a tagger's gazetteer never
    /// changes under its word table (`LangTagger::gaz_mut` drops it).
    first_gaz: u32,
    /// Where the token's full [`Info`] is, index + 1 into the owner's
    /// `cold` list (the document cache's, or the word table's for a table
    /// entry); 0 = not kept. Kept when the language has a sentence
    /// context (`has_sentence_context`: its sentences copy every token's
    /// `Info`) or when `context_keys_latin(&info)` gives any key (then
    /// read per token); neither ever holds for Arabic, whose entries keep
    /// none. So in a language without sentence context, `cold != 0`
    /// means "has Latin context keys".
    cold: u32,
    /// Sum of [`own_keys`].
    own: Row,
    /// Sums of `from_prev(Some(self))` (given to the token after it),
    /// `from_next(Some(self))` (to the token before it), `from_prev2`,
    /// `from_next2`.
    to_next: Row,
    to_prev: Row,
    to_next2: Row,
    to_prev2: Row,
    /// Rows of the word × neighbour-shape templates when the neighbour has
    /// the language's main shape (`features::main_shape`, most tokens):
    /// `prev_shape_key(Some(self), main)` (given to the token after it)
    /// and `next_shape_key(Some(self), main)` (to the token before it).
    /// Two random weight-table lookups per token become reads of entries
    /// already in use (issue 9).
    next_ms: Row,
    prev_ms: Row,
    word: WordInfo,
}

/// Does an entry with this `Info` keep it in full (see [`Entry::cold`])?
fn keeps_info(lang: Lang, info: &Info) -> bool {
    has_sentence_context(lang) || {
        let mut any = false;
        context_keys_latin(info, &mut |_| any = true);
        any
    }
}

/// Bytes of strings an [`Entry`] holds inline (with the hash and lengths:
/// 64 bytes).
const INLINE: usize = 44;

/// Per-document cache of the fast path (lives in [`Scratch`]).
#[derive(Default)]
pub struct DocCache {
    /// Identity of the tagger whose weights the sums come from
    /// ([`LangTagger::id`], unique per built or loaded tagger, never an
    /// address that a later model could reuse): a cache is never reused
    /// with another tagger, it is cleared instead.
    owner: u64,
    /// The word table that [`IN_TABLE`] ids point into ([`WordTable::id`],
    /// 0 = none): checked like `owner`.
    table_id: u64,
    /// The tagger's language when the cache was filled: `LangTagger::lang`
    /// is a public field, and entries, word-table references and the
    /// main-shape rows depend on it (checked like `owner`; reviewer's
    /// finding, session 8).
    lang: Option<Lang>,
    /// Open addressing over `distinct`: index + 1, 0 = empty.
    index: Vec<u32>,
    /// Every distinct token of the document in order of first occurrence:
    /// (raw-text hash, entry id). An id is an index into `entries` or,
    /// with [`IN_TABLE`] set, into the tagger's word table: a frequent
    /// word's entry is referenced there, not copied.
    distinct: Vec<(u64, u32)>,
    /// The gazetteer's one-token step of each distinct token (parallel to
    /// `distinct`; `Gazetteer::first_step` of its matching key): two hash
    /// lookups per distinct token instead of per occurrence.
    first_gaz: Vec<u32>,
    /// Entries computed for this document (tokens not in the word table).
    entries: Vec<Entry>,
    /// The full `Info` of the entries that keep it ([`Entry::cold`]).
    cold: Vec<Info>,
    text: String,
    shapes: ShapeMemo,
    /// Sums of the neighbour groups at the sentence ends (BOS / EOS).
    bos_prev: Row,
    eos_next: Row,
    bos_prev2: Row,
    eos_next2: Row,
    /// The main-shape rows at the sentence ends, and the main shape.
    bos_ms: Row,
    eos_ms: Row,
    main_shape: u64,
    // Per-sentence buffers.
    ids: Vec<u32>,
    bare: Vec<u64>,
    bare_chars: Vec<u32>,
    first: Vec<u32>,
    gaz: Vec<u32>,
    infos: Vec<Info>,
    /// The keys of one token that are looked up one by one.
    keys: Vec<u64>,
    rows: Vec<Row>,
}

/// Bit of a per-document entry id that points into the word table
/// (whose size, at most [`MAX_WORDS`], stays far below it).
const IN_TABLE: u32 = 1 << 31;

/// The entry of id `id`: `own` = the document's entries, `table` = the
/// word table's.
#[inline]
fn entry_of<'a>(own: &'a [Entry], table: &'a [Entry], id: u32) -> Option<&'a Entry> {
    if id & IN_TABLE == 0 {
        own.get(id as usize)
    } else {
        table.get((id ^ IN_TABLE) as usize)
    }
}

/// The full `Info` of entry `e` of id `id`, if it keeps it
/// ([`Entry::cold`]): `own` = the document's cold list, `table` = the
/// word table's.
#[inline]
fn cold_of<'a>(own: &'a [Info], table: &'a [Info], id: u32, e: &Entry) -> Option<&'a Info> {
    let at = (e.cold as usize).checked_sub(1)?;
    if id & IN_TABLE == 0 {
        own.get(at)
    } else {
        table.get(at)
    }
}

/// Memo of [`shape_context_keys`] sums.
#[derive(Default)]
struct ShapeMemo {
    /// Open addressing over `items`: index + 1, 0 = empty.
    index: Vec<u32>,
    items: Vec<(ShapeCtx, Row)>,
}

/// Past this many distinct tokens the cache starts over (memory bound for
/// callers that tag many documents with one [`Scratch`], and for one long
/// hostile document). Checked before each sentence with the sentence's
/// length ([`DocCache::prepare`]), so the entry vectors never grow past it
/// (growing past a power of two doubles them: 1 MiB of distinct French
/// words had grown a thread's entries and full infos to 37 MB, session 9).
/// A news article has under ~4,000 distinct tokens.
const MAX_ENTRIES: usize = 1 << 14;

/// Entries whose buffers survive [`DocCache::clear`] (~4,000 distinct
/// tokens: a long article).
const KEEP_ENTRIES: usize = 4096;

/// Past this many memoised shape contexts, or this many bytes of cached
/// token strings, the cache also starts over: a long hostile text (every
/// token a new shape context, or few but very long distinct tokens) must
/// not grow a worker thread's memory beyond a few MB.
const MAX_SHAPES: usize = 1 << 14;
const MAX_TEXT: usize = 1 << 21;

/// Shape items and string bytes whose buffers survive [`DocCache::clear`].
const KEEP_SHAPES: usize = 4096;
const KEEP_TEXT: usize = 1 << 17;

/// Longest probe sequence of the cache indexes. The slot comes from an
/// unseeded hash of request text, so a caller could craft many tokens
/// with one home slot and make every insert walk them all (quadratic
/// work); past this many steps a token is simply not indexed (its sums
/// are still computed, only not found again).
const MAX_PROBE: usize = 64;

/// Sum of the rows of the keys a group function produces.
macro_rules! sum {
    ($t:expr, |$k:ident| $body:expr) => {{
        let mut acc = [0i32; NTAGS];
        let $k = &mut |key: u64| $t.add_key(key, &mut acc);
        $body;
        acc
    }};
}

/// Find `h` in an open-addressing index (`index + 1`, 0 = empty) whose
/// items satisfy `is`: `Ok(item)`, `Err(Some(free slot))`, or
/// `Err(None)` when [`MAX_PROBE`] slots were visited without finding
/// either (the item is then not to be indexed).
#[inline]
fn probe(index: &[u32], h: u64, is: impl Fn(usize) -> bool) -> Result<usize, Option<usize>> {
    let mask = index.len().wrapping_sub(1);
    let mut s = h as usize & mask;
    for _ in 0..MAX_PROBE {
        match index.get(s) {
            None | Some(0) => return Err(Some(s)),
            Some(&v) => {
                let item = v as usize - 1;
                if is(item) {
                    return Ok(item);
                }
            }
        }
        s = (s + 1) & mask;
    }
    Err(None)
}

/// Rebuild an index at twice the size. Items whose probe sequence would
/// pass [`MAX_PROBE`] stay out of it (see there).
fn regrow(index: &mut Vec<u32>, hashes: impl Iterator<Item = u64>) {
    let cap = (index.len() * 2).max(16);
    index.clear();
    index.resize(cap, 0);
    let mask = cap - 1;
    for (i, h) in hashes.enumerate() {
        let mut s = h as usize & mask;
        let mut steps = 0;
        while index.get(s).is_some_and(|x| *x != 0) && steps < MAX_PROBE {
            s = (s + 1) & mask;
            steps += 1;
        }
        if let Some(slot) = index.get_mut(s).filter(|x| **x == 0) {
            *slot = i as u32 + 1;
        }
    }
}

impl ShapeMemo {
    fn sum(&mut self, t: &LangTagger, sc: &ShapeCtx) -> Row {
        let h = sc.hash();
        let items = &self.items;
        match probe(&self.index, h, |i| items.get(i).is_some_and(|x| x.0 == *sc)) {
            Ok(i) => self.items.get(i).map_or([0; NTAGS], |x| x.1),
            Err(None) => sum!(t, |k| shape_context_keys(sc, k)),
            Err(Some(s)) => {
                let r = sum!(t, |k| shape_context_keys(sc, k));
                let id = self.items.len() as u32;
                self.items.push((*sc, r));
                if let Some(slot) = self.index.get_mut(s) {
                    *slot = id + 1;
                }
                if self.items.len() * 2 > self.index.len() {
                    regrow(&mut self.index, self.items.iter().map(|x| x.0.hash()));
                }
                r
            }
        }
    }
}

impl DocCache {
    /// Forget everything (a new document). Keeps the buffers (no
    /// allocation per document once warm) unless a large document grew
    /// them: then they are freed, so a worker thread keeps at most ~3 MB
    /// between documents (4,096 entries of 368 bytes and, for French and
    /// English, their full infos of 200 bytes, their index, 4,096
    /// shape items, 128 KB of strings).
    pub fn clear(&mut self) {
        if self.distinct.capacity() > KEEP_ENTRIES
            || self.cold.capacity() > KEEP_ENTRIES
            || self.shapes.items.capacity() > KEEP_SHAPES
            || self.text.capacity() > KEEP_TEXT
        {
            *self = DocCache::default();
            return;
        }
        self.owner = 0;
        self.table_id = 0;
        self.lang = None;
        self.index.clear();
        self.distinct.clear();
        self.first_gaz.clear();
        self.entries.clear();
        self.cold.clear();
        self.text.clear();
        self.shapes.index.clear();
        self.shapes.items.clear();
    }

    /// Number of distinct tokens cached.
    pub fn len(&self) -> usize {
        self.distinct.len()
    }

    pub fn is_empty(&self) -> bool {
        self.distinct.is_empty()
    }

    /// `wt` is the tagger's word table as the caller read it once for the
    /// whole sentence: reading it again here could see a table whose build
    /// finished in between, and record it while the sentence used none.
    fn prepare(&mut self, t: &LangTagger, wt: Option<&WordTable>, n_toks: usize) {
        let id = t.id();
        // The word table appears once its background build is done (then
        // the cache starts over: ids of computed entries would do, but
        // one rule is simpler), and a tagger's table is never replaced
        // while a document is tagged; checked anyway, like the owner.
        let table_id = wt.map_or(0, |w| w.id);
        if self.owner == id
            && self.table_id == table_id
            && self.lang == Some(t.lang)
            && self.distinct.len() + n_toks <= MAX_ENTRIES
            && self.shapes.items.len() < MAX_SHAPES
            && self.text.len() < MAX_TEXT
        {
            return;
        }
        self.clear();
        self.owner = id;
        self.table_id = table_id;
        self.lang = Some(t.lang);
        self.index.resize(1024, 0);
        self.shapes.index.resize(256, 0);
        self.bos_prev = sum!(t, |k| from_prev(None, k));
        self.eos_next = sum!(t, |k| from_next(None, k));
        self.bos_prev2 = sum!(t, |k| from_prev2(None, k));
        self.eos_next2 = sum!(t, |k| from_next2(None, k));
        let ms = main_shape(t.lang);
        self.main_shape = ms;
        self.bos_ms = sum!(t, |k| prev_shape_key(None, ms, k));
        self.eos_ms = sum!(t, |k| next_shape_key(None, ms, k));
    }

    /// The entry id of a token (see `distinct`) and its gazetteer one-token
    /// step (`first_gaz`), computing them on a miss. `wt`: the tagger's
    /// word table, if built.
    fn id(&mut self, t: &LangTagger, wt: Option<&WordTable>, tok: &TokView<'_>) -> (u32, u32) {
        let h = hash_str(tok.raw);
        let (distinct, entries, text) = (&self.distinct, &self.entries, &self.text);
        let found = probe(&self.index, h, |i| {
            distinct.get(i).is_some_and(|&(dh, id)| {
                dh == h
                    && if id & IN_TABLE == 0 {
                        entries.get(id as usize).is_some_and(|e| same(text, e, tok))
                    } else {
                        wt.and_then(|w| w.entries().get((id ^ IN_TABLE) as usize))
                            .is_some_and(|e| wt.is_some_and(|w| same(&w.text, e, tok)))
                    }
            })
        });
        match found {
            // (Always there: `probe` found it.)
            Ok(i) => (
                distinct.get(i).map_or(u32::MAX, |x| x.1),
                self.first_gaz.get(i).copied().unwrap_or(0),
            ),
            Err(slot) => self.insert(t, wt, tok, h, slot),
        }
    }

    /// A token string seen for the first time in this document: a
    /// frequent word's entry is referenced in the model's word table;
    /// otherwise its features and partial sums are computed (the
    /// expensive, once-per-string part, kept out of line so the per-token
    /// hit path stays small).
    #[inline(never)]
    fn insert(
        &mut self,
        t: &LangTagger,
        wt: Option<&WordTable>,
        tok: &TokView<'_>,
        h: u64,
        slot: Option<usize>,
    ) -> (u32, u32) {
        let id = match wt.and_then(|w| w.get(t, tok, h)) {
            Some(i) => i as u32 | IN_TABLE,
            None => {
                let e = new_entry(
                    t.table(),
                    t.lang,
                    t.trig(),
                    t.gaz(),
                    tok,
                    h,
                    self.text.len(),
                    &mut self.cold,
                );
                if !e.is_inline() {
                    self.text.push_str(tok.raw);
                    self.text.push_str(tok.norm);
                    self.text.push_str(tok.stem);
                }
                self.entries.push(e);
                (self.entries.len() - 1) as u32
            }
        };
        let table: &[Entry] = wt.map_or(&[], |w| w.entries());
        let first = entry_of(&self.entries, table, id).map_or(0, |e| e.first_gaz);
        let pos = self.distinct.len();
        self.distinct.push((h, id));
        self.first_gaz.push(first);
        if let Some(slot) = slot.and_then(|s| self.index.get_mut(s)) {
            *slot = pos as u32 + 1;
        }
        if self.distinct.len() * 2 > self.index.len() {
            regrow(&mut self.index, self.distinct.iter().map(|x| x.0));
        }
        (id, first)
    }

    /// Matching key of every token of the last tagged sentence: the hash
    /// of `features::match_key` (the gazetteer / trigger / merging key) and
    /// its length in code points, so that the document-entity code reuses
    /// them instead of recomputing.
    pub fn sentence_keys(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.bare
            .iter()
            .copied()
            .zip(self.bare_chars.iter().copied())
    }
}

impl Entry {
    /// Total bytes of the three strings (saturating).
    fn strings_len(&self) -> usize {
        (self.raw_len as usize)
            .saturating_add(self.norm_len as usize)
            .saturating_add(self.stem_len as usize)
    }

    /// Are the strings in `inline` (else in the text at `at`)?
    fn is_inline(&self) -> bool {
        self.strings_len() <= INLINE
    }
}

/// The features and partial sums of one token string: a cache miss, or
/// one word of the word table. Its strings are kept inline when they fit,
/// else the caller stores them at `at` of its text (see
/// [`Entry::is_inline`]). Its full `Info`, when kept ([`Entry::cold`]),
/// is pushed to `cold`.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn new_entry(
    w: &Table,
    lang: Lang,
    trig: &Triggers,
    gaz: &Gazetteer,
    tok: &TokView<'_>,
    h: u64,
    at: usize,
    cold: &mut Vec<Info>,
) -> Entry {
    let (info, bare_s) = token_info_and_key(lang, tok, trig);
    let word = WordInfo::from(&info);
    let some = Some(&info);
    let some_word = Some(&word);
    let len = |s: &str| u32::try_from(s.len()).unwrap_or(u32::MAX);
    let mut inline = [0u8; INLINE];
    let total = tok.raw.len() + tok.norm.len() + tok.stem.len();
    if total <= INLINE {
        let mut at = 0;
        for part in [tok.raw, tok.norm, tok.stem] {
            if let Some(dst) = inline.get_mut(at..at + part.len()) {
                dst.copy_from_slice(part.as_bytes());
            }
            at += part.len();
        }
    }
    Entry {
        h,
        raw_len: len(tok.raw),
        norm_len: len(tok.norm),
        stem_len: len(tok.stem),
        inline,
        at: at as u64,
        first_gaz: gaz.first_step(info.bare),
        bare_chars: bare_s.chars().count() as u32,
        cold: if keeps_info(lang, &info) {
            cold.push(info);
            u32::try_from(cold.len()).unwrap_or(0)
        } else {
            0
        },
        own: sum!(w, |k| own_keys(&info, k)),
        to_next: sum!(w, |k| from_prev(some, k)),
        to_prev: sum!(w, |k| from_next(some, k)),
        to_next2: sum!(w, |k| from_prev2(some, k)),
        to_prev2: sum!(w, |k| from_next2(some, k)),
        next_ms: sum!(w, |k| prev_shape_key(some_word, main_shape(lang), k)),
        prev_ms: sum!(w, |k| next_shape_key(some_word, main_shape(lang), k)),
        word,
    }
}

/// One word of the model's frequent-word list: its forms as the text
/// pipeline gives them (a token matches only when all three are equal).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Word {
    pub raw: String,
    pub norm: String,
    pub stem: String,
}

/// Read-only entries of the model's frequent words (see the module doc):
/// built once per loaded tagger, shared by all threads.
pub struct WordTable {
    /// Unique per built table (never 0): per-document ids point into one
    /// table ([`DocCache`] checks it).
    id: u64,
    /// Language and triggers-dependent values were computed for this
    /// language ([`WordTable::get`] checks the tagger's).
    lang: Lang,
    /// Open addressing over `entries` (index + 1, 0 = empty), load ≤ 1/2.
    index: Vec<u32>,
    /// The first `len` are the words' entries (one per word, duplicates
    /// skipped). In huge-page memory: ~24 MB for Arabic, read at random
    /// (first occurrences of frequent words).
    slots: HugeSlice<Entry>,
    len: usize,
    /// The words' strings (`Entry::at` points here).
    text: String,
    /// The full `Info` of the entries that keep it ([`Entry::cold`]):
    /// none for Arabic.
    cold: Vec<Info>,
}

impl std::fmt::Debug for WordTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WordTable({:?}, {} words)", self.lang, self.len)
    }
}

impl WordTable {
    /// Entries of the encoded word list `words` ([`encode_words`];
    /// duplicates skipped) with the weights `w`. `go` is asked every 256
    /// words; when it says no (the model was dropped), the build stops and
    /// the table holds the words so far. A malformed list (never a loaded
    /// model's: checked at load) ends the table where it goes wrong.
    pub(super) fn build(
        w: &Table,
        lang: Lang,
        trig: &Triggers,
        gaz: &Gazetteer,
        words: &[u8],
        go: &dyn Fn() -> bool,
    ) -> WordTable {
        let list = || {
            encoded_words(words)
                .into_iter()
                .flatten()
                .map_while(Result::ok)
        };
        let n = encoded_words(words).map_or(0, |x| x.listed());
        let cap = (n * 2).next_power_of_two().max(16);
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let mut t = WordTable {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            lang,
            index: vec![0; cap],
            slots: HugeSlice::zeroed(n),
            len: 0,
            // Only the strings that do not fit in their entry.
            text: String::with_capacity(
                list()
                    .map(|x| x.raw.len() + x.norm.len() + x.stem.len())
                    .filter(|n| *n > INLINE)
                    .sum(),
            ),
            cold: Vec::new(),
        };
        for (n, tok) in list().enumerate() {
            if n % 256 == 255 && !go() {
                break;
            }
            let h = hash_str(tok.raw);
            let (entries, text) = (t.entries(), &t.text);
            let found = probe(&t.index, h, |i| {
                entries
                    .get(i)
                    .is_some_and(|e| e.h == h && same(text, e, &tok))
            });
            // A duplicate, or no slot within MAX_PROBE: not in the table.
            let Err(Some(slot)) = found else {
                continue;
            };
            let e = new_entry(w, lang, trig, gaz, &tok, h, t.text.len(), &mut t.cold);
            if !e.is_inline() {
                t.text.push_str(tok.raw);
                t.text.push_str(tok.norm);
                t.text.push_str(tok.stem);
            }
            if let Some(s) = t.index.get_mut(slot) {
                *s = t.len as u32 + 1;
            }
            if let Some(slot) = t.slots.get_mut(t.len) {
                *slot = e;
                t.len += 1;
            }
        }
        t
    }

    /// Number of words in the table.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The words' entries.
    #[inline]
    fn entries(&self) -> &[Entry] {
        self.slots.get(..self.len).unwrap_or(&[])
    }

    /// The index of the entry of `tok` (raw-text hash `h`), if the table
    /// has it and it is valid for tagger `t`: same language (a public
    /// field). The triggers, clusters and gazetteer the entries were
    /// computed with are the tagger's: changing them drops the table
    /// (`LangTagger::trig_mut`), so they are not re-checked here (that
    /// was two random lookups per first occurrence of a frequent word).
    /// Strings are compared in full: a hash collision never matches.
    #[inline]
    fn get(&self, t: &LangTagger, tok: &TokView<'_>, h: u64) -> Option<usize> {
        if self.lang != t.lang {
            return None;
        }
        let (entries, text) = (self.entries(), &self.text);
        let i = probe(&self.index, h, |i| {
            entries
                .get(i)
                .is_some_and(|e| e.h == h && same(text, e, tok))
        })
        .ok()?;
        Some(i)
    }
}

/// Words per language in the model's word table. Arabic news is the
/// target (issue 9): 16,384 words covered 78 % of the sample article's
/// first occurrences of a word (481 of 619) and ~81 % in a simulation on
/// held-out news; ~380 bytes of memory each once built for Arabic, ~580
/// for French and English (entry, full info, index, and the
/// strings of the few that do not fit in the entry). Session 7 doubled
/// the Arabic list to 32,768: a new word costs ~37 weight-table lookups
/// that mostly miss the caches, and the sample article's analysis went
/// from ~870 to ~805 µs CPU (same tags) for ~7.7 MB more memory.
/// Session 9 made it 65,536 once entries kept only the hot part of their
/// `Info` (368 instead of 536 bytes) and the tagger no longer kept a
/// second copy of its weights (−18 MB): sample analysis 683.5 → 664.9 µs
/// CPU (medians of 12 alternations, vs 49,152 words, topic tables still on
/// the heap) for ~+9 MB peak RSS of `analyze_loop`; the serving process
/// stays below session 8's peak. 98,304 words: −14 µs more for +13 MB,
/// too close to the 150 MB goal (not kept).
pub fn word_table_size(lang: Lang) -> usize {
    match lang {
        Lang::Ar => 1 << 16,
        _ => 1 << 13,
    }
}

/// Most words a model file's list may hold (2× the largest list trained):
/// a bound on what a corrupt or crafted file can make the loader and the
/// background build allocate.
pub const MAX_WORDS: usize = 1 << 17;

/// The `n` word forms (raw, norm, stem) found in the most texts, as the
/// text pipeline tokenises them in tagged (non-boilerplate) sentences with
/// the language given. Ranked by the number of texts containing them
/// (what counts is the first occurrence in each document: later ones hit
/// the per-document cache), ties by the strings: deterministic.
pub fn frequent_words<'a>(lang: Lang, texts: impl Iterator<Item = &'a str>, n: usize) -> Vec<Word> {
    use std::collections::{HashMap, HashSet};
    let mut df: HashMap<Word, u32> = HashMap::new();
    for text in texts {
        let doc = crate::text::analyze(
            text,
            TextOptions {
                title: None,
                lang_hint: Some(lang),
            },
        );
        let mut seen: HashSet<(&str, &str, &str)> = HashSet::new();
        for s in doc.sentences.iter().filter(|s| s.role != Role::Boilerplate) {
            for t in doc.sentence_tokens(s) {
                let k = (doc.token_text(t), doc.norm(t), doc.stem(t));
                if !seen.insert(k) {
                    continue;
                }
                let w = Word {
                    raw: k.0.to_string(),
                    norm: k.1.to_string(),
                    stem: k.2.to_string(),
                };
                *df.entry(w).or_insert(0) += 1;
            }
        }
    }
    let mut v: Vec<(u32, Word)> = df.into_iter().map(|(w, c)| (c, w)).collect();
    v.sort_unstable_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    v.truncate(n);
    v.into_iter().map(|(_, w)| w).collect()
}

/// The word list as stored in the model file: count, then per word the
/// raw form (length + bytes), the norm (0 = same as raw, else length + 1
/// and bytes) and the stem (0 = same as norm, else length + 1 and bytes),
/// lengths as LEB128 varints.
pub(super) fn encode_words(words: &[Word]) -> Vec<u8> {
    let mut b = Vec::with_capacity(words.len() * 16);
    varint(&mut b, words.len() as u64);
    for w in words {
        varint(&mut b, w.raw.len() as u64);
        b.extend_from_slice(w.raw.as_bytes());
        for (s, same_as) in [(&w.norm, &w.raw), (&w.stem, &w.norm)] {
            if s == same_as {
                varint(&mut b, 0);
            } else {
                varint(&mut b, s.len() as u64 + 1);
                b.extend_from_slice(s.as_bytes());
            }
        }
    }
    b
}

/// The words of an encoded list ([`encode_words`]) as token views borrowed
/// from its bytes, in order, with every check of the format: a malformed
/// list yields one error and then nothing. Why views and not [`Word`]s: a
/// loaded tagger keeps its list encoded (~1.5 MB for the shipped model)
/// instead of three `String`s per word (~14 MB), and the word-table build
/// reads it straight from the bytes.
pub(super) struct EncodedWords<'a> {
    b: &'a [u8],
    pos: usize,
    /// Words not yet read; `None` after an error or the end.
    left: Option<u64>,
}

/// Start reading an encoded word list (the count is checked here).
pub(super) fn encoded_words(b: &[u8]) -> Result<EncodedWords<'_>, ModelError> {
    let mut pos = 0usize;
    let n = vget(b, &mut pos).ok_or_else(|| words_error("truncated count"))?;
    // Each word takes at least three bytes; and no more words than a list
    // ever holds (the background build costs ~380-580 bytes per word, so a
    // crafted file with a valid checksum must not make it allocate without
    // bound).
    if n.saturating_mul(3) > (b.len() - pos) as u64 {
        return Err(words_error("count larger than the data"));
    }
    if n > MAX_WORDS as u64 {
        return Err(words_error(&format!(
            "{n} words, more than the {MAX_WORDS} allowed"
        )));
    }
    Ok(EncodedWords {
        b,
        pos,
        left: Some(n),
    })
}

fn words_error(what: &str) -> ModelError {
    ModelError::Malformed(format!("word list: {what}"))
}

impl<'a> EncodedWords<'a> {
    /// Number of words the list says it holds (at most [`MAX_WORDS`]).
    pub(super) fn listed(&self) -> usize {
        self.left.map_or(0, |n| n as usize)
    }

    fn bytes_at(&mut self, len: u64) -> Result<&'a str, ModelError> {
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| self.pos.checked_add(l))
            .filter(|e| *e <= self.b.len())
            .ok_or_else(|| words_error("truncated word"))?;
        let s = self
            .b
            .get(self.pos..end)
            .ok_or_else(|| words_error("truncated word"))?;
        self.pos = end;
        std::str::from_utf8(s).map_err(|_| words_error("word is not UTF-8"))
    }

    /// A form stored as 0 (= `same`) or length + 1 and bytes.
    fn form_or(&mut self, same: &'a str) -> Result<&'a str, ModelError> {
        let l = vget(self.b, &mut self.pos).ok_or_else(|| words_error("truncated word"))?;
        if l == 0 {
            Ok(same)
        } else {
            self.bytes_at(l - 1)
        }
    }

    fn word(&mut self) -> Result<TokView<'a>, ModelError> {
        let l = vget(self.b, &mut self.pos).ok_or_else(|| words_error("truncated word"))?;
        let raw = self.bytes_at(l)?;
        let norm = self.form_or(raw)?;
        let stem = self.form_or(norm)?;
        Ok(TokView { raw, norm, stem })
    }
}

impl<'a> Iterator for EncodedWords<'a> {
    type Item = Result<TokView<'a>, ModelError>;

    fn next(&mut self) -> Option<Self::Item> {
        let n = self.left?;
        if n == 0 {
            self.left = None;
            return (self.pos != self.b.len()).then(|| Err(words_error("trailing bytes")));
        }
        let w = self.word();
        self.left = if w.is_ok() { Some(n - 1) } else { None };
        Some(w)
    }
}

/// Check an encoded word list in full; its number of words.
pub(super) fn check_words(b: &[u8]) -> Result<usize, ModelError> {
    let mut n = 0;
    for w in encoded_words(b)? {
        w?;
        n += 1;
    }
    Ok(n)
}

/// Inverse of [`encode_words`]; a malformed list is a clear error.
pub(super) fn decode_words(b: &[u8]) -> Result<Vec<Word>, ModelError> {
    let words = encoded_words(b)?;
    let mut out = Vec::with_capacity(words.listed());
    for w in words {
        let w = w?;
        out.push(Word {
            raw: w.raw.to_string(),
            norm: w.norm.to_string(),
            stem: w.stem.to_string(),
        });
    }
    Ok(out)
}

/// Are the cached strings of `e` those of `tok`? Compared as bytes (equal
/// strings are equal bytes): `str` slicing would also check that every
/// bound is a char boundary, which made this ~165 instructions a call.
#[inline]
fn same(text: &str, e: &Entry, tok: &TokView<'_>) -> bool {
    let (r, n) = (e.raw_len as usize, e.norm_len as usize);
    let t: &[u8] = if e.is_inline() {
        &e.inline
    } else {
        usize::try_from(e.at)
            .ok()
            .and_then(|at| text.as_bytes().get(at..))
            .unwrap_or(&[])
    };
    let (a, b, c) = (0, r, r.saturating_add(n));
    let d = c.saturating_add(e.stem_len as usize);
    let eq = |x: Option<&[u8]>, y: &str| x.is_some_and(|x| eq_short(x, y.as_bytes()));
    eq(t.get(a..b), tok.raw) && eq(t.get(b..c), tok.norm) && eq(t.get(c..d), tok.stem)
}

/// `x == y`, inline for the short strings words are (≤ 16 bytes: two
/// overlapping 8- or 4-byte loads) instead of a `memcmp` call each: three
/// per token occurrence, ~4 % of the analysis in `perf`.
#[inline]
fn eq_short(x: &[u8], y: &[u8]) -> bool {
    let n = x.len();
    if n != y.len() {
        return false;
    }
    let w8 = |s: &[u8], i: usize| {
        s.get(i..i + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_ne_bytes)
    };
    let w4 = |s: &[u8], i: usize| {
        s.get(i..i + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_ne_bytes)
    };
    match n {
        8..=16 => w8(x, 0) == w8(y, 0) && w8(x, n - 8) == w8(y, n - 8),
        4..=7 => w4(x, 0) == w4(y, 0) && w4(x, n - 4) == w4(y, n - 4),
        _ => x == y,
    }
}

/// Integer emission rows of one sentence into `rows` (the fast path).
pub(crate) fn sentence_rows(
    t: &LangTagger,
    toks: &[TokView<'_>],
    cache: &mut DocCache,
    rows: &mut Vec<Row>,
) {
    rows.clear();
    let wt = t.word_table();
    cache.prepare(t, wt, toks.len());
    cache.ids.clear();
    cache.bare.clear();
    cache.bare_chars.clear();
    cache.first.clear();
    let table: &[Entry] = wt.map_or(&[], |w| w.entries());
    let table_cold: &[Info] = wt.map_or(&[], |w| &w.cold);
    for tok in toks {
        let (id, first) = cache.id(t, wt, tok);
        cache.ids.push(id);
        cache.first.push(first);
        let (bare, chars) =
            entry_of(&cache.entries, table, id).map_or((0, 0), |e| (e.word.bare, e.bare_chars));
        cache.bare.push(bare);
        cache.bare_chars.push(chars);
    }
    let DocCache {
        entries,
        cold,
        shapes,
        bos_prev,
        eos_next,
        bos_prev2,
        eos_next2,
        bos_ms,
        eos_ms,
        main_shape: ms,
        ids,
        bare,
        first,
        gaz,
        infos,
        keys,
        ..
    } = cache;
    gaz.clear();
    gaz.resize(toks.len(), 0);
    t.gaz().annotate_from(bare, first, gaz);
    let any_gaz = gaz.iter().any(|g| *g != 0);
    // Latin script: infos with their gazetteer bits and sentence context
    // (both context-dependent, so never stored in the cache entries). Not
    // for Arabic, which has no sentence context: its tokens' context keys
    // come from the gazetteer bits and their entries' infos directly.
    let sent_ctx = has_sentence_context(t.lang);
    infos.clear();
    if sent_ctx {
        for (id, g) in ids.iter().zip(gaz.iter()) {
            // (Every entry keeps its `Info` in these languages.)
            let mut inf = entry_of(entries, table, *id)
                .and_then(|e| cold_of(cold, table_cold, *id, e))
                .map_or_else(Info::default, |x| *x);
            inf.gaz = *g;
            infos.push(inf);
        }
        sentence_context(t.lang, toks, infos);
    }
    let clc = t.clc_pairs();
    let n = toks.len();
    let slen = slen_bucket(n);
    let entry = |j: Option<usize>| {
        j.and_then(|j| ids.get(j))
            .and_then(|id| entry_of(entries, table, *id))
    };
    // A window over the sentence's entries (each resolved once).
    let (mut m2, mut m1, mut cur, mut p1) = (None, None, entry(Some(0)), entry(Some(1)));
    for i in 0..n {
        let p2 = entry(Some(i + 2));
        let Some(c) = cur else {
            rows.push([0; NTAGS]);
            (m2, m1, cur, p1) = (m1, cur, p1, p2);
            continue;
        };
        let mut acc = c.own;
        add(&mut acc, m1.map_or(&*bos_prev, |e| &e.to_next));
        add(&mut acc, p1.map_or(&*eos_next, |e| &e.to_prev));
        add(&mut acc, m2.map_or(&*bos_prev2, |e| &e.to_next2));
        add(&mut acc, p2.map_or(&*eos_next2, |e| &e.to_prev2));
        let ci = &c.word;
        let mi = m1.map(|e| &e.word);
        let pi = p1.map(|e| &e.word);
        add(&mut acc, &shapes.sum(t, &ShapeCtx::new(mi, ci, pi, slen)));
        // The remaining keys are collected first and then looked up in one
        // loop: the row additions stay vectorised (inlined into each key
        // site they were not, ~40 instructions each).
        keys.clear();
        {
            let k = &mut |key| keys.push(key);
            if ci.shape == *ms {
                // = prev_shape_key / next_shape_key, precomputed.
                add(&mut acc, m1.map_or(&*bos_ms, |e| &e.next_ms));
                add(&mut acc, p1.map_or(&*eos_ms, |e| &e.prev_ms));
                bigram_prev_key(mi, ci, k);
                bigram_next_key(ci, pi, k);
            } else {
                pair_prev_keys(mi, ci, k);
                pair_next_keys(ci, pi, k);
            }
            if !clc.add(mi, ci, pi, &mut acc) {
                clc_pair_keys(mi, ci, pi, k);
            }
            if sent_ctx {
                let g = |j: Option<usize>| j.and_then(|j| infos.get(j));
                if let Some(cg) = g(Some(i)) {
                    context_keys(g(i.checked_sub(1)), cg, g(Some(i + 1)), k);
                }
            } else {
                // = context_keys with the sentence's gazetteer bits
                // (the entry's `info.gaz` is not them; the Latin part
                // reads no gazetteer bits).
                if any_gaz {
                    let g = |j: Option<usize>| j.and_then(|j| gaz.get(j)).copied();
                    let cg = g(Some(i)).unwrap_or(0);
                    gaz_keys(g(i.checked_sub(1)), cg, ci.shape, g(Some(i + 1)), k);
                }
                // (`cold != 0` here: has Latin context keys.)
                let full = ids.get(i).and_then(|id| cold_of(cold, table_cold, *id, c));
                if let Some(full) = full {
                    context_keys_latin(full, k);
                }
            }
        }
        for key in keys.iter() {
            t.add_key(*key, &mut acc);
        }
        rows.push(acc);
        (m2, m1, cur, p1) = (m1, cur, p1, p2);
    }
}

/// Tag one sentence through the fast path (see the module doc).
pub(crate) fn tag(t: &LangTagger, toks: &[TokView<'_>], scratch: &mut Scratch, out: &mut Vec<u8>) {
    out.clear();
    if toks.is_empty() {
        scratch.fast.bare.clear();
        scratch.fast.bare_chars.clear();
        return;
    }
    let Scratch {
        emis, vrows, fast, ..
    } = scratch;
    let mut rows = std::mem::take(&mut fast.rows);
    sentence_rows(t, toks, fast, &mut rows);
    let scale = t.scale();
    emis.clear();
    emis.extend(rows.iter().map(|r| {
        let mut e = [0f32; NTAGS];
        for j in 0..NTAGS {
            e[j] = r[j] as f32 * scale;
        }
        e
    }));
    fast.rows = rows;
    viterbi_rows(emis, t.trans(), vrows, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ner::features::{sentence_features, token_info, FeatBuf};
    use crate::ner::NerModel;
    use crate::text::{analyze, Lang, Role, TextOptions};
    use std::sync::OnceLock;

    fn model() -> &'static NerModel {
        static M: OnceLock<NerModel> = OnceLock::new();
        M.get_or_init(|| {
            let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/ner.bin");
            match NerModel::load(&p) {
                Ok(m) => m,
                Err(e) => panic!("shipped model models/ner.bin must load: {e}"),
            }
        })
    }

    /// Our own texts: repeated words and names, one-token sentences and
    /// lines, titles, trigger words, gazetteer names (countries, cities,
    /// organisations), digits and punctuation.
    const TEXTS: [(Lang, &str); 3] = [
        (
            Lang::Ar,
            "المغرب\n\nاستقبل السيد عبد اللطيف حموشي المدير العام للأمن الوطني وفدا من فرنسا بالرباط. \
             وقال حموشي إن المغرب وفرنسا وإسبانيا شركاء. الرباط.\n\nوأكد الرئيس الفرنسي أن للمغرب دورا، \
             وأن المغرب والمملكة المتحدة والولايات المتحدة الأمريكية والأمم المتحدة تعمل معا في 2024. \
             المديرية العامة للأمن الوطني والمديرية العامة لمراقبة التراب الوطني في الدار البيضاء.\n\nشكرا",
        ),
        (
            Lang::Fr,
            "Maroc\n\nLe président Emmanuel Macron a reçu M. Aziz Akhannouch à Paris. Macron, Macron et \
             encore Macron ! La France et le Maroc ont signé avec la Banque mondiale et l'Organisation \
             des Nations unies.\n\nParis.\n\nLe ministre de l'Intérieur a visité Rabat, Casablanca et \
             Marrakech le 3 mars 2024 avec le Dr Jean-Pierre Dupont de l'OMS.",
        ),
        (
            Lang::En,
            "Morocco\n\nMr. Nasser Bourita met Dr. Jane Smith of the World Bank in London on Tuesday. \
             Bourita said Morocco and Spain and the United States and the United Nations agree. \
             Yes.\n\nThe Ministry of Finance and the Ministry of Health of France met in Paris, Paris \
             and PARIS at 10:30 (U.S. time).\n\nLondon",
        ),
    ];

    /// Every non-boilerplate sentence of every text as token views.
    fn sentences(mut f: impl FnMut(Lang, &[Vec<TokView<'_>>])) {
        for (lang, text) in TEXTS {
            let doc = analyze(
                text,
                TextOptions {
                    title: None,
                    lang_hint: Some(lang),
                },
            );
            let sents: Vec<Vec<TokView<'_>>> = doc
                .sentences
                .iter()
                .filter(|s| s.role != Role::Boilerplate)
                .map(|s| {
                    doc.sentence_tokens(s)
                        .iter()
                        .map(|t| TokView {
                            raw: doc.token_text(t),
                            norm: doc.norm(t),
                            stem: doc.stem(t),
                        })
                        .collect()
                })
                .collect();
            assert!(
                sents.iter().any(|s| s.len() == 1),
                "{lang:?}: one-token sentence"
            );
            // The same words again, so that the cache is hit across sentences.
            let mut all = sents.clone();
            all.extend(sents);
            f(lang, &all);
        }
    }

    #[test]
    fn groups_cover_the_reference_keys() {
        let m = model();
        let mut fb = FeatBuf::default();
        let (mut gaz_hits, mut trig_hits) = (0, 0);
        sentences(|lang, sents| {
            let t = m.tagger(lang).expect("tagger");
            for toks in sents {
                sentence_features(lang, toks, t.gaz(), t.trig(), &mut fb);
                let mut infos: Vec<Info> =
                    toks.iter().map(|x| token_info(lang, x, t.trig())).collect();
                let bare: Vec<u64> = infos.iter().map(|x| x.bare).collect();
                let mut g = vec![0u32; toks.len()];
                t.gaz().annotate(&bare, &mut g);
                for (x, g) in infos.iter_mut().zip(&g) {
                    x.gaz = *g;
                }
                sentence_context(lang, toks, &mut infos);
                gaz_hits += infos.iter().filter(|x| x.gaz != 0).count();
                trig_hits += infos.iter().filter(|x| x.trig != 0).count();
                let n = infos.len();
                let at = |j: Option<usize>| j.and_then(|j| infos.get(j));
                for (i, c) in infos.iter().enumerate() {
                    let (m1, p1) = (at(i.checked_sub(1)), at(Some(i + 1)));
                    let mut keys = Vec::new();
                    let k = &mut |x| keys.push(x);
                    own_keys(c, k);
                    from_prev(m1, k);
                    from_next(p1, k);
                    from_prev2(at(i.checked_sub(2)), k);
                    from_next2(at(Some(i + 2)), k);
                    let w = |x: Option<&Info>| x.map(WordInfo::from);
                    let (wm1, wc, wp1) = (w(m1), WordInfo::from(c), w(p1));
                    let (wm1, wp1) = (wm1.as_ref(), wp1.as_ref());
                    shape_context_keys(&ShapeCtx::new(wm1, &wc, wp1, slen_bucket(n)), k);
                    pair_prev_keys(wm1, &wc, k);
                    pair_next_keys(&wc, wp1, k);
                    clc_pair_keys(wm1, &wc, wp1, k);
                    context_keys(m1, c, p1, k);
                    let a = fb.offsets[i] as usize;
                    let b = fb.offsets[i + 1] as usize;
                    let mut reference = fb.keys[a..b].to_vec();
                    reference.sort_unstable();
                    keys.sort_unstable();
                    assert_eq!(keys, reference, "{lang:?} token {i} of {n}");
                }
            }
        });
        assert!(
            gaz_hits > 10,
            "the texts must hit the gazetteers ({gaz_hits})"
        );
        assert!(
            trig_hits > 5,
            "the texts must hit trigger words ({trig_hits})"
        );
    }

    #[test]
    fn fast_rows_equal_reference() {
        let m = model();
        let mut fb = FeatBuf::default();
        sentences(|lang, sents| {
            let t = m.tagger(lang).expect("tagger");
            // One cache for the whole text (hits across sentences), and a
            // fresh one per sentence (all misses): both must equal the
            // reference.
            let mut cache = DocCache::default();
            let mut rows = Vec::new();
            for toks in sents {
                sentence_features(lang, toks, t.gaz(), t.trig(), &mut fb);
                let reference = t.reference_rows(&fb);
                sentence_rows(t, toks, &mut cache, &mut rows);
                assert_eq!(rows, reference, "{lang:?}: {}", toks.len());
                let mut fresh = DocCache::default();
                sentence_rows(t, toks, &mut fresh, &mut rows);
                assert_eq!(rows, reference);
            }
            assert!(cache.len() < sents.iter().map(Vec::len).sum::<usize>() / 2);
        });
    }

    #[test]
    fn long_and_short_strings_match_only_themselves_inline_or_not() {
        // Entries keep their strings inline up to INLINE bytes, else in the
        // text. Tokens on both sides of the limit, and tokens sharing a raw
        // form but not norm / stem, through the document cache and the word
        // table: rows equal the reference, and only equal strings share an
        // entry.
        let m = model();
        let base = m.tagger(Lang::Fr).expect("fr");
        let long = "anticonstitutionnellement"; // 3 × 25 bytes: not inline
                                                // 3 × 14 = 42 bytes: inline.
        let edge = "abcdefghijklmn";
        // Exactly INLINE (16 + 16 + 12 = 44) and INLINE + 1 bytes.
        let (at44, over, st) = ("abcdefghijklmnop", "abcdefghijklmnopq", "abcdefghijkl");
        let tv = |raw, norm, stem| TokView { raw, norm, stem };
        let toks = [
            tv(long, long, long),
            tv(edge, edge, edge),
            tv(long, long, "anticonstitutionnel"),
            tv(edge, "abcdefghijklmo", edge),
            tv(long, long, long),
            tv(edge, edge, edge),
            tv(at44, at44, st),
            tv(over, over, st),
            tv(at44, at44, st),
            tv(over, over, st),
        ];
        let mut fb = FeatBuf::default();
        sentence_features(Lang::Fr, &toks, base.gaz(), base.trig(), &mut fb);
        let reference = base.reference_rows(&fb);
        let words = vec![
            word(long, long, long),
            word(edge, edge, edge),
            word(at44, at44, st),
            word(over, over, st),
        ];
        let t = with_words(base, words);
        let wt = t.word_table().expect("table");
        assert_eq!(wt.len(), 4);
        let inline: Vec<bool> = wt.entries().iter().map(Entry::is_inline).collect();
        assert_eq!(inline, [false, true, true, false]);
        assert!(!wt.entries().iter().all(Entry::is_inline));
        assert!(wt.entries().iter().any(Entry::is_inline));
        for tagger in [base, &t] {
            let mut cache = DocCache::default();
            let mut rows = Vec::new();
            sentence_rows(tagger, &toks, &mut cache, &mut rows);
            assert_eq!(rows, reference);
            // Six distinct (raw, norm, stem) triples.
            assert_eq!(cache.len(), 6);
            assert_eq!(cache.ids[6], cache.ids[8]);
            assert_eq!(cache.ids[7], cache.ids[9]);
            assert_ne!(cache.ids[6], cache.ids[7]);
            assert_eq!(cache.ids[0], cache.ids[4]);
            assert_eq!(cache.ids[1], cache.ids[5]);
            assert_ne!(cache.ids[0], cache.ids[2]);
            assert_ne!(cache.ids[1], cache.ids[3]);
        }
    }

    #[test]
    fn clc_pairs_equal_the_hashed_keys() {
        // Every (prev, token, next) cluster value, the sentence ends and
        // values past the table: the table's rows equal the hashed keys'
        // sums, and a value it does not cover adds nothing and says so
        // (the caller then hashes).
        let m = model();
        let info = |v: u32| WordInfo {
            clc: v,
            ..WordInfo::default()
        };
        let top = CLC_VALUES as u32 + 2;
        let ends: Vec<Option<u32>> = (0..=top).map(Some).chain([None]).collect();
        for lang in m.languages() {
            let t = m.tagger(lang).expect("tagger");
            let pairs = t.clc_pairs();
            let mut nonzero = 0;
            for p in &ends {
                for c in 0..=top {
                    for n in &ends {
                        let (pi, ci, ni) = (p.map(info), info(c), n.map(info));
                        let (pi, ni) = (pi.as_ref(), ni.as_ref());
                        let want = sum!(t, |k| clc_pair_keys(pi, &ci, ni, k));
                        let mut got = [0; NTAGS];
                        let covered = [*p, Some(c), *n]
                            .iter()
                            .all(|v| v.is_none_or(|v| (v as usize) < CLC_VALUES));
                        assert_eq!(pairs.add(pi, &ci, ni, &mut got), covered);
                        if covered {
                            assert_eq!(got, want, "{lang:?} {p:?} {c} {n:?}");
                        } else {
                            assert_eq!(got, [0; NTAGS]);
                        }
                        nonzero += usize::from(want != [0; NTAGS]);
                    }
                }
            }
            assert!(
                nonzero > 1000,
                "{lang:?}: the model has cluster pair weights"
            );
        }
    }

    #[test]
    fn fast_tags_equal_reference_tags() {
        let m = model();
        let mut scratch = Scratch::default();
        let mut reference_scratch = Scratch::default();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let mut names = 0;
        sentences(|lang, sents| {
            let t = m.tagger(lang).expect("tagger");
            scratch.new_document();
            for toks in sents {
                t.tag(toks, &mut scratch, &mut a);
                t.tag_reference(toks, &mut reference_scratch, &mut b);
                assert_eq!(a, b);
                names += a.iter().filter(|x| **x != 0).count();
            }
        });
        assert!(names > 10, "the texts have names ({names})");
    }

    #[test]
    fn cache_is_per_tagger() {
        // One scratch used with two taggers in turn: the sums of one must
        // never leak into the other.
        let m = model();
        let (ar, fr) = (
            m.tagger(Lang::Ar).expect("ar"),
            m.tagger(Lang::Fr).expect("fr"),
        );
        let toks = [TokView {
            raw: "Paris",
            norm: "paris",
            stem: "paris",
        }];
        let mut cache = DocCache::default();
        let (mut r1, mut r2, mut r3) = (Vec::new(), Vec::new(), Vec::new());
        sentence_rows(fr, &toks, &mut cache, &mut r1);
        sentence_rows(ar, &toks, &mut cache, &mut r2);
        sentence_rows(ar, &toks, &mut DocCache::default(), &mut r3);
        assert_eq!(r2, r3);
        assert_ne!(r1, r2);
    }

    #[test]
    fn a_clone_is_another_tagger() {
        let m = model();
        let fr = m.tagger(Lang::Fr).expect("fr");
        let copy = fr.clone();
        assert_ne!(fr.id(), copy.id());
        let toks = [TokView {
            raw: "Paris",
            norm: "paris",
            stem: "paris",
        }];
        let mut cache = DocCache::default();
        let mut rows = Vec::new();
        sentence_rows(fr, &toks, &mut cache, &mut rows);
        assert_eq!(cache.owner, fr.id());
        sentence_rows(&copy, &toks, &mut cache, &mut rows);
        assert_eq!(cache.owner, copy.id());
        assert_eq!(cache.len(), 1, "the original's entries were dropped");
    }

    /// A token of a distinct shape per `i` (no two adjacent symbols of one
    /// class, so the compressed shape keeps them all).
    fn shaped_token(mut i: usize) -> String {
        const PARTS: [&str; 6] = ["ب", "x", "X", "1", "-", "."];
        let mut s = String::new();
        let mut last = usize::MAX;
        loop {
            let mut d = i % 6;
            if d == last {
                d = (d + 1) % 6;
            }
            s.push_str(PARTS[d]);
            last = d;
            i /= 6;
            if i == 0 {
                return s;
            }
        }
    }

    #[test]
    fn hostile_documents_keep_the_cache_bounded() {
        let m = model();
        let fr = m.tagger(Lang::Fr).expect("fr");
        // (1) Every sentence a new shape context: the shape memo starts
        // over past MAX_SHAPES instead of growing with the text, and the
        // sums stay those of the reference path.
        let words: Vec<String> = (0..3 * MAX_SHAPES / 2).map(shaped_token).collect();
        let mut cache = DocCache::default();
        let mut fast = Vec::new();
        let mut fb = FeatBuf::default();
        let mut max_shapes = 0;
        for (n, w) in words.chunks(3).enumerate() {
            let toks = plain_views(w);
            sentence_rows(fr, &toks, &mut cache, &mut fast);
            max_shapes = max_shapes.max(cache.shapes.items.len());
            if n % 97 == 0 {
                sentence_features(Lang::Fr, &toks, fr.gaz(), fr.trig(), &mut fb);
                assert_eq!(fast, fr.reference_rows(&fb), "sentence {n}");
            }
        }
        assert!(max_shapes > MAX_SHAPES / 2, "the test makes many shapes");
        assert!(max_shapes <= MAX_SHAPES + 3, "{max_shapes} shape items");
        cache.clear();
        assert!(cache.shapes.items.capacity() <= KEEP_SHAPES);
        // (2) Few but long distinct tokens: the cached strings start over
        // past MAX_TEXT, and what survives `clear` is small.
        let long: Vec<String> = (0..600)
            .map(|i| format!("{i}{}", "é".repeat(2000)))
            .collect();
        let mut max_text = 0;
        for w in &long {
            let toks = plain_views(std::slice::from_ref(w));
            sentence_rows(fr, &toks, &mut cache, &mut fast);
            max_text = max_text.max(cache.text.len());
        }
        assert!(max_text > MAX_TEXT / 2, "the test fills the string store");
        assert!(max_text < MAX_TEXT + 3 * 4100, "{max_text} bytes cached");
        cache.clear();
        assert!(cache.text.capacity() <= KEEP_TEXT);
        // (3) Many distinct short tokens, in sentences of 80 (the text
        // pipeline's longest): the cache starts over before its entries
        // pass MAX_ENTRIES, so no per-entry vector grows past it (a
        // doubling past it had cost ~20 MB per thread), and the sums stay
        // the reference's.
        let many: Vec<String> = (0..3 * MAX_ENTRIES).map(|i| format!("Mot{i}x")).collect();
        let (mut max_len, mut max_cap) = (0, 0);
        for (n, w) in many.chunks(80).enumerate() {
            let toks = plain_views(w);
            sentence_rows(fr, &toks, &mut cache, &mut fast);
            max_len = max_len.max(cache.distinct.len());
            max_cap = max_cap
                .max(cache.entries.capacity())
                .max(cache.cold.capacity())
                .max(cache.distinct.capacity())
                .max(cache.first_gaz.capacity());
            if n % 61 == 0 {
                sentence_features(Lang::Fr, &toks, fr.gaz(), fr.trig(), &mut fb);
                assert_eq!(fast, fr.reference_rows(&fb), "sentence {n}");
            }
        }
        assert!(
            max_len > MAX_ENTRIES - 80 && max_len <= MAX_ENTRIES,
            "the test fills the cache: {max_len}"
        );
        assert!(max_cap <= MAX_ENTRIES, "{max_cap} slots");
    }

    /// Tokens whose three forms are the string itself.
    fn plain_views(words: &[String]) -> Vec<TokView<'_>> {
        words
            .iter()
            .map(|x| TokView {
                raw: x,
                norm: x,
                stem: x,
            })
            .collect()
    }

    /// Every token of the sentences as a word-list entry.
    fn sentence_words(sents: &[Vec<TokView<'_>>]) -> Vec<Word> {
        sents
            .iter()
            .flatten()
            .map(|t| word(t.raw, t.norm, t.stem))
            .collect()
    }

    /// A clone of a shipped tagger with its own word table of `words`,
    /// built now (the shared loaded model's table is not touched).
    fn with_words(t: &LangTagger, words: Vec<Word>) -> LangTagger {
        let mut c = t.clone();
        c.set_frequent_words(words);
        c.build_word_table();
        c
    }

    fn word(raw: &str, norm: &str, stem: &str) -> Word {
        Word {
            raw: raw.to_string(),
            norm: norm.to_string(),
            stem: stem.to_string(),
        }
    }

    #[test]
    fn word_table_rows_equal_reference_on_random_texts() {
        // Random sentences over the texts' tokens, shaped tokens and
        // variants (same raw form, another norm or stem: same cache hash,
        // must never take the table word's entry). Half the pool is in
        // the word table. Through the table, with a fresh and with a
        // shared per-document cache, the sums equal the reference.
        let m = model();
        let mut r = crate::ner::hash::XorShift::new(2026);
        let mut fb = FeatBuf::default();
        let (mut rows, mut plain) = (Vec::new(), Vec::new());
        sentences(|lang, sents| {
            let base = m.tagger(lang).expect("tagger");
            let mut pool = sentence_words(sents);
            pool.extend((0..100).map(|i| {
                let s = shaped_token(i);
                word(&s, &s, &s)
            }));
            pool.sort();
            pool.dedup();
            let mut in_table = Vec::new();
            for (i, w) in pool.iter().enumerate() {
                if i % 2 == 0 {
                    in_table.push(w.clone());
                }
            }
            let originals = pool.clone();
            for w in &originals {
                pool.push(word(&w.raw, &format!("{}x", w.norm), &w.stem));
                pool.push(word(&w.raw, &w.norm, &format!("{}y", w.stem)));
            }
            let t = with_words(base, in_table.clone());
            let wt = t.word_table().expect("built");
            assert_eq!(wt.len(), in_table.len());
            let mut shared = DocCache::default();
            let (mut hits, mut tokens) = (0, 0);
            for it in 0..400 {
                let len = 1 + r.below(if it % 4 == 0 { 3 } else { 30 });
                let toks: Vec<TokView<'_>> = (0..len)
                    .map(|_| {
                        let w = &pool[r.below(pool.len())];
                        TokView {
                            raw: &w.raw,
                            norm: &w.norm,
                            stem: &w.stem,
                        }
                    })
                    .collect();
                for tok in &toks {
                    tokens += 1;
                    let found = wt.get(&t, tok, hash_str(tok.raw));
                    let want = in_table
                        .iter()
                        .any(|w| w.raw == tok.raw && w.norm == tok.norm && w.stem == tok.stem);
                    assert_eq!(found.is_some(), want, "{tok:?}");
                    hits += usize::from(want);
                }
                sentence_features(lang, &toks, t.gaz(), t.trig(), &mut fb);
                let reference = t.reference_rows(&fb);
                sentence_rows(&t, &toks, &mut DocCache::default(), &mut rows);
                assert_eq!(rows, reference, "{lang:?} sentence {it}");
                sentence_rows(&t, &toks, &mut shared, &mut rows);
                assert_eq!(rows, reference, "{lang:?} sentence {it}, shared cache");
                sentence_rows(base, &toks, &mut DocCache::default(), &mut plain);
                assert_eq!(plain, reference);
            }
            // Not vacuous: about a sixth of the tokens come from the table.
            assert!(hits * 10 > tokens, "{lang:?}: {hits} of {tokens}");
        });
    }

    #[test]
    fn a_word_table_built_mid_document_is_used_safely() {
        // The background build may finish while a document is tagged: the
        // per-document cache then starts over with the table (its ids
        // point into one table only), and every sentence's rows equal the
        // reference before and after.
        let m = model();
        let base = m.tagger(Lang::Ar).expect("ar");
        let mut fb = FeatBuf::default();
        let mut rows = Vec::new();
        sentences(|lang, sents| {
            if lang != Lang::Ar {
                return;
            }
            let mut t = base.clone();
            t.set_frequent_words(
                sents
                    .iter()
                    .flatten()
                    .map(|x| word(x.raw, x.norm, x.stem))
                    .collect(),
            );
            assert!(t.word_table().is_none());
            let mut cache = DocCache::default();
            let half = sents.len() / 2;
            for (i, toks) in sents.iter().enumerate() {
                if i == half {
                    t.build_word_table();
                }
                sentence_rows(&t, toks, &mut cache, &mut rows);
                sentence_features(lang, toks, t.gaz(), t.trig(), &mut fb);
                assert_eq!(rows, t.reference_rows(&fb), "sentence {i}");
                let refs = cache
                    .distinct
                    .iter()
                    .filter(|x| x.1 & IN_TABLE != 0)
                    .count();
                if i < half {
                    assert_eq!((cache.table_id, refs), (0, 0));
                } else {
                    assert_eq!(Some(cache.table_id), t.word_table().map(|w| w.id));
                    assert_eq!(refs, cache.len(), "every word is in the table");
                    assert!(cache.entries.is_empty(), "nothing computed");
                }
            }
        });
    }

    #[test]
    fn a_changed_language_does_not_reuse_the_document_cache() {
        // `lang` is a public field: changed between two sentences tagged
        // with one cache, the entries of the old language must not be
        // reused (the reviewer's test; it failed before `DocCache::lang`).
        let m = model();
        let base = m.tagger(Lang::Ar).expect("ar");
        let (mut fb, mut rows) = (FeatBuf::default(), Vec::new());
        let mut checked = 0;
        sentences(|lang, sents| {
            if lang != Lang::Ar {
                return;
            }
            let words = sentence_words(sents);
            for with_table in [false, true] {
                let mut t = if with_table {
                    with_words(base, words.clone())
                } else {
                    base.clone()
                };
                for toks in sents.iter().take(5) {
                    let mut cache = DocCache::default();
                    t.lang = Lang::Ar;
                    sentence_rows(&t, toks, &mut cache, &mut rows);
                    t.lang = Lang::Fr;
                    sentence_features(Lang::Fr, toks, t.gaz(), t.trig(), &mut fb);
                    let want = t.reference_rows(&fb);
                    sentence_rows(&t, toks, &mut cache, &mut rows);
                    assert_eq!(rows, want, "table: {with_table}");
                    checked += 1;
                }
            }
        });
        assert!(checked >= 6, "{checked}");
    }

    #[test]
    fn only_languages_with_sentence_context_keep_full_infos() {
        // Entries hold the hot part of `Info` (`WordInfo`); the full one is
        // kept aside only where the sentence context reads it. Arabic keeps
        // none (neither in the document cache nor in the word table), French
        // and English keep every entry's, equal to `token_info` and to the
        // entry's hot part. And the rows still equal the reference.
        assert_eq!(std::mem::size_of::<Entry>(), 368);
        let m = model();
        let (mut fb, mut rows) = (FeatBuf::default(), Vec::new());
        let mut seen = Vec::new();
        sentences(|lang, sents| {
            // Every other distinct word in the table, the rest computed.
            let mut words = sentence_words(sents);
            words.sort();
            words.dedup();
            let half: Vec<Word> = words.into_iter().step_by(2).collect();
            let t = with_words(m.tagger(lang).expect("tagger"), half);
            let wt = t.word_table().expect("built");
            let mut cache = DocCache::default();
            for toks in sents {
                sentence_rows(&t, toks, &mut cache, &mut rows);
                sentence_features(lang, toks, t.gaz(), t.trig(), &mut fb);
                assert_eq!(rows, t.reference_rows(&fb), "{lang:?}");
            }
            let keeps = has_sentence_context(lang);
            assert!(!cache.entries.is_empty() && !wt.is_empty());
            for (entries, cold, text) in [
                (&cache.entries[..], &cache.cold, &cache.text),
                (wt.entries(), &wt.cold, &wt.text),
            ] {
                assert_eq!(cold.len(), if keeps { entries.len() } else { 0 });
                for e in entries {
                    let Some(full) = (e.cold as usize).checked_sub(1).and_then(|i| cold.get(i))
                    else {
                        assert!(!keeps && e.cold == 0, "{lang:?}");
                        continue;
                    };
                    assert_eq!(WordInfo::from(full), e.word);
                    let s: &[u8] = if e.is_inline() {
                        &e.inline
                    } else {
                        &text.as_bytes()[e.at as usize..]
                    };
                    let (r, n, st) = (e.raw_len as usize, e.norm_len as usize, e.stem_len as usize);
                    let part = |a: usize, b: usize| std::str::from_utf8(&s[a..b]).expect("utf-8");
                    let tok = TokView {
                        raw: part(0, r),
                        norm: part(r, r + n),
                        stem: part(r + n, r + n + st),
                    };
                    assert_eq!(*full, token_info(lang, &tok, t.trig()), "{lang:?}");
                }
            }
            seen.push(lang);
        });
        assert_eq!(seen, [Lang::Ar, Lang::Fr, Lang::En]);
        assert!(!has_sentence_context(Lang::Ar) && has_sentence_context(Lang::Fr));
    }

    #[test]
    fn eq_short_is_slice_equality() {
        let mut r = crate::ner::hash::XorShift::new(5);
        let mut differ = 0;
        for _ in 0..20_000 {
            let n = r.below(24);
            let x: Vec<u8> = (0..n).map(|_| r.below(3) as u8).collect();
            let mut y = x.clone();
            match r.below(3) {
                0 => {}
                1 if n > 0 => {
                    let i = r.below(n);
                    y[i] ^= 1;
                }
                _ => y.push(0),
            }
            assert_eq!(eq_short(&x, &y), x == y, "{x:?} {y:?}");
            differ += usize::from(x != y);
        }
        assert!(differ > 5_000);
    }

    #[test]
    fn changed_triggers_and_gazetteer_drop_what_was_derived_from_them() {
        // The word table's entries hold trigger, cluster and gazetteer
        // values, and `WordTable::get` no longer re-checks them: a change
        // through `trig_mut` / `gaz_mut` must drop the table and renew the
        // tagger's id (so that a per-document cache filled before the
        // change is not reused), and a rebuilt table must use the new
        // values. Every variant must equal the reference features.
        let m = model();
        let base = m.tagger(Lang::Ar).expect("ar");
        let mut fb = FeatBuf::default();
        let (mut before, mut rows) = (Vec::new(), Vec::new());
        let (mut changed_trig, mut changed_gaz) = (0, 0);
        sentences(|lang, sents| {
            if lang != Lang::Ar {
                return;
            }
            let words = sentence_words(sents);
            let mut t = with_words(base, words);
            for toks in sents {
                let keys: Vec<u64> = toks
                    .iter()
                    .map(|tok| hash_str(crate::ner::features::match_key(lang, tok.norm)))
                    .collect();
                let mut cache = DocCache::default();
                sentence_rows(&t, toks, &mut cache, &mut before);
                for mutate_gaz in [false, true] {
                    let mut t2 = t.clone();
                    // The same cache, filled by `t`, then by `t2` before
                    // the change.
                    sentence_rows(&t2, toks, &mut cache, &mut rows);
                    assert_eq!(rows, before);
                    let id = t2.id();
                    if mutate_gaz {
                        // Every token a one-word place name.
                        for k in &keys {
                            t2.gaz_mut().insert(&[*k], 1);
                        }
                    } else {
                        for k in &keys {
                            for class in 0..4 {
                                t2.trig_mut().insert(*k, class);
                            }
                        }
                    }
                    assert_ne!(t2.id(), id, "a change renews the id");
                    assert!(t2.word_table().is_none(), "a change drops the table");
                    assert!(t.word_table().is_some(), "the original keeps its table");
                    sentence_features(lang, toks, t2.gaz(), t2.trig(), &mut fb);
                    let reference = t2.reference_rows(&fb);
                    sentence_rows(&t2, toks, &mut cache, &mut rows);
                    assert_eq!(rows, reference, "stale cache (gaz: {mutate_gaz})");
                    t2.build_word_table();
                    assert!(t2.word_table().is_some());
                    sentence_rows(&t2, toks, &mut DocCache::default(), &mut rows);
                    assert_eq!(rows, reference, "rebuilt table (gaz: {mutate_gaz})");
                    if mutate_gaz {
                        changed_gaz += usize::from(rows != before);
                    } else {
                        changed_trig += usize::from(rows != before);
                    }
                    // The original is unchanged.
                    sentence_rows(&t, toks, &mut DocCache::default(), &mut rows);
                    assert_eq!(rows, before);
                }
            }
            // A change of the language (a public field) is checked on use.
            t.lang = Lang::Fr;
            let toks = &sents[0];
            sentence_features(Lang::Fr, toks, t.gaz(), t.trig(), &mut fb);
            sentence_rows(&t, toks, &mut DocCache::default(), &mut rows);
            assert_eq!(rows, t.reference_rows(&fb));
        });
        assert!(
            changed_trig > 3,
            "the trigger change must matter ({changed_trig})"
        );
        assert!(
            changed_gaz > 3,
            "the gazetteer change must matter ({changed_gaz})"
        );
    }

    #[test]
    fn word_lists_round_trip_and_corrupt_lists_are_errors() {
        let words = vec![
            word("المغرب", "المغرب", "مغرب"),
            word("Paris", "paris", "paris"),
            word("x", "x", "x"),
            word("", "", ""),
            word("Été", "été", "ete"),
        ];
        let b = encode_words(&words);
        assert_eq!(decode_words(&b).expect("round trip"), words);
        assert_eq!(decode_words(&encode_words(&[])).expect("empty"), vec![]);
        assert_eq!(check_words(&b).ok(), Some(words.len()));
        // Every truncation is an error, never a panic; read as views, a
        // bad list gives the good words before it, one error, then ends
        // (what the word-table build relies on).
        for cut in 0..b.len() {
            assert!(decode_words(&b[..cut]).is_err(), "cut {cut}");
            assert!(check_words(&b[..cut]).is_err(), "cut {cut}");
            if let Ok(mut it) = encoded_words(&b[..cut]) {
                let good = it.by_ref().take_while(Result::is_ok).count();
                assert!(good < words.len(), "cut {cut}");
                assert!(it.next().is_none(), "cut {cut}: ends after the error");
            }
        }
        let views: Vec<Word> = encoded_words(&b)
            .expect("list")
            .map(|w| w.map(|w| word(w.raw, w.norm, w.stem)).expect("word"))
            .collect();
        assert_eq!(views, words);
        let msg = |r: Result<Vec<Word>, ModelError>| match r {
            Err(e) => e.to_string(),
            Ok(_) => String::from("accepted"),
        };
        let mut trailing = b.clone();
        trailing.push(0);
        assert!(msg(decode_words(&trailing)).contains("trailing"));
        let mut not_utf8 = encode_words(&[word("ab", "ab", "ab")]);
        not_utf8[2] = 0xFF;
        assert!(msg(decode_words(&not_utf8)).contains("UTF-8"));
        let mut huge = Vec::new();
        varint(&mut huge, u64::MAX);
        assert!(msg(decode_words(&huge)).contains("count"));
        // A count the data could hold but no trained list has: refused
        // before anything is allocated for it.
        let mut many = Vec::new();
        varint(&mut many, MAX_WORDS as u64 + 1);
        for _ in 0..=MAX_WORDS {
            many.extend([0, 0, 0]);
        }
        assert!(msg(decode_words(&many)).contains("more than the"));
        let mut at_max = Vec::new();
        varint(&mut at_max, MAX_WORDS as u64);
        for _ in 0..MAX_WORDS {
            at_max.extend([0, 0, 0]);
        }
        assert_eq!(decode_words(&at_max).map(|w| w.len()).ok(), Some(MAX_WORDS));
        let mut long = Vec::new();
        varint(&mut long, 1);
        varint(&mut long, u64::MAX);
        long.extend([0, 0]);
        assert!(msg(decode_words(&long)).contains("truncated"));
        // In a model file: the list round-trips through encode / load, and
        // a format-5 file (no list) is refused with a clear error.
        let fr = model().tagger(Lang::Fr).expect("fr");
        let t = with_words(fr, words.clone());
        let bytes = crate::ner::NerModel::encode(std::slice::from_ref(&t), "test");
        let back = crate::ner::NerModel::from_bytes(&bytes).expect("load");
        let tb = back.tagger(Lang::Fr).expect("fr");
        assert_eq!(tb.frequent_words(), &words[..]);
        tb.build_word_table();
        assert_eq!(tb.word_table().map(WordTable::len), Some(words.len()));
        let payload = crate::model_file::decode(&bytes, b"NER1", 6).expect("payload");
        let old = crate::model_file::encode(b"NER1", 5, payload);
        match crate::ner::NerModel::from_bytes(&old) {
            Err(ModelError::WrongVersion { expected, found }) => {
                assert_eq!((expected, found), (6, 5));
            }
            other => panic!("a format-5 file must be refused: {other:?}"),
        }
        // A word list cut off inside a tagger: Malformed, not a panic.
        let cut = crate::model_file::encode(b"NER1", 6, &payload[..payload.len() - 3]);
        assert!(crate::ner::NerModel::from_bytes(&cut).is_err());
    }

    #[test]
    fn frequent_words_rank_by_documents() {
        let texts = [
            "Le maire de Rabat a parlé. Le maire a parlé.",
            "Le ministre a visité Rabat.",
            "Rabat et Paris ! Rabat encore !",
        ];
        let w = frequent_words(Lang::Fr, texts.iter().copied(), 3);
        assert_eq!(w.len(), 3);
        // "Rabat" is in all three texts, "Le", "a" and "." in two.
        assert_eq!(w[0].raw, "Rabat");
        assert_eq!(w[0].norm, "rabat");
        assert_eq!(w, frequent_words(Lang::Fr, texts.iter().copied(), 3));
        assert!(frequent_words(Lang::Fr, texts.iter().copied(), 100).len() > 8);
    }

    #[test]
    fn loaded_models_build_their_word_tables() {
        let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/ner.bin");
        let m = NerModel::load(&p).expect("load");
        crate::ner::wait_for_word_tables();
        for lang in m.languages() {
            let t = m.tagger(lang).expect("tagger");
            let n = t.frequent_words().len();
            assert!(n >= 1000, "{lang:?}: {n} words");
            assert_eq!(t.word_table().map(WordTable::len), Some(n), "{lang:?}");
        }
        // Dropped at once: its builders stop, and waiting returns.
        drop(NerModel::load(&p).expect("load"));
        crate::ner::wait_for_word_tables();
    }

    #[test]
    fn probing_is_bounded() {
        // An index where every slot is taken by a non-matching item: a
        // lookup gives up after MAX_PROBE slots instead of looping.
        let full = vec![1u32; 1024];
        assert_eq!(probe(&full, 7, |_| false), Err(None));
        // Many items with one home slot: regrow indexes the first
        // MAX_PROBE + 1 of them and leaves the rest out.
        let mut index = vec![0u32; 512];
        regrow(&mut index, std::iter::repeat_n(5u64, 300));
        let indexed = index.iter().filter(|x| **x != 0).count();
        assert_eq!(indexed, MAX_PROBE + 1);
        assert_eq!(probe(&index, 5, |i| i == 0), Ok(0));
    }
}
