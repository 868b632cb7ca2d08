//! Gazetteers (multi-token name lists) and trigger words, stored inside the
//! model file as hashes of their tokens' matching keys, so the running
//! service needs no list files and matches in O(tokens × longest entry).

use super::hash::{seq_extend, SEQ_START};
use crate::model_file::{ByteReader, ByteWriter, ModelError};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Keys are already well-mixed 64-bit hashes: hashing them again with
/// SipHash would only cost time.
#[derive(Default)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(*b) ^ (self.0 >> 56);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

pub type U64Map<V> = HashMap<u64, V, BuildHasherDefault<PassThrough>>;
pub type U64Set = HashSet<u64, BuildHasherDefault<PassThrough>>;

/// Gazetteer classes (bit index). Names in list files map to these.
pub const GAZ_CLASSES: [&str; 5] = ["PER", "LOC", "ORG", "MISC", "FIRST"];

pub fn gaz_class(name: &str) -> Option<u32> {
    GAZ_CLASSES
        .iter()
        .position(|c| *c == name)
        .map(|i| i as u32)
}

/// Trigger classes: a title before a person (السيد, Mr, M.), a head noun of
/// an organisation (وزارة, Ministry), of a place (مدينة, city), a role noun
/// (وزير, minister) after which an organisation or place often follows.
pub const TRIG_CLASSES: [&str; 4] = ["PER", "ORG", "LOC", "ROLE"];

pub fn trig_class(name: &str) -> Option<u32> {
    TRIG_CLASSES
        .iter()
        .position(|c| *c == name)
        .map(|i| i as u32)
}

/// Bit of [`Gazetteer::first_step`]: a longer entry starts with the token.
pub const FIRST_IS_PREFIX: u32 = 1 << 16;

/// Longest entry, in tokens; longer entries are dropped at build time.
pub const MAX_ENTRY_TOKENS: usize = 8;

#[derive(Default, Debug, Clone)]
pub struct Gazetteer {
    /// Sequence hash of a complete entry → class bits.
    entries: U64Map<u32>,
    /// Sequence hashes of every proper prefix of an entry.
    prefixes: U64Set,
    /// Hashes of the full norm (nothing stripped) of one-token entries:
    /// tells whether a leading و is part of a name (واشنطن) or a
    /// conjunction (وفرنسا) when cutting mention spans.
    exact: U64Set,
}

impl Gazetteer {
    /// Add an entry given as its tokens' matching-key hashes.
    pub fn insert(&mut self, token_hashes: &[u64], class: u32) {
        if token_hashes.is_empty() || token_hashes.len() > MAX_ENTRY_TOKENS || class >= 16 {
            return;
        }
        let mut h = SEQ_START;
        for (i, t) in token_hashes.iter().enumerate() {
            h = seq_extend(h, *t);
            if i + 1 < token_hashes.len() {
                self.prefixes.insert(h);
            }
        }
        *self.entries.entry(h).or_insert(0) |= 1 << class;
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Record the full-norm hash of a one-token entry.
    pub fn insert_exact(&mut self, norm_hash: u64) {
        self.exact.insert(norm_hash);
    }

    /// Is this full-norm hash a one-token entry?
    pub fn is_exact(&self, norm_hash: u64) -> bool {
        self.exact.contains(&norm_hash)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Mark every match: bit `2*class` on its first token, `2*class+1` on the
    /// others, and bit `16+class` on every token when the match covers the
    /// whole sentence. `out` must be as long as `keys`.
    pub fn annotate(&self, keys: &[u64], out: &mut [u32]) {
        if self.entries.is_empty() {
            return;
        }
        self.annotate_with(
            keys,
            |i| keys.get(i).map_or(0, |k| self.first_step(*k)),
            out,
        );
    }

    /// [`Gazetteer::annotate`] with the one-token step of each token given
    /// (`first[i]` = `first_step(keys[i])`): its two hash lookups depend on
    /// the token alone, so the tagger's per-document cache keeps them per
    /// distinct token (issue 9) and only the rare multi-token continuations
    /// are looked up per occurrence. Same output as `annotate`.
    pub fn annotate_from(&self, keys: &[u64], first: &[u32], out: &mut [u32]) {
        if self.entries.is_empty() {
            return;
        }
        self.annotate_with(keys, |i| first.get(i).copied().unwrap_or(0), out);
    }

    /// The one-token step of [`Gazetteer::annotate`] for a token's key: the
    /// class bits of the one-token entry (below bit 16: classes are < 16),
    /// plus [`FIRST_IS_PREFIX`] when a longer entry starts with the token.
    pub fn first_step(&self, key: u64) -> u32 {
        let h = seq_extend(SEQ_START, key);
        let bits = self.entries.get(&h).copied().unwrap_or(0) & 0xFFFF;
        if self.prefixes.contains(&h) {
            bits | FIRST_IS_PREFIX
        } else {
            bits
        }
    }

    fn annotate_with(&self, keys: &[u64], first: impl Fn(usize) -> u32, out: &mut [u32]) {
        let n = keys.len();
        let mark = |out: &mut [u32], i: usize, len: usize, mut b: u32| {
            while b != 0 {
                let c = b.trailing_zeros();
                b &= b - 1;
                if let Some(o) = out.get_mut(i) {
                    *o |= 1 << (2 * c);
                }
                for o in out.iter_mut().skip(i + 1).take(len - 1) {
                    *o |= 1 << (2 * c + 1);
                }
                // The whole line is one entry (list items, titles).
                if i == 0 && len == n {
                    for o in out.iter_mut() {
                        *o |= 1 << (16 + c);
                    }
                }
            }
        };
        for (i, k) in keys.iter().enumerate() {
            let f = first(i);
            mark(out, i, 1, f & !FIRST_IS_PREFIX);
            if f & FIRST_IS_PREFIX == 0 {
                continue;
            }
            let mut h = seq_extend(SEQ_START, *k);
            for len in 2..=MAX_ENTRY_TOKENS {
                let Some(k) = keys.get(i + len - 1) else {
                    break;
                };
                h = seq_extend(h, *k);
                if let Some(bits) = self.entries.get(&h) {
                    mark(out, i, len, *bits);
                }
                if !self.prefixes.contains(&h) {
                    break;
                }
            }
        }
    }

    pub fn write(&self, w: &mut ByteWriter) {
        let mut e: Vec<(u64, u32)> = self.entries.iter().map(|(k, v)| (*k, *v)).collect();
        e.sort_unstable();
        w.u64(e.len() as u64);
        for (k, v) in e {
            w.u64(k);
            w.u8(v as u8);
        }
        let mut p: Vec<u64> = self.prefixes.iter().copied().collect();
        p.sort_unstable();
        w.u64(p.len() as u64);
        for k in p {
            w.u64(k);
        }
        let mut x: Vec<u64> = self.exact.iter().copied().collect();
        x.sort_unstable();
        w.u64(x.len() as u64);
        for k in x {
            w.u64(k);
        }
    }

    pub fn read(r: &mut ByteReader<'_>) -> Result<Self, ModelError> {
        let n = r.len(9)?;
        let mut g = Gazetteer::default();
        g.entries.reserve(n);
        for _ in 0..n {
            let k = r.u64()?;
            let v = r.u8()?;
            g.entries.insert(k, u32::from(v));
        }
        let n = r.len(8)?;
        g.prefixes.reserve(n);
        for _ in 0..n {
            g.prefixes.insert(r.u64()?);
        }
        let n = r.len(8)?;
        g.exact.reserve(n);
        for _ in 0..n {
            g.exact.insert(r.u64()?);
        }
        Ok(g)
    }
}

/// Single-token trigger words: matching-key hash → class bits.
#[derive(Default, Debug, Clone)]
pub struct Triggers {
    map: U64Map<u32>,
    /// Word clusters of the language (travel with the trigger words so the
    /// feature code, which already receives the triggers, sees them).
    pub clusters: super::clusters::Clusters,
}

impl Triggers {
    pub fn insert(&mut self, key_hash: u64, class: u32) {
        if class < 16 {
            *self.map.entry(key_hash).or_insert(0) |= 1 << class;
        }
    }

    #[inline]
    pub fn lookup(&self, key_hash: u64) -> u32 {
        if self.map.is_empty() {
            return 0;
        }
        self.map.get(&key_hash).copied().unwrap_or(0)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn write(&self, w: &mut ByteWriter) {
        let mut e: Vec<(u64, u32)> = self.map.iter().map(|(k, v)| (*k, *v)).collect();
        e.sort_unstable();
        w.u64(e.len() as u64);
        for (k, v) in e {
            w.u64(k);
            w.u8(v as u8);
        }
        self.clusters.write(w);
    }

    pub fn read(r: &mut ByteReader<'_>) -> Result<Self, ModelError> {
        let n = r.len(9)?;
        let mut t = Triggers::default();
        t.map.reserve(n);
        for _ in 0..n {
            let k = r.u64()?;
            let v = r.u8()?;
            t.map.insert(k, u32::from(v));
        }
        t.clusters = super::clusters::Clusters::read(r)?;
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ner::hash::hash_str;

    #[test]
    fn multi_token_matches_and_round_trip() {
        let mut g = Gazetteer::default();
        let h: Vec<u64> = ["new", "york", "city"]
            .iter()
            .map(|s| hash_str(s))
            .collect();
        g.insert(&h[..2], 1);
        g.insert(&h[1..2], 0);
        let keys = vec![hash_str("in"), h[0], h[1], h[2]];
        let mut out = vec![0u32; keys.len()];
        g.annotate(&keys, &mut out);
        assert_eq!(out, vec![0, 1 << 2, (1 << 3) | 1, 0]);
        let mut w = ByteWriter::default();
        g.write(&mut w);
        let g2 = Gazetteer::read(&mut ByteReader::new(&w.buf)).unwrap();
        let mut out2 = vec![0u32; keys.len()];
        g2.annotate(&keys, &mut out2);
        assert_eq!(out, out2);
    }

    #[test]
    fn annotate_from_first_steps_equals_annotate() {
        // Entries of 1–4 tokens over a small vocabulary (shared prefixes,
        // one-token entries that also start longer ones, several classes):
        // random sentences must get the same bits both ways.
        let mut r = crate::ner::hash::XorShift::new(5);
        let voc: Vec<u64> = (0..12).map(|i| hash_str(&format!("w{i}"))).collect();
        let mut g = Gazetteer::default();
        for e in 0..40 {
            let len = 1 + e % 4;
            let toks: Vec<u64> = (0..len)
                .map(|_| voc[(r.next_u64() % 12) as usize])
                .collect();
            g.insert(&toks, (r.next_u64() % 5) as u32);
        }
        let mut marked = 0;
        for _ in 0..2000 {
            let n = 1 + (r.next_u64() % 9) as usize;
            let keys: Vec<u64> = (0..n).map(|_| voc[(r.next_u64() % 12) as usize]).collect();
            let first: Vec<u32> = keys.iter().map(|k| g.first_step(*k)).collect();
            let mut a = vec![0u32; n];
            let mut b = vec![0u32; n];
            g.annotate(&keys, &mut a);
            g.annotate_from(&keys, &first, &mut b);
            assert_eq!(a, b, "{keys:?}");
            marked += a.iter().filter(|x| **x != 0).count();
        }
        assert!(marked > 1000, "{marked}");
        assert_eq!(g.first_step(hash_str("not in the list")), 0);
    }
}
