//! The per-language tagger as shipped: a quantised linear model over hashed
//! features plus a BIO transition matrix, decoded with constrained Viterbi.

use super::fast::{ClcPairs, Word, WordTable};
use super::features::{sentence_features, FeatBuf, TokView};
use super::gazetteer::{Gazetteer, Triggers};
use crate::huge::HugeSlice;
use crate::model_file::{ByteReader, ByteWriter, ModelError};
use crate::text::Lang;
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// BIO tags: 0 = O, then B/I pairs for PER, LOC, ORG, MISC.
pub const NTAGS: usize = 9;
pub const TAG_NAMES: [&str; NTAGS] = [
    "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC",
];
/// Row of the transition matrix used for the sentence start.
pub const START: usize = NTAGS;

pub fn tag_from_str(s: &str) -> Option<u8> {
    let s = match s {
        "B-PERS" => "B-PER",
        "I-PERS" => "I-PER",
        x => x,
    };
    TAG_NAMES.iter().position(|t| *t == s).map(|i| i as u8)
}

/// Is `cur` a legal successor of `prev` in BIO2 (an I-X only continues X)?
#[inline]
pub fn allowed(prev: usize, cur: usize) -> bool {
    if cur == 0 || cur % 2 == 1 {
        return true;
    }
    prev < NTAGS && prev != 0 && prev.div_ceil(2) == cur / 2
}

/// Reusable per-thread scratch for tagging.
///
/// It also holds the fast path's per-document cache (`fast.rs`): per
/// distinct token string, its features and partial emission sums. The
/// cache only saves work, the tags never depend on it; call
/// [`Scratch::new_document`] between documents so that memory stays
/// bounded by one document and a benchmark measures the work of tagging,
/// not a warm cache.
#[derive(Default)]
pub struct Scratch {
    pub feats: FeatBuf,
    pub(super) emis: Vec<[f32; NTAGS]>,
    /// Per-position score rows of [`viterbi_rows`].
    pub(super) vrows: Vec<[f32; VW]>,
    pub(super) fast: super::fast::DocCache,
}

impl Scratch {
    /// Forget the per-document cache of the fast tagging path.
    pub fn new_document(&mut self) {
        self.fast.clear();
    }
}

/// The transition matrix with forbidden (prev, cur) pairs set to -inf and
/// rows padded to [`VW`] lanes with -inf, shared by both decoders: one
/// masking rule, so `viterbi` (training) and `viterbi_rows` (inference)
/// cannot drift apart.
fn masked_transitions(trans: &[[f32; NTAGS]; NTAGS + 1]) -> [[f32; VW]; NTAGS + 1] {
    let mut tm = [[f32::NEG_INFINITY; VW]; NTAGS + 1];
    for ((p, row), src) in tm.iter_mut().enumerate().zip(trans) {
        for ((c, x), &w) in row.iter_mut().enumerate().zip(src) {
            if allowed(p, c) {
                *x = w;
            }
        }
    }
    tm
}

/// Constrained first-order Viterbi over emission scores and a
/// `(NTAGS+1) × NTAGS` transition matrix (last row = start).
pub fn viterbi(
    emis: &[[f32; NTAGS]],
    trans: &[[f32; NTAGS]; NTAGS + 1],
    back: &mut Vec<[u8; NTAGS]>,
    out: &mut Vec<u8>,
) {
    out.clear();
    let n = emis.len();
    if n == 0 {
        return;
    }
    back.clear();
    back.resize(n, [0; NTAGS]);
    // Forbidden transitions become -inf once, instead of a branch per
    // (prev, cur) pair in the inner loop; the arithmetic of the allowed
    // pairs is unchanged, so the decoded tags are identical.
    let tm = masked_transitions(trans);
    let mut score = [f32::NEG_INFINITY; NTAGS];
    for (t, s) in score.iter_mut().enumerate() {
        if allowed(START, t) {
            *s = tm[START][t] + emis[0][t];
        }
    }
    for (e, bk) in emis.iter().zip(back.iter_mut()).skip(1) {
        let mut next = [f32::NEG_INFINITY; NTAGS];
        for (cur, nx) in next.iter_mut().enumerate() {
            let mut best = f32::NEG_INFINITY;
            let mut arg = 0u8;
            for (prev, ps) in score.iter().enumerate() {
                let v = ps + tm[prev][cur];
                if v > best {
                    best = v;
                    arg = prev as u8;
                }
            }
            *nx = best + e[cur];
            bk[cur] = arg;
        }
        score = next;
    }
    let mut best = 0usize;
    for t in 1..NTAGS {
        if score[t] > score[best] {
            best = t;
        }
    }
    out.resize(n, 0);
    let mut cur = best;
    for i in (0..n).rev() {
        out[i] = cur as u8;
        if i > 0 {
            cur = back[i][cur] as usize;
        }
    }
}

/// Lanes of the padded score rows of [`viterbi_rows`] (NTAGS rounded up to
/// a multiple of 4, so that a row is three whole SIMD vectors).
pub const VW: usize = 12;

/// [`viterbi`] with the same decoded tags, bit for bit, at about 1/2.4 of
/// the instructions (issue 9, callgrind on the Arabic sample article: 590k
/// → 245k per article): the inference path.
///
/// Why identical: the forward pass computes every `score[cur] = max over
/// prev of (score[prev] + trans[prev][cur]) + emis[cur]` with the same f32
/// additions; only the loops are swapped (predecessor outside, all current
/// tags at once inside), which a max over `f32`s does not care about. It
/// keeps no back-pointers: it keeps each position's score row in `rows`,
/// and the backtrace recomputes the one back-pointer it needs per position
/// (from that position's row, with the same sums, scanning the
/// predecessors in ascending order with a strict `>`, so the same
/// tie-break as `viterbi`). Rows are padded to [`VW`] lanes with -inf: a
/// padded lane never wins and is never read as a predecessor, and the
/// fixed width lets the compiler use whole vectors (no scalar remainder).
/// `viterbi_rows_equals_viterbi` checks it on random matrices with ties.
pub fn viterbi_rows(
    emis: &[[f32; NTAGS]],
    trans: &[[f32; NTAGS]; NTAGS + 1],
    rows: &mut Vec<[f32; VW]>,
    out: &mut Vec<u8>,
) {
    out.clear();
    let n = emis.len();
    let Some(e0) = emis.first() else {
        return;
    };
    let tm = masked_transitions(trans);
    let mut score = [f32::NEG_INFINITY; VW];
    for (t, s) in score.iter_mut().enumerate().take(NTAGS) {
        if allowed(START, t) {
            *s = tm[START][t] + e0[t];
        }
    }
    rows.clear();
    rows.push(score);
    for e in emis.iter().skip(1) {
        let mut best = [f32::NEG_INFINITY; VW];
        for (ps, row) in score.iter().zip(tm.iter()).take(NTAGS) {
            for cur in 0..VW {
                let v = ps + row[cur];
                best[cur] = if v > best[cur] { v } else { best[cur] };
            }
        }
        for cur in 0..NTAGS {
            score[cur] = best[cur] + e[cur];
        }
        rows.push(score);
    }
    let mut best = 0usize;
    for t in 1..NTAGS {
        if score[t] > score[best] {
            best = t;
        }
    }
    // Columns of the transition matrix (tmc[cur][prev]) for the backtrace.
    let mut tmc = [[f32::NEG_INFINITY; VW]; NTAGS];
    for (p, row) in tm.iter().enumerate().take(NTAGS) {
        for (c, col) in tmc.iter_mut().enumerate() {
            col[p] = row[c];
        }
    }
    out.resize(n, 0);
    let mut cur = best;
    for i in (0..n).rev() {
        if let Some(o) = out.get_mut(i) {
            *o = cur as u8;
        }
        let (Some(ps), Some(col)) = (i.checked_sub(1).and_then(|j| rows.get(j)), tmc.get(cur))
        else {
            continue;
        };
        let mut v = [0f32; VW];
        for p in 0..VW {
            v[p] = ps[p] + col[p];
        }
        let mut b = f32::NEG_INFINITY;
        let mut arg = 0usize;
        for (prev, x) in v.iter().enumerate().take(NTAGS) {
            if *x > b {
                b = *x;
                arg = prev;
            }
        }
        cur = arg;
    }
}

/// Open-addressing table from a 32-bit feature key to its weight row,
/// stored inline so that a lookup touches one cache line (the tagging
/// speed is bound by these random memory accesses).
#[derive(Debug, Clone, Default)]
pub(super) struct Table {
    /// In huge pages when possible ([`crate::huge`]): a lookup is a random
    /// read into 6–25 MB, and with 4 KiB pages most also miss the TLB.
    slots: HugeSlice<Slot>,
    /// Occupied slots (stored rows).
    len: usize,
    mask: usize,
    /// Home slot = key >> shift: the HIGH bits, so that inserting the
    /// sorted keys fills the table front to back (a cache-friendly build).
    shift: u32,
}

/// A slot holds one stored row (never all-zero) or is empty. The explicit
/// flag (0 = empty) fits in what would be padding (still 24 bytes) and
/// replaces two 18-byte comparisons against zero per probe (4% of the
/// tagging instructions, callgrind). A `u16`, not a `bool`: the slot is
/// plain old data (no padding, every bit pattern valid) so that the table
/// can live in a huge-page mapping.
#[derive(Debug, Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
struct Slot {
    key: u32,
    used: u16,
    w: [i16; NTAGS],
}

/// Slots past the last home slot that a build may run into (probing
/// never wraps round, see [`Table::build`]); a build that needs more
/// starts over on the heap.
const TAIL_SLOTS: usize = 256;

impl Table {
    fn build(keys: &[u32], weights: &[i16]) -> Self {
        // Load factor between 0.375 and 0.75.
        let cap = (keys.len() + keys.len() / 3 + 1)
            .next_power_of_two()
            .max(16);
        let mut t = Table {
            slots: HugeSlice::zeroed(cap + TAIL_SLOTS),
            len: 0,
            mask: cap - 1,
            shift: 32 - cap.trailing_zeros().min(32),
        };
        if t.fill(keys, weights).is_err() {
            // More than TAIL_SLOTS keys ran past the last home slot:
            // impossible for hashed keys in practice, handled anyway with
            // room for every key to run past it.
            t.slots = HugeSlice::zeroed(cap + keys.len());
            t.len = 0;
            let filled = t.fill(keys, weights);
            debug_assert!(filled.is_ok());
        }
        t
    }

    /// Insert the rows in place. Keys arrive sorted and the home slot
    /// (high bits) never decreases with the key, and probing runs on past
    /// the end into the tail slots instead of wrapping round: so the
    /// occupied slots are in ascending key order, and a lookup can stop at
    /// the first larger key (see `get`). `Err` when probing runs past the
    /// last slot.
    fn fill(&mut self, keys: &[u32], weights: &[i16]) -> Result<(), ()> {
        for (row, k) in keys.iter().enumerate() {
            let Some(w) = weights.get(row * NTAGS..row * NTAGS + NTAGS) else {
                break;
            };
            if w.iter().all(|x| *x == 0) {
                continue;
            }
            let mut s = self.home(*k);
            while self.slots.get(s).is_some_and(|x| x.used != 0) {
                s += 1;
            }
            let slot = self.slots.get_mut(s).ok_or(())?;
            slot.key = *k;
            slot.used = 1;
            slot.w.copy_from_slice(w);
            self.len += 1;
        }
        Ok(())
    }

    /// Number of stored rows.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The stored rows in ascending key order (the occupied slots are in
    /// that order, see [`Table::fill`]): what the model file holds, so a
    /// tagger writes itself from its table and keeps no other copy of its
    /// weights.
    pub(super) fn rows(&self) -> impl Iterator<Item = (u32, &[i16; NTAGS])> + '_ {
        self.slots
            .iter()
            .filter(|s| s.used != 0)
            .map(|s| (s.key, &s.w))
    }

    #[inline]
    fn home(&self, k: u32) -> usize {
        (u64::from(k) >> self.shift) as usize & self.mask
    }

    /// Add the weight row of one feature key (if the model has it) to `acc`.
    #[inline]
    pub(super) fn add_key(&self, key: u64, acc: &mut [i32; NTAGS]) {
        if let Some(w) = self.get(key as u32) {
            for t in 0..NTAGS {
                acc[t] += i32::from(w[t]);
            }
        }
    }

    /// The row of a feature key, zeros when the model does not have it
    /// (adding it then changes nothing, as [`Table::add_key`]).
    pub(super) fn row(&self, key: u64) -> [i16; NTAGS] {
        self.get(key as u32).copied().unwrap_or([0; NTAGS])
    }

    /// The row of key `k`. Slots are in ascending key order (see `build`),
    /// so an absent key is known at the first empty slot OR the first
    /// larger key: fewer probes for the many absent keys (bigrams, rare
    /// words) than scanning to an empty slot, same answers.
    #[inline]
    fn get(&self, k: u32) -> Option<&[i16; NTAGS]> {
        let mut s = self.home(k);
        loop {
            let slot = self.slots.get(s)?;
            if slot.used == 0 || slot.key > k {
                return None;
            }
            if slot.key == k {
                return Some(&slot.w);
            }
            s += 1;
        }
    }
}

/// One language's tagger.
#[derive(Debug)]
pub struct LangTagger {
    /// Unique per built, loaded or cloned tagger ([`LangTagger::id`]).
    id: u64,
    pub lang: Lang,
    /// Shared (never changed after construction) with clones and with the
    /// background thread that builds the word table.
    table: Arc<Table>,
    /// Weight = `q * scale`.
    scale: f32,
    trans: [[f32; NTAGS]; NTAGS + 1],
    /// Gazetteer and trigger words: read through [`LangTagger::gaz`] /
    /// [`LangTagger::trig`] and changed only through the `_mut` accessors,
    /// which drop what was derived from them (the word table, whose
    /// entries hold trigger, cluster and gazetteer values, and the
    /// per-document caches keyed by [`LangTagger::id`]). Shared (copy on
    /// write) with clones and the word-table builder.
    gaz: Arc<Gazetteer>,
    trig: Arc<Triggers>,
    /// The model's frequent-word list (format 6, chosen at training time
    /// from unlabelled text: `fast::frequent_words`), encoded as in the
    /// file (`fast::encode_words`, checked at load) and written back by
    /// [`LangTagger::write`]. Encoded, not as `Word`s: three `String`s
    /// per word kept ~14 MB resident for the shipped model only to be
    /// written back; the word-table build reads the bytes directly.
    words: Arc<[u8]>,
    /// Features and partial sums of `words`, built from the model alone
    /// (never from request data) in a background thread after loading;
    /// empty until then, and the fast path then does the normal work.
    word_table: Arc<OnceLock<WordTable>>,
    /// Rows of the coarse-cluster pair templates (`fast::ClcPairs`), built
    /// from the weights on first use; shared with clones (same weights).
    clc_pairs: Arc<OnceLock<ClcPairs>>,
}

/// Word-table builder threads not yet joined ([`wait_for_word_tables`]).
static PENDING: Mutex<Vec<std::thread::JoinHandle<()>>> = Mutex::new(Vec::new());

/// Block until every word table whose build has started is built (or its
/// build stopped because its model was dropped). For benchmarks and
/// profiles that must measure the steady state of a loaded model; the
/// server does not wait (requests before that take the normal path and
/// give the same results).
pub fn wait_for_word_tables() {
    // The lock is held while joining: a second caller waiting at the same
    // time must not find the list already emptied by the first and return
    // before the tables exist. Builders never take this lock, so holding it
    // cannot stop them; a model loaded meanwhile waits to register its
    // builder, which only delays that registration.
    let mut pending = match PENDING.lock() {
        Ok(p) => p,
        Err(poisoned) => poisoned.into_inner(),
    };
    for h in pending.drain(..) {
        // A panicking builder only means no table (the normal path).
        drop(h.join());
    }
}

/// One tagger's word-table build: the weight table, a copy of the
/// triggers, the word list, and only a weak handle on the result, so that
/// a build whose model was dropped stops.
struct WordJob {
    table: Arc<Table>,
    words: Arc<[u8]>,
    trig: Arc<Triggers>,
    gaz: Arc<Gazetteer>,
    lang: Lang,
    cell: Weak<OnceLock<WordTable>>,
}

/// Build the word tables of a loaded model's taggers in ONE background
/// thread, one after the other, started once the whole file is decoded:
/// building them takes about as long as loading the model, and neither
/// loading nor start-up must wait for it or compete with more than one
/// extra thread on a small machine (three concurrent builders slowed the
/// loading thread by ~40 % on the 2-core host). Until a table is set, the
/// fast path does the normal work, with the same results.
pub(super) fn spawn_word_tables(taggers: &[LangTagger]) {
    let jobs: Vec<WordJob> = taggers
        .iter()
        .filter_map(LangTagger::word_table_job)
        .collect();
    if jobs.is_empty() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("ner-word-tables".into())
        .spawn(move || {
            for j in jobs {
                let alive = || j.cell.strong_count() > 0;
                let wt = WordTable::build(&j.table, j.lang, &j.trig, &j.gaz, &j.words, &alive);
                if let Some(c) = j.cell.upgrade() {
                    let _ = c.set(wt);
                }
            }
        });
    // No thread (resource limits): no tables, the normal path.
    if let Ok(h) = spawned {
        let mut p = match PENDING.lock() {
            Ok(p) => p,
            Err(poisoned) => poisoned.into_inner(),
        };
        p.retain(|h| !h.is_finished());
        p.push(h);
    }
}

/// Source of [`LangTagger::id`]; 0 is never handed out (an empty cache's
/// owner).
static NEXT_TAGGER_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_tagger_id() -> u64 {
    NEXT_TAGGER_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A clone gets its own id (a per-document cache is never shared between
/// two taggers, whatever is changed later). It shares the weight table,
/// the gazetteer and triggers (copied on a change through `gaz_mut` /
/// `trig_mut`, which also drop the clone's word table) and the word
/// table (whose entries are checked against the tagger's `lang` on every
/// use: `WordTable::get`).
impl Clone for LangTagger {
    fn clone(&self) -> Self {
        LangTagger {
            id: next_tagger_id(),
            lang: self.lang,
            table: self.table.clone(),
            scale: self.scale,
            trans: self.trans,
            gaz: Arc::clone(&self.gaz),
            trig: Arc::clone(&self.trig),
            words: Arc::clone(&self.words),
            word_table: Arc::clone(&self.word_table),
            clc_pairs: Arc::clone(&self.clc_pairs),
        }
    }
}

impl LangTagger {
    /// Identity of this tagger for caches of derived values (the fast
    /// path's per-document sums): unique within the process, unlike an
    /// address, which a model loaded after this one is dropped may reuse.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Quantise float weights (`rows.len()` keys, row-major NTAGS each) into
    /// a shippable tagger. Rows whose quantised weights are all zero are
    /// dropped; so are weights below `prune` (absolute, in weight units).
    pub fn from_float(
        lang: Lang,
        mut rows: Vec<(u32, [f32; NTAGS])>,
        trans: [[f32; NTAGS]; NTAGS + 1],
        prune: f32,
        gaz: Gazetteer,
        trig: Triggers,
    ) -> Self {
        rows.sort_unstable_by_key(|r| r.0);
        let max = rows
            .iter()
            .flat_map(|r| r.1.iter())
            .fold(0f32, |m, w| m.max(w.abs()));
        let scale = if max > 0.0 { max / 32767.0 } else { 1.0 };
        let mut keys = Vec::with_capacity(rows.len());
        let mut weights = Vec::with_capacity(rows.len() * NTAGS);
        for (k, w) in rows {
            let mut q = [0i16; NTAGS];
            let mut any = false;
            for t in 0..NTAGS {
                if w[t].abs() >= prune {
                    q[t] = (w[t] / scale).round().clamp(-32767.0, 32767.0) as i16;
                    any |= q[t] != 0;
                }
            }
            if any {
                if keys.last() == Some(&k) {
                    // 32-bit key collision: merge the rows.
                    let base = weights.len() - NTAGS;
                    for t in 0..NTAGS {
                        weights[base + t] =
                            (weights[base + t] as i32 + q[t] as i32).clamp(-32767, 32767) as i16;
                    }
                } else {
                    keys.push(k);
                    weights.extend_from_slice(&q);
                }
            }
        }
        let table = Arc::new(Table::build(&keys, &weights));
        LangTagger {
            id: next_tagger_id(),
            lang,
            table,
            scale,
            trans,
            gaz: Arc::new(gaz),
            trig: Arc::new(trig),
            words: Arc::from(super::fast::encode_words(&[])),
            word_table: Arc::default(),
            clc_pairs: Arc::default(),
        }
    }

    /// Set the frequent-word list written with the model (training). The
    /// word table of the old list, if any, is dropped; a new one is only
    /// built when the model is loaded (or [`LangTagger::build_word_table`]).
    pub fn set_frequent_words(&mut self, words: Vec<Word>) {
        self.words = Arc::from(super::fast::encode_words(&words));
        self.word_table = Arc::default();
    }

    /// The tagger's gazetteer (multi-token names and their classes).
    pub fn gaz(&self) -> &Gazetteer {
        &self.gaz
    }

    /// The tagger's trigger words (titles, organisation heads, ...) and
    /// word clusters.
    pub fn trig(&self) -> &Triggers {
        &self.trig
    }

    /// Change the gazetteer. What was derived from it is dropped first
    /// (see [`LangTagger::derived_changed`]).
    pub fn gaz_mut(&mut self) -> &mut Gazetteer {
        self.derived_changed();
        Arc::make_mut(&mut self.gaz)
    }

    /// Change the trigger words or clusters. What was derived from them is
    /// dropped first (see [`LangTagger::derived_changed`]).
    pub fn trig_mut(&mut self) -> &mut Triggers {
        self.derived_changed();
        Arc::make_mut(&mut self.trig)
    }

    /// The gazetteer or the triggers are about to change: the word table
    /// (entries hold their values, so that a frequent word's first
    /// occurrence in a document costs no lookup in either, issue 9) is
    /// dropped, and the tagger takes a new [`LangTagger::id`] so that no
    /// per-document cache keeps sums computed with the old values. The
    /// fast path does the normal work until [`LangTagger::build_word_table`]
    /// (same results). Clones keep their own table.
    fn derived_changed(&mut self) {
        self.id = next_tagger_id();
        self.word_table = Arc::default();
    }

    /// The frequent-word list of the model (decoded: for tools and tests).
    pub fn frequent_words(&self) -> Vec<Word> {
        super::fast::decode_words(&self.words).unwrap_or_default()
    }

    /// Build the word table now, on this thread (tests, tools); a no-op
    /// when it is already built.
    pub fn build_word_table(&self) {
        let _ = self.word_table.get_or_init(|| {
            WordTable::build(
                &self.table,
                self.lang,
                &self.trig,
                &self.gaz,
                &self.words,
                &|| true,
            )
        });
    }

    /// What a background thread needs to build this tagger's word table
    /// (see [`spawn_word_tables`]); `None` without a word list.
    fn word_table_job(&self) -> Option<WordJob> {
        if super::fast::encoded_words(&self.words).map_or(0, |w| w.listed()) == 0 {
            return None;
        }
        Some(WordJob {
            table: Arc::clone(&self.table),
            words: Arc::clone(&self.words),
            trig: Arc::clone(&self.trig),
            gaz: Arc::clone(&self.gaz),
            lang: self.lang,
            cell: Arc::downgrade(&self.word_table),
        })
    }

    /// The word table, once built.
    #[inline]
    pub(super) fn word_table(&self) -> Option<&WordTable> {
        self.word_table.get()
    }

    /// The coarse-cluster pair rows of the fast path (built on first use:
    /// ~8,000 table reads, once per loaded model).
    #[inline]
    pub(super) fn clc_pairs(&self) -> &ClcPairs {
        self.clc_pairs.get_or_init(|| ClcPairs::build(&self.table))
    }

    /// The weight table (the fast path sums rows from it).
    #[inline]
    pub(super) fn table(&self) -> &Table {
        &self.table
    }

    pub fn n_features(&self) -> usize {
        self.table.len()
    }

    /// Add the weight row of one feature key (if the model has it) to `acc`.
    #[inline]
    pub(super) fn add_key(&self, key: u64, acc: &mut [i32; NTAGS]) {
        self.table.add_key(key, acc);
    }

    /// Quantisation scale: weight = q * scale.
    pub(super) fn scale(&self) -> f32 {
        self.scale
    }

    /// Transition matrix (last row = start).
    pub(super) fn trans(&self) -> &[[f32; NTAGS]; NTAGS + 1] {
        &self.trans
    }

    /// Integer emission sums of every token of the sentence whose features
    /// are in `scratch.feats`: the REFERENCE (the fast path's test compares
    /// against it).
    #[cfg(test)]
    pub(super) fn reference_rows(&self, feats: &FeatBuf) -> Vec<[i32; NTAGS]> {
        let n = feats.offsets.len().saturating_sub(1);
        let mut rows = Vec::with_capacity(n);
        for w in feats.offsets.windows(2).take(n) {
            let mut acc = [0i32; NTAGS];
            for k in feats.keys.get(w[0] as usize..w[1] as usize).unwrap_or(&[]) {
                self.add_key(*k, &mut acc);
            }
            rows.push(acc);
        }
        rows
    }

    /// Emission scores of every token of the sentence whose features are in
    /// `scratch.feats`.
    fn emissions(&self, scratch: &mut Scratch) {
        let Scratch { feats, emis, .. } = scratch;
        emis.clear();
        let n = feats.offsets.len().saturating_sub(1);
        // Touch every home slot of the sentence first: these loads are
        // independent, so the CPU keeps many cache misses in flight, where
        // the probing loop below (one branchy lookup after the other) waits
        // for each miss in turn. The table is megabytes, far beyond L2, and
        // these misses were most of the tagging time (issue 9 profile).
        let mut touch = 0u32;
        for k in &feats.keys {
            touch ^= self
                .table
                .slots
                .get(self.table.home(*k as u32))
                .map_or(0, |s| s.key);
        }
        std::hint::black_box(touch);
        for w in feats.offsets.windows(2).take(n) {
            let (a, b) = (w[0] as usize, w[1] as usize);
            let mut acc = [0i32; NTAGS];
            for k in feats.keys.get(a..b).unwrap_or(&[]) {
                if let Some(w) = self.table.get(*k as u32) {
                    for t in 0..NTAGS {
                        acc[t] += w[t] as i32;
                    }
                }
            }
            let mut e = [0f32; NTAGS];
            for t in 0..NTAGS {
                e[t] = acc[t] as f32 * self.scale;
            }
            emis.push(e);
        }
    }

    /// Tag one sentence: BIO tag ids into `out` (one per token).
    ///
    /// The fast path (`fast.rs`): the same integer emission sums as
    /// [`LangTagger::tag_reference`], so the same tags, with the
    /// token-local part of the work cached per document in `scratch`.
    pub fn tag(&self, toks: &[TokView<'_>], scratch: &mut Scratch, out: &mut Vec<u8>) {
        super::fast::tag(self, toks, scratch, out);
    }

    /// Tag one sentence through the reference feature list
    /// ([`sentence_features`], what training uses): slower, kept as the
    /// definition the fast path is tested against.
    pub fn tag_reference(&self, toks: &[TokView<'_>], scratch: &mut Scratch, out: &mut Vec<u8>) {
        out.clear();
        if toks.is_empty() {
            return;
        }
        sentence_features(self.lang, toks, self.gaz(), self.trig(), &mut scratch.feats);
        self.emissions(scratch);
        viterbi_rows(&scratch.emis, &self.trans, &mut scratch.vrows, out);
    }

    pub fn write(&self, w: &mut ByteWriter) {
        w.u8(lang_to_u8(self.lang));
        w.f32(self.scale);
        for row in &self.trans {
            for v in row {
                w.f32(*v);
            }
        }
        // Keys (delta varints) then sparse rows (tag mask + zigzag varints),
        // as one length-prefixed blob so loading can decode it from a plain
        // slice (the load-time budget is 200 ms).
        let mut blob = Vec::with_capacity(self.table.len() * 8);
        varint(&mut blob, self.table.len() as u64);
        let mut prev = 0u32;
        for (k, _) in self.table.rows() {
            varint(&mut blob, u64::from(k - prev));
            prev = k;
        }
        for (_, row) in self.table.rows() {
            let mut mask = 0u16;
            for (t, q) in row.iter().enumerate() {
                if *q != 0 {
                    mask |= 1 << t;
                }
            }
            varint(&mut blob, u64::from(mask));
            for q in row.iter().filter(|q| **q != 0) {
                varint(&mut blob, zigzag(*q));
            }
        }
        w.bytes(&blob);
        self.gaz.write(w);
        self.trig.write(w);
        w.bytes(&self.words);
    }

    pub fn read(r: &mut ByteReader<'_>) -> Result<Self, ModelError> {
        let lang = lang_from_u8(r.u8()?)?;
        let scale = r.f32()?;
        if !scale.is_finite() {
            return Err(ModelError::Malformed("non-finite weight scale".into()));
        }
        let mut trans = [[0f32; NTAGS]; NTAGS + 1];
        for row in trans.iter_mut() {
            for v in row.iter_mut() {
                *v = r.f32()?;
                if !v.is_finite() {
                    return Err(ModelError::Malformed("non-finite transition".into()));
                }
            }
        }
        let blob = r.bytes()?;
        let (keys, weights) = decode_rows(blob)?;
        let gaz = Gazetteer::read(r)?;
        let trig = Triggers::read(r)?;
        let words = r.bytes()?;
        super::fast::check_words(words)?;
        // The sorted keys and rows are dropped once in the table: it is
        // the only copy kept (`write` reads it back). Keeping them too cost
        // 22 bytes per key, ~18 MB for the shipped model (issue 9's memory
        // goal, session 9).
        let table = Arc::new(Table::build(&keys, &weights));
        drop((keys, weights));
        let t = LangTagger {
            id: next_tagger_id(),
            lang,
            table,
            scale,
            trans,
            gaz: Arc::new(gaz),
            trig: Arc::new(trig),
            words: Arc::from(words),
            word_table: Arc::default(),
            clc_pairs: Arc::default(),
        };
        Ok(t)
    }
}

/// The feature table of a tagger as [`LangTagger::write`] stores it:
/// sorted distinct keys and their rows (`keys.len() × NTAGS`). A
/// malformed table is a clear error.
fn decode_rows(blob: &[u8]) -> Result<(Vec<u32>, Vec<i16>), ModelError> {
    let mut pos = 0usize;
    let bad = |what: &str| ModelError::Malformed(format!("feature table: {what}"));
    let n = usize::try_from(vget(blob, &mut pos).ok_or_else(|| bad("truncated"))?)
        .map_err(|_| bad("count"))?;
    // Each key takes at least one byte and each row one more.
    if n.saturating_mul(2) > blob.len() {
        return Err(bad("count larger than the data"));
    }
    let mut keys = Vec::with_capacity(n);
    let mut prev = 0u64;
    for i in 0..n {
        let d = vget(blob, &mut pos).ok_or_else(|| bad("truncated keys"))?;
        if i > 0 && d == 0 {
            return Err(bad("duplicate key"));
        }
        prev = prev
            .checked_add(d)
            .filter(|k| *k <= u64::from(u32::MAX))
            .ok_or_else(|| bad("key out of range"))?;
        keys.push(prev as u32);
    }
    let mut weights = vec![0i16; n * NTAGS];
    for row in weights.chunks_exact_mut(NTAGS) {
        let mask = vget(blob, &mut pos).ok_or_else(|| bad("truncated weights"))?;
        if mask >= 1 << NTAGS {
            return Err(bad("weight mask"));
        }
        for (t, x) in row.iter_mut().enumerate() {
            if mask & (1 << t) != 0 {
                let z = vget(blob, &mut pos).ok_or_else(|| bad("truncated weights"))?;
                *x = unzigzag(z)?;
            }
        }
    }
    if pos != blob.len() {
        return Err(bad("trailing bytes"));
    }
    Ok((keys, weights))
}

pub fn lang_to_u8(l: Lang) -> u8 {
    match l {
        Lang::Ar => 1,
        Lang::Fr => 2,
        Lang::En => 3,
        Lang::Und => 0,
    }
}

fn lang_from_u8(v: u8) -> Result<Lang, ModelError> {
    match v {
        1 => Ok(Lang::Ar),
        2 => Ok(Lang::Fr),
        3 => Ok(Lang::En),
        _ => Err(ModelError::Malformed(format!("unknown language id {v}"))),
    }
}

/// LEB128 varint (also the word lists' encoding, `fast::encode_words`).
pub(super) fn varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// LEB128 varint from a slice; `None` when truncated or longer than ten
/// bytes (bits of a tenth byte above bit 63 are dropped: every value read
/// is a count or length that the caller bounds-checks afterwards).
#[inline]
pub(super) fn vget(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let x = *b.get(*pos)?;
        *pos += 1;
        v |= u64::from(x & 0x7F) << shift;
        if x & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn zigzag(q: i16) -> u64 {
    let q = i64::from(q);
    ((q << 1) ^ (q >> 63)) as u64
}

fn unzigzag(z: u64) -> Result<i16, ModelError> {
    let v = ((z >> 1) as i64) ^ -((z & 1) as i64);
    i16::try_from(v).map_err(|_| ModelError::Malformed("weight out of range".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bio_constraints() {
        assert!(allowed(START, 1));
        assert!(!allowed(START, 2));
        assert!(allowed(1, 2));
        assert!(allowed(2, 2));
        assert!(!allowed(3, 2));
        assert!(!allowed(0, 4));
        assert!(allowed(0, 0));
    }

    #[test]
    fn viterbi_respects_constraints() {
        let trans = [[0f32; NTAGS]; NTAGS + 1];
        // I-PER scores best everywhere, but cannot start a sentence.
        let mut e = [[0f32; NTAGS]; 2];
        e[0][2] = 10.0;
        e[0][1] = 1.0;
        e[1][2] = 10.0;
        let mut back = Vec::new();
        let mut out = Vec::new();
        viterbi(&e, &trans, &mut back, &mut out);
        assert_eq!(out, vec![1, 2]);
        let mut rows = Vec::new();
        viterbi_rows(&e, &trans, &mut rows, &mut out);
        assert_eq!(out, vec![1, 2]);
    }

    #[test]
    fn viterbi_rows_equals_viterbi() {
        // Random transitions and emissions, one in three sentences with
        // coarse values (many exact ties, where only the tie-break decides),
        // plus all-zero matrices (everything ties): the inference decoder
        // must give exactly the tags of the reference decoder.
        let mut r = crate::ner::hash::XorShift::new(9);
        let mut val = |q: u64| (r.below(q as usize) as f32 - (q / 2) as f32) * 0.25;
        let (mut back, mut rows, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut differing_paths = 0;
        for it in 0..3000 {
            let q = if it % 3 == 0 { 3 } else { 4000 };
            let mut trans = [[0f32; NTAGS]; NTAGS + 1];
            let mut e = vec![[0f32; NTAGS]; 1 + it % 47];
            if it % 100 != 0 {
                for x in trans.iter_mut().flatten() {
                    *x = val(q);
                }
                for x in e.iter_mut().flatten() {
                    *x = val(q);
                }
            }
            viterbi(&e, &trans, &mut back, &mut a);
            viterbi_rows(&e, &trans, &mut rows, &mut b);
            assert_eq!(a, b, "sentence {it}");
            assert_eq!(a.len(), e.len());
            differing_paths += usize::from(a.iter().any(|t| *t != 0));
        }
        // The test is not vacuous: most decoded paths hold entity tags.
        assert!(differing_paths > 2000, "{differing_paths}");
        viterbi_rows(&[], &[[0f32; NTAGS]; NTAGS + 1], &mut rows, &mut b);
        assert!(b.is_empty());
    }

    #[test]
    fn table_finds_every_key_and_only_those() {
        // Dense keys at the top of the range pile up at the end of the
        // table (probing runs past the end) and clusters elsewhere: every
        // stored key gives its row, every other key nothing.
        let mut r = crate::ner::hash::XorShift::new(7);
        let mut keys: Vec<u32> = (0..3000).map(|_| r.next_u64() as u32).collect();
        keys.extend(u32::MAX - 200..=u32::MAX);
        keys.extend(1000..1300);
        keys.sort_unstable();
        keys.dedup();
        let mut weights = Vec::new();
        for (i, _) in keys.iter().enumerate() {
            let mut w = [0i16; NTAGS];
            w[i % NTAGS] = (i % 500) as i16 + 1;
            if i % 7 == 0 {
                w = [0; NTAGS]; // an all-zero row is not stored
            }
            weights.extend_from_slice(&w);
        }
        let t = Table::build(&keys, &weights);
        let stored: std::collections::HashMap<u32, [i16; NTAGS]> = keys
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 7 != 0)
            .map(|(i, k)| {
                let mut w = [0i16; NTAGS];
                w.copy_from_slice(&weights[i * NTAGS..i * NTAGS + NTAGS]);
                (*k, w)
            })
            .collect();
        for k in &keys {
            assert_eq!(t.get(*k), stored.get(k), "key {k}");
        }
        for _ in 0..20_000 {
            let k = r.next_u64() as u32;
            assert_eq!(t.get(k), stored.get(&k), "key {k}");
        }
        for k in (0..2000).chain(u32::MAX - 300..=u32::MAX) {
            assert_eq!(t.get(k), stored.get(&k), "key {k}");
        }
    }

    #[test]
    fn shipped_tables_find_every_key() {
        // Every key of the shipped model's tables gives its row, and
        // random keys get exactly the rows of the key list (none when
        // absent).
        let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/ner.bin");
        let m = match crate::ner::NerModel::load(&p) {
            Ok(m) => m,
            Err(e) => panic!("shipped model models/ner.bin must load: {e}"),
        };
        // Each tagger's rows straight from the file's bytes.
        let bytes = std::fs::read(&p).expect("read");
        let payload = crate::model_file::decode(&bytes, crate::ner::KIND, crate::ner::FORMAT)
            .expect("payload");
        let mut rd = ByteReader::new(payload);
        rd.str().expect("version");
        let mut file_rows = Vec::new();
        for _ in 0..rd.len(1).expect("count") {
            let lang = lang_from_u8(rd.u8().expect("lang")).expect("lang");
            rd.f32().expect("scale");
            for _ in 0..(NTAGS + 1) * NTAGS {
                rd.f32().expect("transitions");
            }
            let (keys, weights) = decode_rows(rd.bytes().expect("blob")).expect("rows");
            Gazetteer::read(&mut rd).expect("gazetteer");
            Triggers::read(&mut rd).expect("triggers");
            rd.bytes().expect("words");
            file_rows.push((lang, keys, weights));
        }
        assert!(rd.is_empty() && file_rows.len() == 3);
        let mut r = crate::ner::hash::XorShift::new(11);
        for lang in m.languages() {
            let Some(t) = m.tagger(lang) else {
                panic!("{lang:?}");
            };
            // The rows as the shipped file holds them, decoded from it
            // independently of the table.
            let (keys, weights) = file_rows
                .iter()
                .find(|x| x.0 == lang)
                .map(|x| (&x.1, &x.2))
                .expect("the file has the tagger");
            assert_eq!(keys.len(), t.n_features());
            let mut stored = 0usize;
            for (i, k) in keys.iter().enumerate() {
                let w = &weights[i * NTAGS..i * NTAGS + NTAGS];
                // (None in the file: the table stores no all-zero row, so
                // `write` reproduces the file only without them.)
                assert!(w.iter().any(|x| *x != 0), "{lang:?}: an all-zero row");
                stored += 1;
                assert_eq!(t.table.get(*k).map(|x| &x[..]), Some(w), "{lang:?} key {k}");
            }
            assert!(stored > 10_000, "{lang:?}: {stored}");
            let mut absent = 0usize;
            for _ in 0..200_000 {
                let k = r.next_u64() as u32;
                let want = keys
                    .binary_search(&k)
                    .ok()
                    .map(|i| &weights[i * NTAGS..i * NTAGS + NTAGS]);
                assert_eq!(t.table.get(k).map(|x| &x[..]), want, "{lang:?} key {k}");
                absent += usize::from(want.is_none());
            }
            assert!(absent > 100_000, "{lang:?}: {absent}");
            // Every shipped table is over 2 MiB: in a huge-page mapping.
            assert!(t.table.slots.is_mapped(), "{lang:?}");
        }
    }

    #[test]
    fn a_table_whose_tail_overflows_is_rebuilt_with_room_and_finds_every_key() {
        // 400 keys with the same home slot (the top bits): far more than
        // TAIL_SLOTS run past the last home slot of a 1,024-slot table.
        let keys: Vec<u32> = (0..400u32).map(|i| 0xFFFF_F000 + i).collect();
        let mut weights = Vec::new();
        for (i, _) in keys.iter().enumerate() {
            let mut w = [0i16; NTAGS];
            w[i % NTAGS] = i as i16 + 1;
            weights.extend_from_slice(&w);
        }
        let t = Table::build(&keys, &weights);
        assert!(t.slots.len() > (t.mask + 1) + TAIL_SLOTS, "rebuilt");
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(
                t.get(*k).map(|x| &x[..]),
                weights.get(i * NTAGS..(i + 1) * NTAGS)
            );
        }
        assert_eq!(t.get(0xFFFF_EFFF), None);
        assert_eq!(t.get(0x1234), None);
    }

    #[test]
    fn zigzag_round_trip() {
        for q in [-32767i16, -1, 0, 1, 300, 32767] {
            assert_eq!(unzigzag(zigzag(q)).unwrap(), q);
        }
    }
}
