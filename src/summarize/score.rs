//! Sentence features and relevance scores.
//!
//! Everything lives in flat, reused buffers of [`Scratch`]: stems are
//! interned to dense ids through an open-addressing table keyed by a 64-bit
//! hash (generation-stamped, so it is never cleared), each sentence keeps a
//! range into one flat vector of sorted, distinct content-stem ids and one of
//! (entity, mentions) pairs. No allocation per sentence or per token.

use super::hash::{hash_bytes, hash_str};
use super::stopwords::stop_set;
use super::SummaryConfig;
use crate::ner::{Entities, EntityType};
use crate::text::{tokens::tokenize_with, Document, Role, TokenKind};
use std::ops::Range;

/// Per-body-sentence features.
#[derive(Clone, Debug, Default)]
pub struct SentFeat {
    /// Index into `Document::sentences`.
    pub doc_idx: usize,
    /// Last `Document::sentences` index of the candidate: `doc_idx` itself,
    /// or with [`SummaryConfig::join_glued`] the last unit glued to it.
    pub doc_last: usize,
    /// Rank among body sentences (0 = first body sentence).
    pub rank: u32,
    /// First body sentence of its paragraph.
    pub para_start: bool,
    /// Glued to the previous body unit by a stop without a space (see
    /// [`glued`]): the two are one sentence to a reader counting by spaces.
    pub glued_prev: bool,
    /// Word and number tokens.
    pub words: u32,
    /// Range into [`Scratch::stems`]: sorted distinct content-stem ids.
    pub stems: Range<u32>,
    /// Range into [`Scratch::ents`]: (entity index, mentions), by entity.
    pub ents: Range<u32>,
    /// Σ of the entity weights (distinct entities, repeats per config).
    pub ent_weight: f32,
    /// Σ of the distinct entities' weights (for the coverage penalty).
    pub ent_distinct: f32,
    /// Relevance score.
    pub score: f32,
}

/// Slot of the stem interning table.
#[derive(Clone, Copy, Default)]
struct Slot {
    hash: u64,
    id: u32,
    generation: u32,
}

/// Reusable buffers of one summarisation (see the module doc).
#[derive(Default)]
pub struct Scratch {
    generation: u32,
    table: Vec<Slot>,
    mask: usize,
    /// Per stem id: is a content word.
    content: Vec<bool>,
    /// Per stem id: number of body sentences containing it.
    df: Vec<u32>,
    /// Body sentences.
    pub sents: Vec<SentFeat>,
    /// Flat content-stem ids (see [`SentFeat::stems`]).
    pub stems: Vec<u32>,
    /// Flat (entity, mention count) pairs (see [`SentFeat::ents`]).
    pub ents: Vec<(u32, u32)>,
    /// Per entity: weight (type × (base + salience)).
    pub ent_w: Vec<f32>,
    /// Sorted distinct content-stem ids of the title.
    title: Vec<u32>,
    /// Document sentence index → body index (u32::MAX for other roles).
    sent_map: Vec<u32>,
    /// (body index, entity) pairs before grouping.
    pairs: Vec<(u32, u32)>,
    /// (document sentence, entity) of every body mention, sorted: the
    /// per-unit entity lists of joined candidates (only with `join_glued`).
    pub(crate) unit_ents: Vec<(u32, u32)>,
    /// Per body sentence: length-normalised (entity, centrality) sums.
    raw: Vec<(f32, f32)>,
    /// `centrality_gain(k, centrality_shape)`, k = 0..=body sentences.
    ln_table: Vec<f32>,
    /// `centrality_shape` the table was built for.
    ln_shape: f32,
    /// Selection state, see [`super::select`].
    pub(crate) picked: Vec<bool>,
    pub(crate) dead: Vec<bool>,
    pub(crate) max_jac: Vec<f32>,
    pub(crate) covered: Vec<bool>,
    /// Per stem id: in the last picked sentence (selection; all false between uses).
    pub(crate) mark: Vec<bool>,
    /// Bit set of one sentence's stem ids (see [`sort_dedup_ids`]).
    id_bits: Vec<u64>,
}

/// Table sizes above this are given back after use, so one huge article does
/// not pin megabytes in every worker thread.
const KEEP_TABLE: usize = 1 << 15;

impl Scratch {
    /// Release oversized buffers (called after each use).
    pub fn trim(&mut self) {
        if self.table.len() > KEEP_TABLE {
            *self = Scratch::default();
        }
    }

    fn reset_table(&mut self, tokens: usize) {
        // Sized for about half the tokens being distinct stems (a 1,200-token
        // Arabic article has ~500): 1,024 slots (16 KB) instead of 2,048.
        // The table is re-read from outside the L1/L2 caches on every call
        // (the tagger runs in between) and its probes were a fifth of
        // `prepare`'s time; half the table is half the lines to fetch.
        // [`Self::intern`] doubles it past 3/4 full, so a free slot always
        // exists.
        let want = (tokens / 2 + 1).next_power_of_two().max(256);
        if self.table.len() < want {
            self.table = vec![Slot::default(); want];
            self.generation = 0;
        }
        self.mask = self.table.len() - 1;
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // Wrapped: stale stamps could now look current.
            self.table.iter_mut().for_each(|s| *s = Slot::default());
            self.generation = 1;
        }
        self.content.clear();
        self.df.clear();
    }

    /// Id of a stem hash, inserting it when `insert` (then `is_content` decides
    /// whether it is a content word). `None`: unknown and not inserted.
    #[inline]
    fn intern(&mut self, h: u64, insert: bool, is_content: impl FnOnce() -> bool) -> Option<u32> {
        if insert && (self.content.len() + 1) * 4 > self.table.len() * 3 {
            self.grow_table();
        }
        let mut i = (h as usize) & self.mask;
        // The table is at most 3/4 full: a free slot always exists, the
        // bound only guards against a logic error.
        for _ in 0..self.table.len() {
            let gen = self.generation;
            let slot = self.table.get_mut(i)?;
            if slot.generation != gen {
                if !insert {
                    return None;
                }
                let id = self.content.len() as u32;
                *slot = Slot {
                    hash: h,
                    id,
                    generation: gen,
                };
                self.content.push(is_content());
                self.df.push(0);
                return Some(id);
            }
            if slot.hash == h {
                return Some(slot.id);
            }
            i = (i + 1) & self.mask;
        }
        None
    }

    /// Double the interning table, re-placing this document's stems (the
    /// slots of the current generation; ids are unchanged).
    #[cold]
    fn grow_table(&mut self) {
        let cap = (self.table.len() * 2).max(256);
        let old = std::mem::replace(&mut self.table, vec![Slot::default(); cap]);
        self.mask = cap - 1;
        let gen = self.generation;
        for s in old.into_iter().filter(|s| s.generation == gen) {
            let mut i = (s.hash as usize) & self.mask;
            for _ in 0..cap {
                match self.table.get_mut(i) {
                    Some(x) if x.generation != gen => {
                        *x = s;
                        break;
                    }
                    Some(_) => i = (i + 1) & self.mask,
                    None => break,
                }
            }
        }
    }

    /// Build the features of `doc`'s body sentences.
    pub fn prepare(&mut self, doc: &Document<'_>, entities: &Entities, cfg: &SummaryConfig) {
        self.sents.clear();
        self.stems.clear();
        self.ents.clear();
        self.title.clear();
        self.pairs.clear();
        self.unit_ents.clear();
        self.sent_map.clear();
        self.sent_map.resize(doc.sentences.len(), u32::MAX);
        self.reset_table(doc.tokens.len());
        let stops = stop_set();

        let mut last_para = None;
        // Document index of the previous body unit (for `join_glued`).
        let mut prev_body: Option<usize> = None;
        for (di, s) in doc.sentences.iter().enumerate() {
            if s.role != Role::Body {
                prev_body = None;
                continue;
            }
            let glue = prev_body
                .filter(|&p| p + 1 == di)
                .and_then(|p| doc.sentences.get(p))
                .is_some_and(|p| glued(doc.text, p, s));
            let join = cfg.join_glued && glue;
            prev_body = Some(di);
            // Joining: the unit extends the last candidate, whose stems are
            // the tail of `self.stems`; its document frequencies are undone
            // and recounted once over the merged, deduplicated range.
            let merge_into = if join {
                self.sents.last().map(|l| (l.stems.start as usize, l.words))
            } else {
                None
            };
            let bi = match merge_into {
                Some(_) => self.sents.len().saturating_sub(1) as u32,
                None => self.sents.len() as u32,
            };
            if let Some(m) = self.sent_map.get_mut(di) {
                *m = bi;
            }
            let start = match merge_into {
                Some((st, _)) => {
                    for &id in self.stems.get(st..).unwrap_or(&[]) {
                        if let Some(d) = self.df.get_mut(id as usize) {
                            *d = d.saturating_sub(1);
                        }
                    }
                    st
                }
                None => self.stems.len(),
            };
            let mut words = merge_into.map_or(0, |(_, w)| w);
            // The forms are read as bytes of `norm_buf`: the text stage puts
            // every range on char boundaries, a `str` slice would re-check them
            // for every token, and hashing reads bytes anyway. (A hand-built
            // Document with a range off a boundary: those bytes are hashed,
            // where `Document::stem` gave "" and skipped the token.)
            let nb = doc.norm_buf.as_bytes();
            for t in doc.sentence_tokens(s) {
                let r = match t.kind {
                    TokenKind::Word => &t.stem,
                    TokenKind::Number => &t.norm,
                    _ => continue,
                };
                words += 1;
                let form = nb.get(r.start as usize..r.end as usize).unwrap_or(&[]);
                // One-letter stems (clitic debris, initials) are never content.
                if at_most_one_char(form) {
                    continue;
                }
                let h = hash_bytes(form);
                let is_word = t.kind == TokenKind::Word;
                let id = self.intern(h, true, || {
                    !(is_word
                        && (stops.contains(h)
                            || stops.contains(hash_bytes(
                                nb.get(t.norm.start as usize..t.norm.end as usize)
                                    .unwrap_or(&[]),
                            ))))
                });
                if let Some(id) = id {
                    if self.content.get(id as usize).copied().unwrap_or(false) {
                        self.stems.push(id);
                    }
                }
            }
            let tail = self.stems.get_mut(start..).unwrap_or(&mut []);
            let n = sort_dedup_ids(tail, &mut self.id_bits);
            self.stems.truncate(start + n);
            for &id in self.stems.get(start..).unwrap_or(&[]) {
                if let Some(d) = self.df.get_mut(id as usize) {
                    *d += 1;
                }
            }
            if merge_into.is_some() {
                if let Some(l) = self.sents.last_mut() {
                    l.doc_last = di;
                    l.words = words;
                    l.stems = start as u32..self.stems.len() as u32;
                }
                continue;
            }
            let para_start = last_para != Some(s.paragraph);
            last_para = Some(s.paragraph);
            self.sents.push(SentFeat {
                doc_idx: di,
                doc_last: di,
                rank: bi,
                para_start,
                glued_prev: glue,
                words,
                stems: start as u32..self.stems.len() as u32,
                ents: 0..0,
                ent_weight: 0.0,
                ent_distinct: 0.0,
                score: 0.0,
            });
        }

        self.prepare_title(doc);
        self.prepare_entities(entities, cfg);
    }

    /// Content stems of the title: the first `Title` sentence, else the
    /// caller's separate title. Only stems that occur in the body matter.
    fn prepare_title(&mut self, doc: &Document<'_>) {
        if let Some(ts) = doc.sentences.iter().find(|s| s.role == Role::Title) {
            for t in doc.sentence_tokens(ts) {
                let form = match t.kind {
                    TokenKind::Word => doc.stem(t),
                    TokenKind::Number => doc.norm(t),
                    _ => continue,
                };
                self.push_title_form(form);
            }
        } else if let Some(title) = doc.extra_title {
            let (toks, buf) = tokenize_with(title, doc.lang);
            for t in &toks {
                let r = match t.kind {
                    TokenKind::Word => &t.stem,
                    TokenKind::Number => &t.norm,
                    _ => continue,
                };
                let form = buf.get(r.start as usize..r.end as usize).unwrap_or("");
                self.push_title_form(form);
            }
        }
        self.title.sort_unstable();
        let n = dedup_sorted(&mut self.title);
        self.title.truncate(n);
    }

    fn push_title_form(&mut self, form: &str) {
        if form.chars().nth(1).is_none() {
            return;
        }
        if let Some(id) = self.intern(hash_str(form), false, || false) {
            if self.content.get(id as usize).copied().unwrap_or(false) {
                self.title.push(id);
            }
        }
    }

    fn prepare_entities(&mut self, entities: &Entities, cfg: &SummaryConfig) {
        self.ent_w.clear();
        self.ent_w.extend(entities.entities.iter().map(|e| {
            let tw = match e.etype {
                EntityType::Person => cfg.type_weights[0],
                EntityType::Location => cfg.type_weights[1],
                EntityType::Organization => cfg.type_weights[2],
                EntityType::Misc => cfg.type_weights[3],
            };
            let sal = if e.salience.is_finite() {
                e.salience.clamp(0.0, 1.0)
            } else {
                0.0
            };
            if (e.mentions.len() as u64) < u64::from(cfg.entity_min_mentions) {
                return 0.0;
            }
            let w = tw * (cfg.entity_base + cfg.entity_salience * sal.powf(cfg.salience_power));
            if w.is_finite() {
                w.max(0.0)
            } else {
                0.0
            }
        }));
        for m in &entities.mentions {
            let Some(&bi) = self.sent_map.get(m.sentence) else {
                continue;
            };
            if bi == u32::MAX || m.entity >= self.ent_w.len() {
                continue;
            }
            self.pairs.push((bi, m.entity as u32));
            if cfg.join_glued {
                self.unit_ents.push((m.sentence as u32, m.entity as u32));
            }
        }
        self.unit_ents.sort_unstable();
        let n = dedup_sorted(&mut self.unit_ents);
        self.unit_ents.truncate(n);
        // Mentions come in document order, but do not rely on it.
        self.pairs.sort_unstable();
        let mut i = 0;
        while i < self.pairs.len() {
            let (bi, _) = self.pairs[i];
            let start = self.ents.len();
            let mut w = 0.0f32;
            let mut wd = 0.0f32;
            while i < self.pairs.len() && self.pairs[i].0 == bi {
                let e = self.pairs[i].1;
                let mut c = 0u32;
                while i < self.pairs.len() && self.pairs[i] == (bi, e) {
                    c += 1;
                    i += 1;
                }
                let ew = self.ent_w.get(e as usize).copied().unwrap_or(0.0);
                w += ew * (1.0 + cfg.repeat_weight * (c - 1) as f32);
                wd += ew;
                self.ents.push((e, c));
            }
            if let Some(s) = self.sents.get_mut(bi as usize) {
                s.ents = start as u32..self.ents.len() as u32;
                s.ent_weight = w;
                s.ent_distinct = wd;
            }
        }
    }

    /// Number of distinct stem ids of the current article.
    #[inline]
    pub fn stem_count(&self) -> usize {
        self.content.len()
    }

    /// Content-stem ids of a body sentence.
    #[inline]
    pub fn stems_of(&self, s: &SentFeat) -> &[u32] {
        self.stems
            .get(s.stems.start as usize..s.stems.end as usize)
            .unwrap_or(&[])
    }

    /// (entity, mentions) of a body sentence.
    #[inline]
    pub fn ents_of(&self, s: &SentFeat) -> &[(u32, u32)] {
        self.ents
            .get(s.ents.start as usize..s.ents.end as usize)
            .unwrap_or(&[])
    }

    /// Compute every body sentence's relevance score.
    pub fn score(&mut self, cfg: &SummaryConfig) {
        // Pass 1: raw entity and centrality sums, length-normalised.
        let mut max_e = 0.0f32;
        let mut max_c = 0.0f32;
        self.raw.clear();
        // The centrality gain for every possible k (< body sentences): a
        // logarithm or power per token would cost more than the rest of the
        // scoring. Kept across articles and only grown, except that it is
        // rebuilt when the shape changes (a sweep, never in service).
        if self.ln_shape.to_bits() != cfg.centrality_shape.to_bits() {
            self.ln_table.clear();
            self.ln_shape = cfg.centrality_shape;
        }
        let have = self.ln_table.len();
        if have <= self.sents.len() {
            let shape = cfg.centrality_shape;
            self.ln_table
                .extend((have..=self.sents.len()).map(|k| centrality_gain(k as f32, shape)));
        }
        for s in &self.sents {
            let norm = (s.words as f32).max(cfg.length_floor).max(1.0);
            let norm = norm.powf(cfg.length_exponent);
            let e = s.ent_weight / norm;
            let mut c = 0.0f32;
            for &id in self.stems_of(s) {
                let df = self.df.get(id as usize).copied().unwrap_or(1);
                c += self
                    .ln_table
                    .get(df.saturating_sub(1) as usize)
                    .copied()
                    .unwrap_or(0.0);
            }
            let c = c / norm;
            max_e = max_e.max(e);
            max_c = max_c.max(c);
            self.raw.push((e, c));
        }
        let title_n = self.title.len() as f32;
        for i in 0..self.sents.len() {
            let (e, c) = self.raw.get(i).copied().unwrap_or((0.0, 0.0));
            let Some(s) = self.sents.get(i) else { break };
            let e = if max_e > 0.0 { e / max_e } else { 0.0 };
            let c = if max_c > 0.0 { c / max_c } else { 0.0 };
            let base = 1.0 + s.rank as f32 / cfg.position_decay.max(1e-3);
            // Power 1 is computed without powf so the default stays exact.
            let p = if cfg.position_power == 1.0 {
                1.0 / base
            } else {
                base.powf(-cfg.position_power)
            };
            let t = if title_n > 0.0 {
                intersect_count(self.stems_of(s), &self.title) as f32 / title_n
            } else {
                0.0
            };
            let ps = if s.para_start { 1.0 } else { 0.0 };
            let mut v = cfg.w_entity * e
                + cfg.w_position * p
                + cfg.w_paragraph_start * ps
                + cfg.w_title * t
                + cfg.w_centrality * c;
            if cfg.min_words > 0 && s.words < cfg.min_words {
                v *= s.words as f32 / cfg.min_words as f32;
            }
            let v = if v.is_finite() { v.max(0.0) } else { 0.0 };
            if let Some(s) = self.sents.get_mut(i) {
                s.score = v;
            }
        }
    }
}

/// Whether the UTF-8 bytes `b` (whole characters) hold at most one
/// character: `str::chars().nth(1).is_none()` without decoding.
#[inline]
pub(crate) fn at_most_one_char(b: &[u8]) -> bool {
    match b.first() {
        None => true,
        Some(&x) => {
            let first = match x {
                0..=0x7F => 1,
                0x80..=0xDF => 2,
                0xE0..=0xEF => 3,
                _ => 4,
            };
            b.len() <= first
        }
    }
}

/// Sort `ids` and remove duplicates, in place; returns the number of
/// distinct ids kept at the front (= `sort_unstable` + [`dedup_sorted`]).
///
/// Why a bit set: a body sentence's content-stem ids (~35 with repeats on
/// the Arabic sample) are small dense integers, interned in order of first
/// appearance, so they mostly fall within a few 64-bit words; marking them
/// and reading the set bits back in order costs a few instructions per id,
/// where the comparison sort (half its compares mispredicted) plus the
/// dedup pass cost ~3,500 per sentence, a third of the summariser. When the
/// ids spread over more words than `ids.len() + 16` (a sentence of a very
/// long text mixing early and late stems) the plain sort is used, so the
/// cost stays linear in the sentence.
fn sort_dedup_ids(ids: &mut [u32], bits: &mut Vec<u64>) -> usize {
    let (Some(&lo), Some(&hi)) = (ids.iter().min(), ids.iter().max()) else {
        return 0;
    };
    let base = lo / 64;
    let words = (hi / 64 - base) as usize + 1;
    if words > ids.len() + 16 {
        ids.sort_unstable();
        return dedup_sorted(ids);
    }
    bits.clear();
    bits.resize(words, 0);
    for &id in ids.iter() {
        if let Some(w) = bits.get_mut(((id / 64) - base) as usize) {
            *w |= 1u64 << (id % 64);
        }
    }
    let mut n = 0usize;
    for (wi, &w) in bits.iter().enumerate() {
        let mut w = w;
        let at = (base + wi as u32) * 64;
        while w != 0 {
            if let Some(d) = ids.get_mut(n) {
                *d = at + w.trailing_zeros();
            }
            n += 1;
            w &= w - 1;
        }
    }
    n
}

/// Remove consecutive duplicates of a sorted slice in place; returns the
/// number of distinct values kept at the front.
fn dedup_sorted<T: PartialEq + Copy>(v: &mut [T]) -> usize {
    let mut w = 0usize;
    for r in 0..v.len() {
        if w == 0 || v[r] != v[w - 1] {
            v[w] = v[r];
            w += 1;
        }
    }
    w
}

/// Centrality gain of a stem shared with `k` other body sentences: the
/// Box-Cox family `((1 + k)^s − 1) / s`: ln(1 + k) at s = 0 (diminishing
/// returns, so one very common stem does not decide; the session-2
/// default), k itself at s = 1 (plain degree in the word-overlap graph,
/// the quantity TextRank's similarity sums); the default 0.5 lies between
/// (see `SummaryConfig::centrality_shape`).
pub fn centrality_gain(k: f32, shape: f32) -> f32 {
    if shape.abs() < 1e-6 || !shape.is_finite() {
        k.ln_1p()
    } else {
        ((1.0 + k).powf(shape) - 1.0) / shape
    }
}

/// Whether body unit `s` continues unit `prev` with nothing but non-space
/// characters between them: a stop glued to the next word ("المغرب.وقال",
/// "américains.Au"), which our splitter cuts but a splitter on stop +
/// whitespace (and a reader counting sentences by the spaces after stops)
/// does not. Only adjacent sentences of the same line qualify.
pub fn glued(text: &str, prev: &crate::text::Sentence, s: &crate::text::Sentence) -> bool {
    prev.span.end <= s.span.start
        && text
            .get(prev.span.end..s.span.start)
            .is_some_and(|gap| !gap.chars().any(char::is_whitespace))
}

/// Size of the intersection of two sorted slices (for sorted multisets: the
/// clipped overlap). Branch-free steps: the compare outcome is data-dependent
/// and mispredicts about half the time in a branching merge.
#[inline]
pub fn intersect_count<T: Ord>(a: &[T], b: &[T]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        n += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    n
}

/// Jaccard similarity of two sorted distinct slices (0 when both empty).
#[inline]
pub fn jaccard(a: &[u32], b: &[u32]) -> f32 {
    let inter = intersect_count(a, b);
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f32 / union as f32
    }
}

#[cfg(test)]
mod table_tests {
    use super::*;

    /// The bit-set path and the sort fallback both give exactly what
    /// `sort_unstable` + `dedup_sorted` gives.
    #[test]
    fn sort_dedup_ids_equals_sort_and_dedup() {
        let mut bits = Vec::new();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let (mut dense, mut sparse) = (0, 0);
        for round in 0..3_000 {
            let len = (next() % 80) as usize;
            let spread = [8u64, 64, 300, 5_000, 1 << 31][round % 5];
            let off = (next() % 100_000) as u32;
            let mut ids: Vec<u32> = (0..len).map(|_| off + (next() % spread) as u32).collect();
            if round % 7 == 0 {
                ids.push(u32::MAX);
                ids.push(0);
            }
            let mut want = ids.clone();
            want.sort_unstable();
            let k = dedup_sorted(&mut want);
            want.truncate(k);
            let n = sort_dedup_ids(&mut ids, &mut bits);
            assert_eq!(&ids[..n], &want[..], "round {round}");
            let (lo, hi) = (
                want.first().copied().unwrap_or(0),
                want.last().copied().unwrap_or(0),
            );
            if !want.is_empty() && ((hi / 64 - lo / 64) as usize) < ids.len() + 16 {
                dense += 1;
            } else {
                sparse += 1;
            }
        }
        assert!(dense > 1_000 && sparse > 500, "{dense} {sparse}");
    }

    /// The interning table starts at half the token count and doubles past
    /// 3/4 full: every stem keeps its id through the doublings, a known
    /// stem is found again, an unknown one is not inserted on lookup.
    #[test]
    fn interning_keeps_ids_when_the_table_grows() {
        let mut sc = Scratch::default();
        let n = 3_000u64;
        // As for a document of `n` tokens that are all distinct stems.
        sc.reset_table(n as usize);
        let start = sc.table.len();
        let key = |i: u64| crate::summarize::hash::hash_bytes(&i.to_le_bytes());
        for i in 0..n {
            assert_eq!(sc.intern(key(i), true, || i % 3 == 0), Some(i as u32));
            // Re-interning an existing stem returns its id, inserts nothing.
            assert_eq!(sc.intern(key(i / 2), true, || false), Some((i / 2) as u32));
        }
        assert!(
            sc.table.len() >= 2 * start,
            "{} -> {}",
            start,
            sc.table.len()
        );
        assert!(sc.content.len() == n as usize);
        for i in 0..n {
            assert_eq!(sc.intern(key(i), false, || false), Some(i as u32));
            assert_eq!(sc.content.get(i as usize).copied(), Some(i % 3 == 0));
        }
        assert_eq!(sc.intern(key(n + 1), false, || true), None);
        // The next document starts over with the grown table.
        sc.reset_table(10);
        assert_eq!(sc.intern(key(5), false, || true), None);
        assert_eq!(sc.intern(key(5), true, || true), Some(0));
    }
}
