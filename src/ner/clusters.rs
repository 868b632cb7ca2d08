//! Distributional word clusters learnt from unlabelled news text, used as
//! tagger features (the token's cluster and its neighbours').
//!
//! Why: the labelled corpora are small (ANERcorp has 125k tokens), so most
//! names in unseen articles were never seen in training. Words that occur
//! in the same contexts in a few million tokens of unlabelled news (given
//! names, family names, place names, organisation head words) fall into the
//! same cluster, and the tagger learns the cluster once instead of every
//! word.
//!
//! How (deterministic, no floating-point order effects from hash maps):
//! every word of the vocabulary (the `max_vocab` most frequent matching
//! keys seen at least `min_count` times) gets a context vector of positive
//! PMI weights over the `n_ctx` most frequent words within `window` words
//! (±1 in the shipped model: ±2 measured worse); the vectors are randomly projected to `dim` dimensions (±1 signs from
//! a fixed hash), L2-normalised, and grouped by spherical k-means into `k`
//! fine clusters (initial centroids = words spread evenly over the frequency
//! ranks); the fine centroids are grouped again into `k_coarse` coarse
//! clusters, a two-level hierarchy like a Brown-cluster prefix.
//!
//! Stored in the model file as (matching-key hash → fine id) plus the
//! fine → coarse table: ~10 bytes per word.

use super::features::match_key;
use super::gazetteer::U64Map;
use super::hash::{hash_str, mix};
use crate::model_file::{ByteReader, ByteWriter, ModelError};
use crate::text::Lang;

/// Learnt clusters of one language. Empty = no cluster features.
#[derive(Default, Debug, Clone)]
pub struct Clusters {
    /// Matching-key hash → fine cluster id + 1.
    map: U64Map<u16>,
    /// Fine id → coarse id + 1 (index = fine id).
    coarse: Vec<u8>,
}

impl Clusters {
    /// `(fine + 1, coarse + 1)` of a matching-key hash; `(0, 0)` for a word
    /// outside the vocabulary (a feature value of its own: rare word).
    #[inline]
    pub fn lookup(&self, key_hash: u64) -> (u32, u32) {
        if self.map.is_empty() {
            return (0, 0);
        }
        // Bit 0 is set on every stored key (0 separates texts while learning).
        match self.map.get(&(key_hash | 1)) {
            Some(&f) => {
                let c = self
                    .coarse
                    .get(usize::from(f).wrapping_sub(1))
                    .copied()
                    .unwrap_or(0);
                (u32::from(f), u32::from(c))
            }
            None => (0, 0),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn write(&self, w: &mut ByteWriter) {
        let mut e: Vec<(u64, u16)> = self.map.iter().map(|(k, v)| (*k, *v)).collect();
        e.sort_unstable();
        w.u64(e.len() as u64);
        for (k, v) in e {
            w.u64(k);
            w.u8(v as u8);
            w.u8((v >> 8) as u8);
        }
        w.bytes(&self.coarse);
    }

    pub fn read(r: &mut ByteReader<'_>) -> Result<Self, ModelError> {
        let n = r.len(10)?;
        let mut c = Clusters::default();
        c.map.reserve(n);
        for _ in 0..n {
            let k = r.u64()?;
            let lo = r.u8()?;
            let hi = r.u8()?;
            c.map.insert(k, u16::from(lo) | (u16::from(hi) << 8));
        }
        c.coarse = r.bytes()?.to_vec();
        if c.map
            .values()
            .any(|v| *v == 0 || usize::from(*v) > c.coarse.len())
        {
            return Err(ModelError::Malformed("cluster id out of range".into()));
        }
        Ok(c)
    }
}

/// Clustering parameters.
#[derive(Clone, Debug)]
pub struct Params {
    pub k: usize,
    pub k_coarse: usize,
    pub min_count: u32,
    pub max_vocab: usize,
    pub n_ctx: usize,
    pub dim: usize,
    pub iters: usize,
    /// Context offsets used: 1 = ±1, 2 = ±1 and ±2.
    pub window: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            k: 256,
            k_coarse: 32,
            min_count: 5,
            max_vocab: 60_000,
            n_ctx: 600,
            dim: 256,
            iters: 10,
            window: 1,
        }
    }
}

/// Separator between texts in the token stream (no context across it).
const SEP: u64 = 0;

/// Learn clusters from raw texts (each text one article or one sentence).
pub fn learn<'a>(lang: Lang, texts: impl Iterator<Item = &'a str>, p: &Params) -> Clusters {
    // 1. Token stream of matching-key hashes.
    let mut stream: Vec<u64> = Vec::new();
    let mut freq: U64Map<u32> = U64Map::default();
    // Debugging aid: NUTGRAF_CLUSTER_DUMP=FILE writes the clusters' words.
    let dump = std::env::var_os("NUTGRAF_CLUSTER_DUMP");
    let mut forms: U64Map<String> = U64Map::default();
    for text in texts {
        let (toks, buf) = crate::text::tokens::tokenize_with(text, lang);
        for t in &toks {
            let norm = buf
                .get(t.norm.start as usize..t.norm.end as usize)
                .unwrap_or("");
            let h = hash_str(match_key(lang, norm)) | 1;
            *freq.entry(h).or_insert(0) += 1;
            if dump.is_some() {
                forms
                    .entry(h)
                    .or_insert_with(|| match_key(lang, norm).to_string());
            }
            stream.push(h);
        }
        stream.push(SEP);
    }
    // 2. Vocabulary by frequency (ties by hash: deterministic).
    let mut words: Vec<(u32, u64)> = freq
        .iter()
        .filter(|(_, c)| **c >= p.min_count)
        .map(|(h, c)| (*c, *h))
        .collect();
    words.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    words.truncate(p.max_vocab);
    let v = words.len();
    if v < p.k.max(2) || p.k == 0 || p.k > u16::MAX as usize - 1 {
        return Clusters::default();
    }
    let mut idx: U64Map<u32> = U64Map::default();
    for (i, (_, h)) in words.iter().enumerate() {
        idx.insert(*h, i as u32);
    }
    let n_ctx = p.n_ctx.min(v) as u32;
    // 3. Co-occurrence events (word, context dim), counted by sorting.
    let ids: Vec<u32> = stream
        .iter()
        .map(|h| {
            if *h == SEP {
                u32::MAX - 1
            } else {
                idx.get(h).copied().unwrap_or(u32::MAX)
            }
        })
        .collect();
    drop(stream);
    let mut ev: Vec<u64> = Vec::with_capacity(ids.len() * 4);
    for i in 0..ids.len() {
        let w = ids[i];
        if w >= u32::MAX - 1 {
            continue;
        }
        for (slot, off) in [-1isize, 1, -2, 2].iter().enumerate() {
            if slot >= 2 * p.window.clamp(1, 2) {
                break;
            }
            let j = i as isize + off;
            // Stop at text boundaries.
            let blocked = if *off < 0 {
                (j.max(0) as usize..i).any(|x| ids[x] == u32::MAX - 1)
            } else {
                (i + 1..=(j as usize).min(ids.len() - 1)).any(|x| ids[x] == u32::MAX - 1)
            };
            if j < 0 || j as usize >= ids.len() || blocked {
                continue;
            }
            let c = ids[j as usize];
            if c < n_ctx {
                let dim = slot as u32 * n_ctx + c;
                ev.push((u64::from(w) << 32) | u64::from(dim));
            }
        }
    }
    ev.sort_unstable();
    // Totals for PMI.
    let ndim = 4 * n_ctx as usize;
    let mut wtot = vec![0f64; v];
    let mut dtot = vec![0f64; ndim];
    let mut runs: Vec<(u32, u32, u32)> = Vec::new();
    let mut i = 0;
    while i < ev.len() {
        let e = ev[i];
        let mut j = i;
        while j < ev.len() && ev[j] == e {
            j += 1;
        }
        let (w, d, c) = ((e >> 32) as u32, e as u32, (j - i) as u32);
        wtot[w as usize] += f64::from(c);
        dtot[d as usize] += f64::from(c);
        runs.push((w, d, c));
        i = j;
    }
    drop(ev);
    let total: f64 = wtot.iter().sum::<f64>().max(1.0);
    // 4. PPMI, projected to `dim` with fixed ±1 signs per context dim.
    let dim = p.dim.clamp(8, 256);
    let signs: Vec<Vec<f32>> = (0..ndim)
        .map(|d| {
            (0..dim)
                .map(|k| {
                    let h = mix((d as u64) << 16 ^ (k as u64 / 64) ^ 0xC1A5_7E25);
                    if (h >> (k % 64)) & 1 == 1 {
                        1.0
                    } else {
                        -1.0
                    }
                })
                .collect()
        })
        .collect();
    let mut vecs = vec![0f32; v * dim];
    for (w, d, c) in &runs {
        let pmi = (f64::from(*c) * total / (wtot[*w as usize] * dtot[*d as usize])).ln();
        if pmi <= 0.0 {
            continue;
        }
        let row = &mut vecs[*w as usize * dim..(*w as usize + 1) * dim];
        for (x, s) in row.iter_mut().zip(&signs[*d as usize]) {
            *x += pmi as f32 * s;
        }
    }
    drop(runs);
    normalise_rows(&mut vecs, dim);
    // 5. Spherical k-means, then the centroids into coarse groups.
    let fine = kmeans(&vecs, dim, p.k, p.iters);
    let cent = centroids(&vecs, dim, &fine, p.k);
    let kc = p.k_coarse.clamp(1, 255).min(p.k);
    let coarse_of = kmeans(&cent, dim, kc, p.iters);
    let mut out = Clusters {
        map: U64Map::default(),
        coarse: coarse_of.iter().map(|c| (*c + 1) as u8).collect(),
    };
    for (i, (_, h)) in words.iter().enumerate() {
        out.map.insert(*h, (fine[i] + 1) as u16);
    }
    if let Some(path) = dump {
        let mut lines = vec![String::new(); p.k];
        for (i, (_, h)) in words.iter().enumerate() {
            let l = &mut lines[fine[i] as usize];
            if l.len() < 400 {
                l.push_str(forms.get(h).map_or("?", String::as_str));
                l.push(' ');
            }
        }
        let text: String = lines
            .iter()
            .enumerate()
            .map(|(c, l)| format!("{c}\t{}\t{l}\n", coarse_of.get(c).copied().unwrap_or(0)))
            .collect();
        let _ = std::fs::write(path, text);
    }
    out
}

fn normalise_rows(vecs: &mut [f32], dim: usize) {
    for row in vecs.chunks_mut(dim) {
        let n = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        if n > 0.0 {
            for x in row.iter_mut() {
                *x /= n;
            }
        }
    }
}

fn centroids(vecs: &[f32], dim: usize, assign: &[u32], k: usize) -> Vec<f32> {
    let mut c = vec![0f32; k * dim];
    for (row, a) in vecs.chunks(dim).zip(assign) {
        let dst = &mut c[*a as usize * dim..(*a as usize + 1) * dim];
        for (d, x) in dst.iter_mut().zip(row) {
            *d += x;
        }
    }
    normalise_rows(&mut c, dim);
    c
}

/// Spherical k-means (cosine), rows in frequency order; returns the
/// cluster of each row. Deterministic: fixed initial centroids, ties to the
/// lowest cluster id, sums in row order.
fn kmeans(vecs: &[f32], dim: usize, k: usize, iters: usize) -> Vec<u32> {
    use rayon::prelude::*;
    let n = vecs.len() / dim;
    let k = k.min(n).max(1);
    let mut cent = vec![0f32; k * dim];
    for c in 0..k {
        let r = c * n / k;
        cent[c * dim..(c + 1) * dim].copy_from_slice(&vecs[r * dim..(r + 1) * dim]);
    }
    let mut assign = vec![0u32; n];
    for _ in 0..iters.max(1) {
        let new: Vec<u32> = vecs
            .par_chunks(dim)
            .map(|row| {
                let mut best = f32::NEG_INFINITY;
                let mut arg = 0u32;
                for (ci, c) in cent.chunks(dim).enumerate() {
                    let s: f32 = row.iter().zip(c).map(|(a, b)| a * b).sum();
                    if s > best {
                        best = s;
                        arg = ci as u32;
                    }
                }
                arg
            })
            .collect();
        let changed = new != assign;
        assign = new;
        let fresh = centroids(vecs, dim, &assign, k);
        // An empty cluster keeps its old centroid.
        let mut used = vec![false; k];
        for a in &assign {
            used[*a as usize] = true;
        }
        for c in 0..k {
            if used[c] {
                cent[c * dim..(c + 1) * dim].copy_from_slice(&fresh[c * dim..(c + 1) * dim]);
            }
        }
        if !changed {
            break;
        }
    }
    assign
}

/// Texts of the `text` field of a JSON-lines file (the topic corpus).
pub fn jsonl_texts(path: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let s = std::fs::read_to_string(path)?;
    let mut out = Vec::new();
    for line in s.lines() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line)?;
        if let Some(t) = v.get("text").and_then(|t| t.as_str()) {
            out.push(t.to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_in_the_same_contexts_share_a_cluster_and_round_trip() {
        // Own toy text: names after "mr" / before "said", places after "in".
        let mut texts = Vec::new();
        let names = ["smith", "jones", "brown", "taylor", "wilson", "davies"];
        let places = ["paris", "london", "rabat", "cairo", "tunis", "dubai"];
        for (i, n) in names.iter().enumerate() {
            for (j, pl) in places.iter().enumerate() {
                if (i + j) % 2 == 0 {
                    texts.push(format!(
                        "yesterday mr {n} said in {pl} that the plan was good"
                    ));
                    texts.push(format!("the team of mr {n} arrived in {pl} on monday"));
                }
            }
        }
        let p = Params {
            k: 4,
            k_coarse: 2,
            min_count: 2,
            max_vocab: 1000,
            n_ctx: 50,
            dim: 32,
            iters: 20,
            window: 2,
        };
        let c = learn(Lang::En, texts.iter().map(String::as_str), &p);
        assert!(!c.is_empty());
        let f = |w: &str| c.lookup(hash_str(w)).0;
        assert_ne!(f("smith"), 0);
        assert_eq!(f("smith"), f("jones"));
        assert_eq!(f("paris"), f("london"));
        assert_ne!(f("smith"), f("paris"));
        assert_eq!(c.lookup(hash_str("unseenword")), (0, 0));
        let mut w = ByteWriter::default();
        c.write(&mut w);
        let mut r = ByteReader::new(&w.buf);
        let back = Clusters::read(&mut r).unwrap();
        assert_eq!(back.lookup(hash_str("smith")), c.lookup(hash_str("smith")));
        assert_eq!(back.len(), c.len());
    }
}
