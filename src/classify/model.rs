//! The compact, quantised linear model and its fast scorer.
//!
//! Layout: one or more [`Table`]s (a joint model has one shared by all
//! languages; a per-language model one per language) and one [`Head`] per
//! language (which table, which of its columns may be predicted, biases,
//! temperature).
//!
//! A table holds
//! - the **bucket matrix**: `2^bits` rows of i8 weights (one per label
//!   column; padded to 16 in memory, not on disk) with one f32 scale per row. Per-row scales keep
//!   precision for both the few heavy buckets (strong cue words) and the many
//!   light ones; a per-column scale would flush most weights to zero;
//! - the **word table**: for every word seen in training, the pre-summed
//!   row of its unigram + stem + char-n-gram buckets (quantised the same
//!   way), found through an ordered linear-probing index on the 64-bit unit
//!   key (see [`Table::find_word`]).
//!   A 1,000-word article then costs about one row read per distinct word
//!   and one per distinct bigram, instead of ~15 per token; unseen words fall
//!   back to expanding their n-grams over the bucket matrix (same function).
//!
//! Rows of one bucket are contiguous and fixed-width so the accumulate loop
//! (`acc[j] += c * row[j]`) is branch-free and auto-vectorises.

use super::features::{self, FeatureConfig, NgramScratch, Unit, UnitKind};
use super::TopicLabel;
use crate::huge::HugeSlice;
use crate::model_file::{ByteReader, ByteWriter, ModelError};
use crate::text::{Document, Lang, Role, TokenKind};

/// Kind tag and format version of `models/topics.bin`.
pub const KIND: &[u8; 4] = b"TOP1";
pub const FORMAT_VERSION: u32 = 3;
/// The previous format (no per-kind bias); still loaded.
pub const FORMAT_VERSION_V2: u32 = 2;

/// A document with fewer distinct words than this is "short" (a single
/// sentence or post): it gets the head's `short_bias` on top of `bias`.
pub const SHORT_WORDS: usize = 40;
/// Most label columns a table can hold.
pub const MAX_COLS: usize = 16;

/// One quantised row: i8 weights (label columns, zero-padded to 16) and
/// their scale. Scale and weights sit together so a row costs one memory
/// read.
#[derive(Debug, Clone, Copy, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct QRow {
    pub scale: f32,
    pub q: [i8; MAX_COLS],
}

/// A word of the pre-summed word table (32 bytes: half a cache line).
///
/// Aligned to 32 so that an entry never straddles two cache lines: the table
/// is one large allocation starting 16 bytes into a page, so at alignment 8
/// every other entry began 48 bytes into a line with its row in the next
/// line (two misses for one word).
#[derive(Debug, Clone, Copy, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C, align(32))]
pub struct WordEntry {
    /// Unit key (`features::word_key`); 0 = empty slot.
    pub key: u64,
    /// The word's idf (cached from the idf table).
    pub idf: f32,
    pub row: QRow,
}

/// One weight table (see module docs).
#[derive(Debug, Clone)]
pub struct Table {
    pub cols: Vec<TopicLabel>,
    pub bucket_bits: u32,
    /// `2^bucket_bits` rows. In huge-page memory when large
    /// ([`crate::huge`]): n-gram and bigram rows are read at random, and
    /// with 4 KiB pages most reads also miss the TLB.
    pub rows: HugeSlice<QRow>,
    /// Ordered linear-probing word table: the entry of key `k` sits at or
    /// after its home slot [`home_slot`]`(k, words_home)`, and keys ascend
    /// along the slots (empty slots have key 0). Why ordered: the model
    /// file stores the words sorted by key, so the loader places each one
    /// with a single sequential pass (no probing, no rehash; the old
    /// low-bits index cost ~2 random cache misses per word at load), and a
    /// lookup of an unseen word stops at the first larger key. In
    /// huge-page memory when large, like `rows`.
    words: HugeSlice<WordEntry>,
    /// Number of home slots (`words` may be longer: a run of collisions at
    /// the top end spills past it instead of wrapping around).
    words_home: usize,
    n_words: usize,
}

/// Home slot of a word key among `n` slots: a multiply-shift of the key's
/// high 32 bits, which is monotone in the key (sorted keys have ascending
/// home slots, which the one-pass build relies on).
#[inline(always)]
fn home_slot(key: u64, n: usize) -> usize {
    (((key >> 32) * n as u64) >> 32) as usize
}

/// Home slots for `n` words: load ≤ 0.8 as before (a power of two at or
/// above 1.25 n, at least 16), so probe lengths are unchanged.
fn words_home_for(n: usize) -> usize {
    (n.saturating_mul(5).div_ceil(4))
        .next_power_of_two()
        .max(16)
}

/// Build the ordered word table from `(key, row)` with strictly ascending,
/// non-zero keys (what [`QuantModel::to_bytes`] writes); `Err` names the
/// violation, so a corrupt file is an error, not a silently broken index.
///
/// Two passes over `entries`: the keys alone give the table's length,
/// then the entries are written in place. Why not build on the heap and
/// copy into the huge-page mapping: the freed heap copy stayed resident
/// (glibc raises its mmap threshold after the first large free, so the
/// next large blocks came from the heap and were never given back):
/// +17 MB peak RSS, measured in session 8.
fn build_words(
    n: usize,
    entries: impl Iterator<Item = (u64, QRow)> + Clone,
    idf: &[u8],
) -> Result<(HugeSlice<WordEntry>, usize, usize), &'static str> {
    let home = words_home_for(n);
    let (mut len, mut last, mut count) = (0usize, 0u64, 0usize);
    for (key, _) in entries.clone() {
        if key <= last {
            return Err("word keys are not strictly ascending and non-zero");
        }
        last = key;
        len = home_slot(key, home).max(len) + 1;
        count += 1;
    }
    if count != n {
        return Err("word count differs from its header");
    }
    // Trailing empty slots up to `home` are not needed (a lookup past the
    // end finds nothing), but keep the table at least `home` long so its
    // memory does not depend on where the last key falls. (An empty slot
    // is all zero bytes: key 0.)
    let mut words = HugeSlice::<WordEntry>::zeroed(len.max(home));
    let mut next = 0usize;
    for (key, row) in entries {
        let pos = home_slot(key, home).max(next);
        if let Some(slot) = words.get_mut(pos) {
            *slot = WordEntry {
                key,
                idf: features::idf_of(key, idf),
                row,
            };
        }
        next = pos + 1;
    }
    Ok((words, home, count))
}

/// Quantise one row of floats to i8 with a row scale.
pub fn quantise_row(row: &[f32]) -> QRow {
    let m = row.iter().fold(0.0f32, |a, &v| a.max(v.abs()));
    let scale = if m > 0.0 { m / 127.0 } else { 0.0 };
    let mut q = [0i8; MAX_COLS];
    for (d, &v) in q.iter_mut().zip(row) {
        *d = if scale > 0.0 {
            (v / scale).round().clamp(-127.0, 127.0) as i8
        } else {
            0
        };
    }
    QRow { scale, q }
}

impl Table {
    /// Build a table from float weights (`weights`: `2^bits × cols.len()`)
    /// and the vocabulary `(key, norm, h_norm, h_stem)`.
    pub fn from_float(
        cols: Vec<TopicLabel>,
        bucket_bits: u32,
        weights: &[f32],
        vocab: &[(u64, String, u64, u64)],
        cfg: &FeatureConfig,
        idf: &[u8],
    ) -> Table {
        let ncols = cols.len().min(MAX_COLS);
        let nb = 1usize << bucket_bits;
        let rows: Vec<QRow> = (0..nb)
            .map(|b| quantise_row(weights.get(b * ncols..(b + 1) * ncols).unwrap_or(&[])))
            .collect();
        let mut scratch = NgramScratch::default();
        let mut feats = Vec::new();
        let mut entries = Vec::with_capacity(vocab.len());
        for (key, norm, h_norm, h_stem) in vocab {
            feats.clear();
            features::expand_word(norm, *h_norm, *h_stem, cfg, &mut scratch, &mut feats);
            let mut acc = [0.0f32; MAX_COLS];
            for &(b, v) in &feats {
                let b = b as usize;
                if let Some(row) = weights.get(b * ncols..(b + 1) * ncols) {
                    for (a, w) in acc.iter_mut().zip(row) {
                        *a += v * w;
                    }
                }
            }
            entries.push((*key, quantise_row(&acc[..ncols])));
        }
        // Key order, first occurrence of a key kept (a stable sort; a word
        // shared by two languages has the same key and the same row).
        entries.retain(|e| e.0 != 0);
        entries.sort_by_key(|e| e.0);
        entries.dedup_by_key(|e| e.0);
        let (words, words_home, n_words) = build_words(entries.len(), entries.iter().copied(), idf)
            .unwrap_or_else(|_| (HugeSlice::default(), 0, 0));
        Table {
            cols,
            bucket_bits,
            rows: HugeSlice::from_slice(&rows),
            words,
            words_home,
            n_words,
        }
    }

    /// The word's entry, if the word was seen in training. Scans from the
    /// home slot along ascending keys: found, or absent at the first empty
    /// slot or larger key.
    #[inline]
    fn find_word(&self, key: u64) -> Option<&WordEntry> {
        let mut s = home_slot(key, self.words_home);
        while let Some(e) = self.words.get(s) {
            if e.key == key {
                return Some(e);
            }
            if e.key == 0 || e.key > key {
                return None;
            }
            s += 1;
        }
        None
    }

    pub fn n_words(&self) -> usize {
        self.n_words
    }

    /// Bytes this table takes in the model file.
    pub fn file_size(&self) -> usize {
        let n = self.cols.len();
        self.rows.len() * (n + 4) + self.n_words * (8 + n + 4)
    }
}

/// Per-language output layer.
#[derive(Debug, Clone)]
pub struct Head {
    pub lang: Lang,
    pub table: usize,
    /// Columns of the table this language may predict.
    pub allowed: Vec<bool>,
    pub bias: Vec<f32>,
    pub temperature: f32,
    /// Added to `bias` for short documents ([`SHORT_WORDS`]); empty = none
    /// (format 2 files). Why: in the training data single sentences and
    /// articles come from different sources with different label sets (no
    /// French `economy` sentence, no French `culture` article), so the
    /// label prior of a sentence is not the prior of an article.
    pub short_bias: Vec<f32>,
}

/// The whole model, as stored.
#[derive(Debug, Clone)]
pub struct QuantModel {
    pub version: String,
    pub cfg: FeatureConfig,
    pub tables: Vec<Table>,
    pub heads: Vec<Head>,
    /// Hashed, byte-quantised idf of units (see `features::idf_of`).
    pub idf: Vec<u8>,
    /// Free-form JSON written by training (data, seed, dev figures), shown by
    /// GetModelInfo / the model card.
    pub info: String,
}

/// `acc[j] += c · scale · q[j]` over the row's first `N` columns (`N` = 8
/// for a table of at most 8 labels, else 16; the padding columns are zero,
/// so skipping them changes nothing).
///
/// Why a local copy of the accumulator: called through a reference the
/// compiler must assume `acc` may alias the row and keeps every element in
/// memory (one scalar load/convert/multiply/add/store per column, ~100
/// instructions per 16-column row, a tenth of `predict`); on a local array it
/// vectorises (~40). Each element still gets exactly `a + c·q` in f32, so
/// the sums are bit-identical to the scalar loop.
#[inline(always)]
fn axpy<const N: usize>(acc: &mut [f32; MAX_COLS], row: &QRow, c: f32) {
    let c = c * row.scale;
    if let (Some((a, _)), Some(q)) = (acc.split_first_chunk_mut::<N>(), row.q.first_chunk::<N>()) {
        let mut t = *a;
        for (x, &y) in t.iter_mut().zip(q) {
            *x += c * f32::from(y);
        }
        *a = t;
    }
}

/// Index slot of one distinct word of the document being classified. The
/// key sits in the slot, so a probe that hits (most tokens of an article
/// repeat a word already seen) reads one 16-byte slot and nothing else.
#[derive(Debug, Clone, Copy, Default)]
struct WordSlot {
    /// Unfinalised hash of the normalised form
    /// ([`features::norm_hash_raw`]): the finaliser is a bijection, so equal
    /// raw hashes are equal norm hashes, and it runs once per distinct word
    /// instead of once per token.
    raw: u64,
    count: f32,
    /// Entry index + 1 in [`Scratch::words`]; 0 = free slot.
    ent: u32,
}

/// One distinct word, in first-occurrence order (no borrowed strings, so the
/// scratch can live in a thread-local and be reused by every call without a
/// lifetime tying it to one document).
#[derive(Debug, Clone, Copy, Default)]
struct WordEnt {
    /// Hash of the normalised form (within one document the stem is a
    /// function of the normalised form, so this identifies the word unit).
    h: u64,
    /// Index of the first token with this form (in the title document when
    /// `title` is set), to find its stem and char n-grams.
    tok: u32,
    /// Its slot in [`Scratch::wslots`] (its count; cleared on reset).
    slot: u32,
    title: bool,
}

/// Index slot of one distinct bigram: the pair of word-entry indices
/// `(prev << 32) | cur` (two words are the same entry iff their normalised
/// hashes are equal, so this is the bigram unit; its real key is only
/// computed once per distinct bigram, at scoring time).
#[derive(Debug, Clone, Copy, Default)]
struct PairSlot {
    pair: u64,
    count: f32,
    /// 1 = used, 0 = free.
    used: u32,
}

/// Counts (integers: occurrences count 1, title ones 3) take their
/// `1 + ln c` from a table instead of a logarithm: one entry per f32 whose
/// low 16 bits are zero, from 1.0 up to 255.0 (the last of the `TF_TABLE`
/// entries; they cover every integer below 256).
const TF_TABLE: usize = 1024;
/// `1.0f32.to_bits() >> 16`: the table's first key.
const TF_BASE: u32 = 0x3F80;

/// The table of [`tf_lookup`]: `sublinear_tf` of the f32 with bits
/// `(TF_BASE + i) << 16`.
fn tf_table() -> Vec<f32> {
    (0..TF_TABLE as u32)
        .map(|i| features::sublinear_tf(f32::from_bits((TF_BASE + i) << 16)))
        .collect()
}

/// `sublinear_tf(c)`, from `tf` ([`tf_table`]) when the bits of `c` are a
/// key of the table.
///
/// Why the bits: a count is a sum of small integers, so its f32 has its low
/// mantissa bits clear and the high half of its bits indexes the table
/// directly: a mask, a shift and a bounds check (~8 instructions for
/// ~1,450 counts per Arabic article), where testing "is an integer below
/// 256" took a saturating float-to-int conversion and back (~25, later
/// ~18). A table entry is `sublinear_tf` of the very same f32, so the
/// result is the same for every `c`; ±0 keep the former `+0.0` (test
/// `tf_lookup_equals_sublinear_tf`).
#[inline(always)]
fn tf_lookup(tf: &[f32], c: f32) -> f32 {
    if c == 0.0 {
        return 0.0;
    }
    let b = c.to_bits();
    if b & 0xFFFF == 0 {
        if let Some(&v) = tf.get((b >> 16).wrapping_sub(TF_BASE) as usize) {
            return v;
        }
    }
    features::sublinear_tf(c)
}

/// Number units by digit count (`features::number_key` caps it at 8).
const NUM_KINDS: usize = 9;

/// No previous word (sentence start, or after a number or punctuation).
const NO_WORD: u32 = u32::MAX;

/// Smallest index size (slots); an index is kept at load ≤ 1/2.
const MIN_SLOTS: usize = 1024;
/// An index grown past this by a monster document is given back on reset.
const MAX_KEPT_SLOTS: usize = 1 << 16;

/// Slot hash of a bigram pair (indices are small integers: mix them).
/// The high half of the product: its low bits only see the low half of the
/// pair (the current word), so `>> 20` put every bigram ending in the same
/// word on one probe run (1.5 probes per bigram on the bench article).
#[inline(always)]
fn pair_hash(pair: u64) -> u64 {
    pair.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32
}

/// Reusable inference scratch. [`QuantModel::logits`] merges token
/// occurrences here: words in one flat open-addressing table keyed by the
/// raw norm hash, bigrams in a second one keyed by the pair of word entries
/// (no per-occurrence bigram hash), numbers in a 9-slot array; both tables
/// hold their key and count in the slot, and a list of used slots in
/// first-occurrence order (the scoring order, so the sums do not depend on
/// the table size). Nothing is allocated per call once the buffers have
/// grown to the largest document seen.
pub struct Scratch {
    wslots: Vec<WordSlot>,
    words: Vec<WordEnt>,
    pslots: Vec<PairSlot>,
    /// Used pair slots in first-occurrence order.
    pairs: Vec<u32>,
    /// Count per digit count, and the digit counts in first-occurrence order.
    nums: [f32; NUM_KINDS],
    num_order: [u8; NUM_KINDS],
    n_nums: usize,
    ngram: NgramScratch,
    feats: Vec<(u32, f32)>,
    /// Per distinct bigram, in first-occurrence order: its idf and bucket
    /// row, read ahead of scoring (see [`QuantModel::logits`]).
    bigrams: Vec<(f32, Option<QRow>)>,
    /// See [`tf_lookup`].
    tf: Vec<f32>,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            wslots: vec![WordSlot::default(); MIN_SLOTS],
            words: Vec::with_capacity(512),
            pslots: vec![PairSlot::default(); MIN_SLOTS],
            pairs: Vec::with_capacity(512),
            nums: [0.0; NUM_KINDS],
            num_order: [0; NUM_KINDS],
            n_nums: 0,
            ngram: NgramScratch::default(),
            feats: Vec::new(),
            bigrams: Vec::new(),
            tf: tf_table(),
        }
    }
}

/// Empty `v`, and free it when a huge document made it outgrow what a
/// news article needs ([`MAX_KEPT_SLOTS`] entries).
fn clear_or_drop<T>(v: &mut Vec<T>) {
    if v.capacity() > MAX_KEPT_SLOTS {
        *v = Vec::new();
    } else {
        v.clear();
    }
}

impl Scratch {
    /// Forget the previous document: clear the used slots (or give back
    /// what a monster document made the indices grow to).
    fn reset(&mut self) {
        if self.wslots.len() > MAX_KEPT_SLOTS {
            self.wslots = vec![WordSlot::default(); MIN_SLOTS];
        } else {
            for e in &self.words {
                if let Some(s) = self.wslots.get_mut(e.slot as usize) {
                    *s = WordSlot::default();
                }
            }
        }
        if self.pslots.len() > MAX_KEPT_SLOTS {
            self.pslots = vec![PairSlot::default(); MIN_SLOTS];
        } else {
            for &p in &self.pairs {
                if let Some(s) = self.pslots.get_mut(p as usize) {
                    *s = PairSlot::default();
                }
            }
        }
        // The per-entry vectors are given back after a monster document
        // too, like the indices above: a worker keeps its scratch for its
        // whole life, and one hostile 1 MiB text would otherwise pin
        // ~14 MB of bigram rows in that thread for good.
        clear_or_drop(&mut self.words);
        clear_or_drop(&mut self.pairs);
        clear_or_drop(&mut self.feats);
        clear_or_drop(&mut self.bigrams);
        self.nums = [0.0; NUM_KINDS];
        self.n_nums = 0;
    }

    /// Double the word index, re-placing the entries in entry order.
    #[cold]
    fn grow_words(&mut self) {
        let cap = (self.wslots.len() * 2).max(MIN_SLOTS);
        let old = std::mem::replace(&mut self.wslots, vec![WordSlot::default(); cap]);
        let m = cap - 1;
        for e in self.words.iter_mut() {
            let Some(&ws) = old.get(e.slot as usize) else {
                continue;
            };
            let mut s = (ws.raw as usize) & m;
            while let Some(x) = self.wslots.get_mut(s) {
                if x.ent == 0 {
                    *x = ws;
                    e.slot = s as u32;
                    break;
                }
                s = (s + 1) & m;
            }
        }
    }

    /// Double the pair index, re-placing the pairs in first-occurrence order.
    #[cold]
    fn grow_pairs(&mut self) {
        let cap = (self.pslots.len() * 2).max(MIN_SLOTS);
        let old = std::mem::replace(&mut self.pslots, vec![PairSlot::default(); cap]);
        let m = cap - 1;
        for p in self.pairs.iter_mut() {
            let Some(&ps) = old.get(*p as usize) else {
                continue;
            };
            let mut s = (pair_hash(ps.pair) as usize) & m;
            while let Some(x) = self.pslots.get_mut(s) {
                if x.used == 0 {
                    *x = ps;
                    *p = s as u32;
                    break;
                }
                s = (s + 1) & m;
            }
        }
    }

    /// Add one occurrence of the word with raw norm hash `raw`; returns its
    /// entry index (first-occurrence order: deterministic, no sort).
    #[inline(always)]
    fn add_word(&mut self, raw: u64, count: f32, tok: u32, title: bool) -> u32 {
        if self.words.len() * 2 >= self.wslots.len() {
            self.grow_words();
        }
        let m = self.wslots.len().wrapping_sub(1);
        let mut s = (raw as usize) & m;
        while let Some(slot) = self.wslots.get_mut(s) {
            if slot.ent == 0 {
                let n = self.words.len() as u32;
                *slot = WordSlot {
                    raw,
                    count,
                    ent: n + 1,
                };
                self.words.push(WordEnt {
                    h: features::mix64(raw),
                    tok,
                    slot: s as u32,
                    title,
                });
                return n;
            }
            if slot.raw == raw {
                slot.count += count;
                return slot.ent - 1;
            }
            s = (s + 1) & m;
        }
        NO_WORD
    }

    /// Add one occurrence of the bigram of word entries `pair`.
    #[inline(always)]
    fn add_pair(&mut self, pair: u64, count: f32) {
        if self.pairs.len() * 2 >= self.pslots.len() {
            self.grow_pairs();
        }
        let m = self.pslots.len().wrapping_sub(1);
        let mut s = (pair_hash(pair) as usize) & m;
        while let Some(slot) = self.pslots.get_mut(s) {
            if slot.used == 0 {
                *slot = PairSlot {
                    pair,
                    count,
                    used: 1,
                };
                self.pairs.push(s as u32);
                return;
            }
            if slot.pair == pair {
                slot.count += count;
                return;
            }
            s = (s + 1) & m;
        }
    }

    /// Add one occurrence of a number with `digits` digits.
    #[inline(always)]
    fn add_number(&mut self, digits: usize, count: f32) {
        let d = digits.min(NUM_KINDS - 1);
        if let Some(n) = self.nums.get_mut(d) {
            if *n == 0.0 {
                if let Some(o) = self.num_order.get_mut(self.n_nums) {
                    *o = d as u8;
                    self.n_nums += 1;
                }
            }
            *n += count;
        }
    }

    /// Merge the unit occurrences of `doc` (same units and counts as
    /// [`features::for_each_occurrence`], which training uses).
    fn collect(&mut self, doc: &Document<'_>, cfg: &FeatureConfig, title: bool) {
        // Byte ranges, not `doc.norm()`: the text pipeline builds the ranges
        // on char boundaries, and the hash reads bytes, so the `str` boundary
        // checks (a tenth of the time) are skipped.
        let nb = doc.norm_buf.as_bytes();
        let all_roles = features::use_all_roles(doc);
        for s in &doc.sentences {
            if !all_roles && !features::role_used(s.role) {
                continue;
            }
            let c = if title || s.role == Role::Title {
                cfg.title_weight
            } else {
                1.0
            };
            let mut prev = NO_WORD;
            let first = s.tokens.start;
            for (i, t) in doc.sentence_tokens(s).iter().enumerate() {
                match t.kind {
                    TokenKind::Word => {
                        let norm = nb
                            .get(t.norm.start as usize..t.norm.end as usize)
                            .unwrap_or(&[]);
                        if norm.is_empty() {
                            prev = NO_WORD;
                            continue;
                        }
                        let raw = features::norm_hash_raw(norm);
                        let tok = u32::try_from(first + i).unwrap_or(u32::MAX);
                        let w = self.add_word(raw, c, tok, title);
                        if prev != NO_WORD && w != NO_WORD {
                            self.add_pair((u64::from(prev) << 32) | u64::from(w), c);
                        }
                        prev = w;
                    }
                    TokenKind::Number => {
                        self.add_number(features::digit_count(doc.norm(t)), c);
                        prev = NO_WORD;
                    }
                    TokenKind::Punct | TokenKind::Symbol => prev = NO_WORD,
                }
            }
        }
    }
}

/// Raw scores of one document: logits before bias/temperature, and how many
/// distinct word units the model knew.
#[derive(Debug, Clone, Copy)]
pub struct RawScores {
    pub acc: [f32; MAX_COLS],
    pub known_words: usize,
    pub words: usize,
}

impl QuantModel {
    pub fn head(&self, lang: Lang) -> Option<&Head> {
        self.heads.iter().find(|h| h.lang == lang)
    }

    /// Score merged units against a table (the reference path over
    /// [`Unit`]s; inference uses the flat scratch of [`Self::logits`], and a
    /// test checks that both agree).
    pub fn score_units(
        &self,
        t: &Table,
        units: &[Unit<'_>],
        ngram: &mut NgramScratch,
        feats: &mut Vec<(u32, f32)>,
    ) -> RawScores {
        let cfg = &self.cfg;
        let mask = t.rows.len().wrapping_sub(1);
        let mut acc = [0.0f32; MAX_COLS];
        let mut sum_sq = 0.0f32;
        let mut known = 0usize;
        let mut words = 0usize;
        for u in units {
            match u.kind {
                UnitKind::Word {
                    norm,
                    h_norm,
                    h_stem,
                    ..
                } => {
                    words += 1;
                    if let Some(e) = t.find_word(u.key) {
                        known += 1;
                        let w = u.weight_with_idf(cfg, e.idf);
                        sum_sq += w * w;
                        axpy::<MAX_COLS>(&mut acc, &e.row, w);
                    } else {
                        let w = u.weight(cfg, &self.idf);
                        sum_sq += w * w;
                        feats.clear();
                        features::expand_word(norm, h_norm, h_stem, cfg, ngram, feats);
                        for &(b, v) in feats.iter() {
                            if let Some(r) = t.rows.get(b as usize & mask) {
                                axpy::<MAX_COLS>(&mut acc, r, w * v);
                            }
                        }
                    }
                }
                UnitKind::Bigram | UnitKind::Number => {
                    let w = u.weight(cfg, &self.idf);
                    sum_sq += w * w;
                    feats.clear();
                    features::expand_unit(u, cfg, ngram, feats);
                    for &(b, v) in feats.iter() {
                        if let Some(r) = t.rows.get(b as usize & mask) {
                            axpy::<MAX_COLS>(&mut acc, r, w * v);
                        }
                    }
                }
            }
        }
        let z = features::doc_scale(sum_sq, cfg);
        for a in acc.iter_mut() {
            *a *= z;
        }
        RawScores {
            acc,
            known_words: known,
            words,
        }
    }

    /// Score the merged entries of `scratch` (the fast path), over the
    /// table's first `N` columns (see [`axpy`]).
    fn score_scratch<const N: usize>(
        &self,
        t: &Table,
        doc: &Document<'_>,
        title_doc: Option<&Document<'_>>,
        scratch: &mut Scratch,
    ) -> RawScores {
        let cfg = &self.cfg;
        let mask = t.rows.len().wrapping_sub(1);
        let umask = cfg.mask();
        let mut acc = [0.0f32; MAX_COLS];
        let mut sum_sq = 0.0f32;
        let mut known = 0usize;
        let mut words = 0usize;
        let Scratch {
            wslots,
            words: went,
            pslots,
            pairs,
            nums,
            num_order,
            n_nums,
            ngram,
            feats,
            tf,
            bigrams,
        } = scratch;
        let tf: &[f32] = tf;
        let tf_of = |c: f32| -> f32 { tf_lookup(tf, c) };
        // The bigrams' idf bytes and bucket rows are random reads over
        // 6 MB (one idf byte in 1 MB, one row in 5 MB per bigram: cache
        // misses). Read in the scoring loop, among the word lookups and the
        // row sums, few of them were in flight at once; gathered first in
        // a loop with nothing else to do, the processor overlaps them, and
        // the word loop below runs while the last ones arrive. The sums are
        // unchanged: same values, same order (words, bigrams, numbers).
        // Paired timing of this function on the Arabic sample, with 4 MB /
        // 48 MB written between calls to evict the caches: -2 to -10 % /
        // -8 to -11 %; +5 to +9 % when everything is in cache (which the
        // rest of the pipeline never leaves it).
        bigrams.clear();
        for p in pairs.iter().filter_map(|&s| pslots.get(s as usize)) {
            let h = |i: u64| went.get(i as usize).map_or(0, |e| e.h);
            let key = features::bigram_key(h(p.pair >> 32), h(p.pair & 0xffff_ffff));
            let b = features::unit_bucket(key, umask) as usize;
            bigrams.push((
                features::idf_of(key, &self.idf),
                t.rows.get(b & mask).copied(),
            ));
        }
        for e in went.iter() {
            let d = if e.title {
                title_doc.unwrap_or(doc)
            } else {
                doc
            };
            let Some(tok) = d.tokens.get(e.tok as usize) else {
                continue;
            };
            words += 1;
            let nb = d.norm_buf.as_bytes();
            let norm = nb
                .get(tok.norm.start as usize..tok.norm.end as usize)
                .unwrap_or(&[]);
            let stem = nb
                .get(tok.stem.start as usize..tok.stem.end as usize)
                .unwrap_or(&[]);
            let stem = if stem.is_empty() { norm } else { stem };
            let h_stem = features::hash_bytes(features::SEED_STEM, stem);
            let key = features::word_key(e.h, h_stem);
            let count = wslots.get(e.slot as usize).map_or(0.0, |s| s.count);
            let tfw = tf_of(count);
            if let Some(we) = t.find_word(key) {
                known += 1;
                let w = tfw * we.idf;
                sum_sq += w * w;
                axpy::<N>(&mut acc, &we.row, w);
            } else {
                let w = tfw * features::idf_of(key, &self.idf);
                sum_sq += w * w;
                feats.clear();
                features::expand_word(d.norm(tok), e.h, h_stem, cfg, ngram, feats);
                for &(b, v) in feats.iter() {
                    if let Some(r) = t.rows.get(b as usize & mask) {
                        axpy::<N>(&mut acc, r, w * v);
                    }
                }
            }
        }
        for (p, &(idf, row)) in pairs
            .iter()
            .filter_map(|&s| pslots.get(s as usize))
            .zip(bigrams.iter())
        {
            let w = tf_of(p.count) * idf * cfg.bigram_weight;
            sum_sq += w * w;
            if let Some(r) = &row {
                axpy::<N>(&mut acc, r, w);
            }
        }
        let mut unit = |key: u64, count: f32, weight: f32| {
            let w = tf_of(count) * features::idf_of(key, &self.idf) * weight;
            sum_sq += w * w;
            let b = features::unit_bucket(key, umask) as usize;
            if let Some(r) = t.rows.get(b & mask) {
                axpy::<N>(&mut acc, r, w);
            }
        };
        for &d in num_order.iter().take(*n_nums) {
            let count = nums.get(d as usize).copied().unwrap_or(0.0);
            unit(features::number_key_of_digits(d as usize), count, 1.0);
        }
        let z = features::doc_scale(sum_sq, cfg);
        for a in acc.iter_mut() {
            *a *= z;
        }
        RawScores {
            acc,
            known_words: known,
            words,
        }
    }
    /// Logits (bias added, not temperature-scaled) over the head's table
    /// columns for a document; `None` when the language has no head or the
    /// document has no usable word.
    pub fn logits(
        &self,
        doc: &Document<'_>,
        title_doc: Option<&Document<'_>>,
        scratch: &mut Scratch,
    ) -> Option<(usize, [f32; MAX_COLS], RawScores)> {
        let hi = self.heads.iter().position(|h| h.lang == doc.lang)?;
        let head = self.heads.get(hi)?;
        let table = self.tables.get(head.table)?;
        scratch.reset();
        scratch.collect(doc, &self.cfg, false);
        if let Some(td) = title_doc {
            scratch.collect(td, &self.cfg, true);
        }
        // Tables of at most 8 labels (en, fr) score 8 columns, not 16.
        let raw = if table.cols.len() <= 8 {
            self.score_scratch::<8>(table, doc, title_doc, scratch)
        } else {
            self.score_scratch::<MAX_COLS>(table, doc, title_doc, scratch)
        };
        if raw.words == 0 {
            return None;
        }
        let mut l = raw.acc;
        for (j, v) in l.iter_mut().enumerate() {
            *v += head.bias.get(j).copied().unwrap_or(0.0);
        }
        if raw.words < SHORT_WORDS {
            for (v, b) in l.iter_mut().zip(&head.short_bias) {
                *v += b;
            }
        }
        Some((hi, l, raw))
    }
    /// Softmax over the allowed columns at temperature `t`, sorted desc.
    pub fn probs(&self, head: &Head, logits: &[f32; MAX_COLS], t: f32) -> Vec<(TopicLabel, f32)> {
        let table = match self.tables.get(head.table) {
            Some(t) => t,
            None => return Vec::new(),
        };
        let t = if t.is_finite() && t > 0.0 { t } else { 1.0 };
        let mut out: Vec<(TopicLabel, f32)> = Vec::with_capacity(table.cols.len());
        let mut mx = f32::NEG_INFINITY;
        for (j, &lab) in table.cols.iter().enumerate() {
            if head.allowed.get(j).copied().unwrap_or(false) {
                let v = logits.get(j).copied().unwrap_or(0.0) / t;
                mx = mx.max(v);
                out.push((lab, v));
            }
        }
        let mut sum = 0.0f32;
        for p in out.iter_mut() {
            p.1 = (p.1 - mx).exp();
            sum += p.1;
        }
        if sum > 0.0 && sum.is_finite() {
            for p in out.iter_mut() {
                p.1 /= sum;
            }
        }
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = ByteWriter::default();
        w.str(&self.version);
        let c = &self.cfg;
        w.u32(c.bucket_bits);
        w.f32(c.title_weight);
        w.f32(c.char_weight);
        w.f32(c.stem_weight);
        w.f32(c.bigram_weight);
        w.f32(c.len_smoothing);
        w.u8(c.char_min);
        w.u8(c.char_max);
        w.u32(self.tables.len() as u32);
        for t in &self.tables {
            let n = t.cols.len();
            let cols: Vec<u8> = t.cols.iter().map(|l| label_index(*l)).collect();
            w.bytes(&cols);
            w.u32(t.bucket_bits);
            // Rows stored `ncols` wide (not padded) to keep the file small.
            let mut q = Vec::with_capacity(t.rows.len() * n);
            for r in t.rows.iter() {
                q.extend(r.q.iter().take(n).map(|&v| v as u8));
            }
            w.bytes(&q);
            w.f32s(&t.rows.iter().map(|r| r.scale).collect::<Vec<_>>());
            // Already in ascending key order (the ordered table), which is
            // the order the loader requires.
            let ws: Vec<&WordEntry> = t.words.iter().filter(|e| e.key != 0).collect();
            w.u64(ws.len() as u64);
            for e in &ws {
                w.u64(e.key);
            }
            let mut q = Vec::with_capacity(ws.len() * n);
            for e in &ws {
                q.extend(e.row.q.iter().take(n).map(|&v| v as u8));
            }
            w.bytes(&q);
            w.f32s(&ws.iter().map(|e| e.row.scale).collect::<Vec<_>>());
        }
        let v3 = self.heads.iter().any(|h| !h.short_bias.is_empty());
        w.u32(self.heads.len() as u32);
        for h in &self.heads {
            w.str(h.lang.code());
            w.u32(h.table as u32);
            w.bytes(&h.allowed.iter().map(|&a| a as u8).collect::<Vec<u8>>());
            w.f32s(&h.bias);
            w.f32(h.temperature);
            if v3 {
                w.f32s(&h.short_bias);
            }
        }
        w.bytes(&self.idf);
        w.str(&self.info);
        // Without per-kind biases the file stays format 2 (byte-identical
        // to what older code wrote for the same weights).
        let version = if v3 {
            FORMAT_VERSION
        } else {
            FORMAT_VERSION_V2
        };
        crate::model_file::encode(KIND, version, &w.buf)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<QuantModel, ModelError> {
        // Format 3, or else format 2; a file that claims format 2 reports
        // format 2's error (checksum, truncation), not "wrong version".
        let (payload, v2) = match crate::model_file::decode(bytes, KIND, FORMAT_VERSION) {
            Ok(p) => (p, false),
            Err(ModelError::WrongVersion {
                found: FORMAT_VERSION_V2,
                ..
            }) => (
                crate::model_file::decode(bytes, KIND, FORMAT_VERSION_V2)?,
                true,
            ),
            Err(e) => return Err(e),
        };
        let bad = |m: &str| ModelError::Malformed(m.to_string());
        let mut r = ByteReader::new(payload);
        let version = r.str()?.to_string();
        let cfg = FeatureConfig {
            bucket_bits: r.u32()?,
            title_weight: r.f32()?,
            char_weight: r.f32()?,
            stem_weight: r.f32()?,
            bigram_weight: r.f32()?,
            len_smoothing: r.f32()?,
            char_min: r.u8()?,
            char_max: r.u8()?,
        };
        if cfg.bucket_bits == 0 || cfg.bucket_bits > 26 {
            return Err(bad("bucket_bits out of range"));
        }
        let ntables = r.u32()? as usize;
        if ntables == 0 || ntables > 8 {
            return Err(bad("table count out of range"));
        }
        let mut raw_tables = Vec::with_capacity(ntables);
        for _ in 0..ntables {
            let cols = r
                .bytes()?
                .iter()
                .map(|&i| {
                    TopicLabel::ALL
                        .get(i as usize)
                        .copied()
                        .ok_or_else(|| bad("unknown label index"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let n = cols.len();
            if n == 0 || n > MAX_COLS {
                return Err(bad("bad table width"));
            }
            let bucket_bits = r.u32()?;
            if bucket_bits != cfg.bucket_bits {
                return Err(bad("table bucket_bits differs from the feature config"));
            }
            let nb = 1usize << bucket_bits;
            let bq = r.bytes()?;
            let bs = r.f32s()?;
            if bq.len() != nb * n || bs.len() != nb {
                return Err(bad("bucket matrix has the wrong size"));
            }
            let nw = r.len(8)?;
            let mut keys = Vec::with_capacity(nw);
            for _ in 0..nw {
                keys.push(r.u64()?);
            }
            let wq = r.bytes()?;
            let wsc = r.f32s()?;
            if wq.len() != nw * n || wsc.len() != nw {
                return Err(bad("word table has the wrong size"));
            }
            if bs.iter().chain(&wsc).any(|v| !v.is_finite()) {
                return Err(bad("non-finite scale"));
            }
            // Rows and words are built after the idf table (stored after
            // the heads) is read: the word entries cache their idf.
            raw_tables.push((cols, bucket_bits, bq, bs, keys, wq, wsc));
        }
        let nheads = r.u32()? as usize;
        if nheads > 8 {
            return Err(bad("head count out of range"));
        }
        let mut heads = Vec::with_capacity(nheads);
        for _ in 0..nheads {
            let lang = Lang::from_hint(r.str()?).ok_or_else(|| bad("unknown head language"))?;
            let table = r.u32()? as usize;
            let tab = raw_tables
                .get(table)
                .map(|t| &t.0)
                .ok_or_else(|| bad("head refers to a missing table"))?;
            let allowed: Vec<bool> = r.bytes()?.iter().map(|&b| b != 0).collect();
            let bias = r.f32s()?;
            let temperature = r.f32()?;
            let short_bias = if v2 { Vec::new() } else { r.f32s()? };
            if allowed.len() != tab.len()
                || bias.len() != tab.len()
                || !(short_bias.is_empty() || short_bias.len() == tab.len())
            {
                return Err(bad("head size does not match its table"));
            }
            if !(temperature.is_finite() && temperature > 0.0)
                || bias.iter().chain(&short_bias).any(|b| !b.is_finite())
            {
                return Err(bad("non-finite head parameters"));
            }
            heads.push(Head {
                lang,
                table,
                allowed,
                bias,
                temperature,
                short_bias,
            });
        }
        let idf = r.bytes()?.to_vec();
        if !(idf.is_empty() || idf.len().is_power_of_two()) {
            return Err(bad("idf table size is not a power of two"));
        }
        let info = r.str()?.to_string();
        if !r.is_empty() {
            return Err(bad("trailing bytes after the model"));
        }
        let row = |q: &[u8], scale: f32| {
            let mut r = QRow {
                scale,
                q: [0; MAX_COLS],
            };
            for (d, &s) in r.q.iter_mut().zip(q) {
                *d = s as i8;
            }
            r
        };
        let mut tables = Vec::with_capacity(raw_tables.len());
        for (cols, bucket_bits, bq, bs, keys, wq, wsc) in raw_tables {
            let n = cols.len();
            // Written in place (see `build_words`: no heap copy).
            let mut rows = HugeSlice::<QRow>::zeroed(bs.len());
            for (d, (q, &s)) in rows.iter_mut().zip(bq.chunks_exact(n).zip(&bs)) {
                *d = row(q, s);
            }
            let entries = keys
                .iter()
                .zip(wq.chunks_exact(n).zip(&wsc))
                .map(|(&k, (q, &s))| (k, row(q, s)));
            let (words, words_home, n_words) = build_words(keys.len(), entries, &idf)
                .map_err(|m| bad(&format!("word table: {m}")))?;
            tables.push(Table {
                cols,
                bucket_bits,
                rows,
                words,
                words_home,
                n_words,
            });
        }
        Ok(QuantModel {
            version,
            cfg,
            tables,
            heads,
            idf,
            info,
        })
    }
}

/// Stable on-disk index of a label (its position in [`TopicLabel::ALL`]).
pub fn label_index(l: TopicLabel) -> u8 {
    TopicLabel::ALL.iter().position(|&x| x == l).unwrap_or(0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `tf_lookup` is the closure of cd7a76a (`c as usize`, then the
    /// 256-entry integer table when `i as f32 == c`) for every count,
    /// including the ones no document produces (negative, NaN, infinite,
    /// fractional, huge, ±0), and for 2 million random bit patterns.
    #[test]
    fn tf_lookup_equals_sublinear_tf() {
        let tf = tf_table();
        let old: Vec<f32> = (0..256).map(|i| features::sublinear_tf(i as f32)).collect();
        let former = |c: f32| -> f32 {
            let i = c as usize;
            if i as f32 == c {
                if let Some(&v) = old.get(i) {
                    return v;
                }
            }
            features::sublinear_tf(c)
        };
        let mut vals = vec![
            f32::NAN,
            -f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::MAX,
            f32::MIN,
            f32::MIN_POSITIVE,
            f32::EPSILON,
            1e-45,
            -0.0,
            0.0,
            4294967296.0,
            1e30,
        ];
        for i in 0..1100u32 {
            let x = i as f32;
            vals.extend([x, -x, x + 0.25, x + 0.5, x * 1.5, x * 3.0]);
            vals.extend([
                f32::from_bits(x.to_bits() + 1),
                f32::from_bits(x.to_bits().saturating_sub(1)),
            ]);
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2_000_000 {
            seed = features::mix64(seed);
            vals.push(f32::from_bits(seed as u32));
            // (half of them with the low 16 bits clear: table candidates)
            vals.push(f32::from_bits((seed >> 32) as u32 & 0xFFFF_0000));
        }
        let mut table_hits = 0;
        for &c in &vals {
            let (a, b) = (tf_lookup(&tf, c), former(c));
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{c:?}: {a:?} vs {b:?}"
            );
            let k = (c.to_bits() >> 16).wrapping_sub(TF_BASE) as usize;
            if c != 0.0 && c.to_bits() & 0xFFFF == 0 && k < TF_TABLE {
                table_hits += 1;
            }
        }
        assert!(table_hits > 5_000, "{table_hits}");
        // Every integer count below 256 is a key.
        for i in 1..256u32 {
            assert_eq!((i as f32).to_bits() & 0xFFFF, 0);
        }
    }

    fn table_with(keys: &[u64]) -> Result<Table, &'static str> {
        let row = |k: u64| QRow {
            scale: (k % 97) as f32,
            q: [1; MAX_COLS],
        };
        let (words, words_home, n_words) =
            build_words(keys.len(), keys.iter().map(|&k| (k, row(k))), &[])?;
        Ok(Table {
            cols: vec![TopicLabel::Politics],
            bucket_bits: 10,
            rows: HugeSlice::default(),
            words,
            words_home,
            n_words,
        })
    }

    #[test]
    fn ordered_word_table_finds_exactly_its_keys() {
        // Spread keys, a cluster sharing one home slot (a long probe run),
        // and keys whose home is the last slot (the run spills past the
        // home range instead of wrapping).
        let mut keys: Vec<u64> = (1..400u64)
            .map(|i| features::mix64(i) | 1)
            .chain((0..20u64).map(|i| (7u64 << 40) | (2 * i + 1)))
            .chain((0..20u64).map(|i| u64::MAX - 2 * i))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let t = table_with(&keys).expect("sorted keys build");
        assert_eq!(t.n_words(), keys.len());
        assert!(t.words.len() > t.words_home, "the top run spilled over");
        for &k in &keys {
            let e = t.find_word(k).expect("present key found");
            assert_eq!(e.key, k);
            assert_eq!(e.row.scale, (k % 97) as f32);
        }
        // Absent keys: between cluster members, past the top, random.
        for k in (0..20u64)
            .map(|i| (7u64 << 40) | (2 * i + 2))
            .chain([u64::MAX - 1, u64::MAX - 3, 2])
            .chain((1000..1400u64).map(|i| features::mix64(i) | 1))
        {
            if keys.binary_search(&k).is_err() {
                assert!(t.find_word(k).is_none(), "{k:x}");
            }
        }
    }

    #[test]
    fn reset_gives_back_what_a_monster_document_grew() {
        let mut sc = Scratch::default();
        let n = MAX_KEPT_SLOTS + 1;
        sc.bigrams.resize(n, (0.0, None));
        sc.feats.resize(n, (0, 0.0));
        sc.pairs.resize(n, 0);
        sc.reset();
        assert!(sc.bigrams.capacity() <= MAX_KEPT_SLOTS);
        assert!(sc.feats.capacity() <= MAX_KEPT_SLOTS);
        assert!(sc.pairs.capacity() <= MAX_KEPT_SLOTS);
        // An article-sized document keeps its buffers (no reallocation).
        sc.bigrams.resize(1000, (0.0, None));
        let cap = sc.bigrams.capacity();
        sc.reset();
        assert!(sc.bigrams.is_empty());
        assert_eq!(sc.bigrams.capacity(), cap);
    }

    #[test]
    fn word_table_rejects_unordered_zero_or_miscounted_keys() {
        assert!(table_with(&[5, 3]).is_err());
        assert!(table_with(&[3, 3]).is_err());
        assert!(table_with(&[0, 3]).is_err());
        let row = QRow::default();
        assert!(build_words(3, [(1u64, row), (2, row)].into_iter(), &[]).is_err());
    }

    #[test]
    fn unordered_word_keys_in_a_file_are_a_malformed_error() {
        // A payload whose word keys are out of order (with a valid
        // checksum): what the ordered table cannot index must be refused.
        let mut q = QuantModel {
            version: "t".into(),
            cfg: FeatureConfig {
                bucket_bits: 10,
                ..FeatureConfig::default()
            },
            tables: vec![table_with(&[11, 13]).expect("builds")],
            heads: Vec::new(),
            idf: Vec::new(),
            info: String::new(),
        };
        q.tables[0].rows = HugeSlice::from_slice(&vec![QRow::default(); 1 << 10]);
        let ok = q.to_bytes();
        assert!(QuantModel::from_bytes(&ok).is_ok());
        let payload = crate::model_file::decode(&ok, KIND, FORMAT_VERSION_V2)
            .expect("v2")
            .to_vec();
        let (a, b) = (11u64.to_le_bytes(), 13u64.to_le_bytes());
        let i = payload
            .windows(16)
            .position(|w| w[..8] == a && w[8..] == b)
            .expect("keys in the payload");
        let mut bad = payload.clone();
        bad[i..i + 8].copy_from_slice(&b);
        bad[i + 8..i + 16].copy_from_slice(&a);
        let file = crate::model_file::encode(KIND, FORMAT_VERSION_V2, &bad);
        let e = QuantModel::from_bytes(&file).unwrap_err();
        assert!(
            matches!(e, ModelError::Malformed(ref m) if m.contains("word")),
            "{e}"
        );
    }
}
