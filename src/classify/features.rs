//! Hashed features for the topic model, shared by training and inference.
//!
//! A document is first reduced to *units* with a weight:
//! - one **word unit** per distinct (normalised form, stem) pair of the word
//!   tokens outside boilerplate/bylines; it expands into the hashed buckets of
//!   its normalised form, its stem (Arabic clitic-stripped / light fr-en stem)
//!   and its character 3–5-grams inside `<` `>` boundary markers;
//! - one **bigram unit** per distinct pair of adjacent word tokens in a
//!   sentence (normalised forms);
//! - one **number unit** per distinct digit count (years vs scores vs prices).
//!
//! Unit weight = `1 + ln(c)` where `c` counts occurrences, title occurrences
//! counting `title_weight` times (sublinear tf: a word repeated 20 times in a
//! long article must not drown the rest). The document vector is
//! `Σ_u w_u · expand(u) / sqrt(Σ_u w_u² + len_smoothing)`: close to cosine
//! normalisation (what makes the TF-IDF + SVC baseline robust across article
//! lengths), the small smoothing term keeps a three-word snippet from being
//! as confident as a full article.
//!
//! Why units rather than a flat bag of buckets: the linear score of a word
//! unit does not depend on the document, so inference pre-sums each known
//! word's unigram + stem + char-n-gram weights into one row (see
//! `model.rs`), turning ~15 random memory reads per token into one. Training
//! expands the same units explicitly ([`expand_unit`]), so both paths compute
//! the same function (up to quantisation).

use crate::text::{Document, Role, TokenKind};

/// Feature settings stored in the model file (inference must use exactly
/// the settings the model was trained with).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeatureConfig {
    /// log2 of the number of hash buckets.
    pub bucket_bits: u32,
    /// How many times a title occurrence counts.
    pub title_weight: f32,
    /// Weight of a word's char-n-gram block (the block is normalised to
    /// unit length per word, then scaled by this).
    pub char_weight: f32,
    /// Weight of the stem feature relative to the unigram.
    pub stem_weight: f32,
    /// Weight of bigram units.
    pub bigram_weight: f32,
    /// Added to the squared norm before the square root (see module docs).
    pub len_smoothing: f32,
    /// Smallest / largest char n-gram length.
    pub char_min: u8,
    pub char_max: u8,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            bucket_bits: 18,
            title_weight: 3.0,
            char_weight: 1.0,
            stem_weight: 1.0,
            bigram_weight: 1.0,
            len_smoothing: 1.0,
            char_min: 3,
            char_max: 5,
        }
    }
}

impl FeatureConfig {
    pub fn mask(&self) -> u32 {
        ((1u64 << self.bucket_bits.min(31)) - 1) as u32
    }
}

/// Longest word (in chars) whose char n-grams are taken in full; longer
/// "words" (URLs, runs of letters) only contribute their first part.
const MAX_NGRAM_CHARS: usize = 40;

pub(crate) const SEED_NORM: u64 = 0x6e6f_726d_5f5f_0001;
pub(crate) const SEED_STEM: u64 = 0x7374_656d_5f5f_0002;
const SEED_CHAR: u64 = 0x6368_6172_5f5f_0003;
const SEED_BIGRAM: u64 = 0x6269_6772_5f5f_0004;
const SEED_NUM: u64 = 0x6e75_6d5f_5f5f_0005;
const SEED_UNI: u64 = 0x756e_695f_5f5f_0006;
const SEED_STEMB: u64 = 0x7374_6d62_5f5f_0007;

/// Finaliser of MurmurHash3 (good avalanche, 5 ops).
#[inline]
pub fn mix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// Fast, deterministic 64-bit hash of a byte string, 8 bytes per step
/// (words are short: this is ~2 multiplies per word instead of one per
/// byte with FNV). Stable across platforms and runs: it is part of the
/// model format.
#[inline]
pub fn hash_bytes(seed: u64, b: &[u8]) -> u64 {
    mix64(crate::hash::chunked(seed, b))
}

/// The norm hash before its finaliser: `hash_bytes(SEED_NORM, b) ==
/// mix64(norm_hash_raw(b))`. Inference merges a document's tokens on this
/// value (the finaliser is a bijection, so the merge is the same) and
/// finalises once per distinct word instead of once per token.
#[inline]
pub fn norm_hash_raw(b: &[u8]) -> u64 {
    crate::hash::chunked(SEED_NORM, b)
}

#[inline]
fn bucket(h: u64, seed: u64, mask: u32) -> u32 {
    (mix64(h ^ seed) as u32) & mask
}

/// Bucket of a bigram or number unit (one row of the bucket matrix).
#[inline]
pub fn unit_bucket(key: u64, mask: u32) -> u32 {
    bucket(key, SEED_UNI, mask)
}

/// Key of the bigram unit (previous word, this word) from the hashes of
/// their normalised forms.
#[inline]
pub fn bigram_key(prev_h_norm: u64, h_norm: u64) -> u64 {
    mix64(prev_h_norm.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ h_norm ^ SEED_BIGRAM)
}

/// Key of the number unit of a numeric token: its digit count (capped at
/// 8) says "year" vs "score" vs "price" without learning the numbers.
#[inline]
pub fn number_key(norm: &str) -> u64 {
    number_key_of_digits(digit_count(norm))
}

/// ASCII digits in a numeric token's normalised form.
#[inline]
pub fn digit_count(norm: &str) -> usize {
    norm.bytes().filter(u8::is_ascii_digit).count()
}

/// Number unit key from a digit count (capped at 8): inference merges
/// numbers by digit count and hashes each distinct count once.
#[inline]
pub fn number_key_of_digits(digits: usize) -> u64 {
    mix64(SEED_NUM ^ digits.min(8) as u64)
}

/// Sublinear tf `1 + ln c` (and `c` itself for `c <= 1`), shared by
/// training and inference so both weigh a unit identically.
#[inline]
pub fn sublinear_tf(count: f32) -> f32 {
    if count <= 1.0 {
        count
    } else {
        1.0 + count.ln()
    }
}

/// What a unit is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UnitKind<'d> {
    Word {
        norm: &'d str,
        stem: &'d str,
        h_norm: u64,
        h_stem: u64,
    },
    Bigram,
    Number,
}

/// One distinct unit of a document, with its (tf-summed) count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unit<'d> {
    pub key: u64,
    pub count: f32,
    pub kind: UnitKind<'d>,
}

impl Unit<'_> {
    /// Sublinear tf × idf weight of the unit (before document normalisation).
    #[inline]
    pub fn weight(&self, cfg: &FeatureConfig, idf: &[u8]) -> f32 {
        self.weight_with_idf(cfg, idf_of(self.key, idf))
    }
    /// Same with the idf already looked up (the word table caches it).
    #[inline]
    pub fn weight_with_idf(&self, cfg: &FeatureConfig, idf: f32) -> f32 {
        let w = sublinear_tf(self.count) * idf;
        match self.kind {
            UnitKind::Bigram => w * cfg.bigram_weight,
            _ => w,
        }
    }
}

/// Resolution of the stored idf: value = byte / IDF_STEPS.
pub const IDF_STEPS: f32 = 16.0;

/// Hashed idf of a unit: `ln((N+1)/(df+1)) + 1` quantised to a byte, in a
/// table indexed by the unit key (colliding units share a bucket; training
/// sums their df, so a collision can only lower the weight). An empty table
/// means no idf (weight 1).
#[inline]
pub fn idf_of(key: u64, idf: &[u8]) -> f32 {
    if idf.is_empty() {
        return 1.0;
    }
    let i = ((key >> 40) as usize) & (idf.len() - 1);
    idf.get(i).map(|&b| b as f32 / IDF_STEPS).unwrap_or(1.0)
}

/// Index of a unit key in an idf table of `len` (a power of two).
#[inline]
pub fn idf_index(key: u64, len: usize) -> usize {
    ((key >> 40) as usize) & len.wrapping_sub(1)
}

/// Key of a word unit from the hashes of its normalised form and stem.
#[inline]
pub fn word_key(h_norm: u64, h_stem: u64) -> u64 {
    // Never 0: 0 marks an empty slot of the model's word table.
    mix64(h_norm ^ h_stem.rotate_left(23) ^ 0x5151) | 1
}

/// Does this sentence role carry topic evidence? Bylines name authors and
/// outlets (learning them would learn the *site*, one of the data's traps)
/// and boilerplate is the site's furniture.
#[inline]
pub fn role_used(role: Role) -> bool {
    !matches!(role, Role::Byline | Role::Boilerplate)
}

/// Does `doc` have no word outside bylines and boilerplate? Then every
/// sentence is used: the structure pass guesses roles from short lines, and
/// on a text that is one short line (a tweet "RT @…: …", a lone sentence it
/// took for furniture) skipping them all would return no topic for a text
/// with plenty of words (8 of 2,102 fr+ar dev rows of fold 0). In an article
/// with a body the bylines stay out, so the outlet is still not learned.
#[inline]
pub fn use_all_roles(doc: &Document<'_>) -> bool {
    !doc.sentences.iter().any(|s| {
        role_used(s.role)
            && doc
                .sentence_tokens(s)
                .iter()
                .any(|t| t.kind == TokenKind::Word && !t.norm.is_empty())
    })
}

/// Call `sink` with every raw unit occurrence of `doc` (not yet merged), in
/// document order. `force_title` treats every sentence as title (used for a
/// caller's separate title field, analysed as its own document). A sink
/// rather than a buffer: inference merges occurrences straight into its
/// hash table without materialising them.
pub fn for_each_occurrence<'d>(
    doc: &'d Document<'_>,
    cfg: &FeatureConfig,
    force_title: bool,
    mut sink: impl FnMut(Unit<'d>),
) {
    let all_roles = use_all_roles(doc);
    for s in &doc.sentences {
        if !all_roles && !role_used(s.role) {
            continue;
        }
        let c = if force_title || s.role == Role::Title {
            cfg.title_weight
        } else {
            1.0
        };
        let mut prev: Option<u64> = None;
        for t in doc.sentence_tokens(s) {
            match t.kind {
                TokenKind::Word => {
                    let norm = doc.norm(t);
                    if norm.is_empty() {
                        prev = None;
                        continue;
                    }
                    let stem = doc.stem(t);
                    let stem = if stem.is_empty() { norm } else { stem };
                    let h_norm = hash_bytes(SEED_NORM, norm.as_bytes());
                    let h_stem = hash_bytes(SEED_STEM, stem.as_bytes());
                    sink(Unit {
                        key: word_key(h_norm, h_stem),
                        count: c,
                        kind: UnitKind::Word {
                            norm,
                            stem,
                            h_norm,
                            h_stem,
                        },
                    });
                    if let Some(p) = prev {
                        sink(Unit {
                            key: bigram_key(p, h_norm),
                            count: c,
                            kind: UnitKind::Bigram,
                        });
                    }
                    prev = Some(h_norm);
                }
                TokenKind::Number => {
                    sink(Unit {
                        key: number_key(doc.norm(t)),
                        count: c,
                        kind: UnitKind::Number,
                    });
                    prev = None;
                }
                TokenKind::Punct | TokenKind::Symbol => prev = None,
            }
        }
    }
}

/// Push the raw unit occurrences of `doc` (not yet merged) onto `out`.
pub fn push_occurrences<'d>(
    doc: &'d Document<'_>,
    cfg: &FeatureConfig,
    force_title: bool,
    out: &mut Vec<Unit<'d>>,
) {
    for_each_occurrence(doc, cfg, force_title, |u| out.push(u));
}

/// Merge occurrences with the same key (sorting by key: deterministic,
/// training-side; inference merges with a hash table instead, see model.rs).
pub fn merge_sorted(units: &mut Vec<Unit<'_>>) {
    units.sort_by_key(|u| u.key);
    let mut w = 0usize;
    for r in 0..units.len() {
        if w > 0 && units[w - 1].key == units[r].key {
            let c = units[r].count;
            units[w - 1].count += c;
        } else {
            units[w] = units[r];
            w += 1;
        }
    }
    units.truncate(w);
}

/// The squared-norm normaliser of a document from its merged units.
#[inline]
pub fn doc_scale(sum_sq: f32, cfg: &FeatureConfig) -> f32 {
    1.0 / (sum_sq + cfg.len_smoothing).sqrt()
}

/// Reusable scratch for [`expand_word`] (no allocation per word).
#[derive(Default)]
pub struct NgramScratch {
    bytes: Vec<u8>,
    bounds: Vec<usize>,
}

/// Expand a word into (bucket, value) pairs, unscaled by the unit weight.
pub fn expand_word(
    norm: &str,
    h_norm: u64,
    h_stem: u64,
    cfg: &FeatureConfig,
    scratch: &mut NgramScratch,
    out: &mut Vec<(u32, f32)>,
) {
    let mask = cfg.mask();
    out.push((bucket(h_norm, SEED_UNI, mask), 1.0));
    if cfg.stem_weight != 0.0 {
        out.push((bucket(h_stem, SEED_STEMB, mask), cfg.stem_weight));
    }
    if cfg.char_weight == 0.0 {
        return;
    }
    let b = &mut scratch.bytes;
    let bounds = &mut scratch.bounds;
    b.clear();
    bounds.clear();
    b.push(b'<');
    bounds.push(0);
    // The first MAX_NGRAM_CHARS characters, found on the bytes (a character
    // starts at every byte that is not a UTF-8 continuation byte) and copied
    // in one piece: decoding and re-encoding each `char` was a fifth of
    // this function, which runs for every word the model has not seen.
    let nb = norm.as_bytes();
    let mut cut = nb.len();
    let mut n_chars = 0usize;
    for (i, &x) in nb.iter().enumerate() {
        if x & 0xC0 != 0x80 {
            if n_chars == MAX_NGRAM_CHARS {
                cut = i;
                break;
            }
            n_chars += 1;
            bounds.push(1 + i);
        }
    }
    b.extend_from_slice(nb.get(..cut).unwrap_or(nb));
    bounds.push(b.len());
    b.push(b'>');
    bounds.push(b.len());
    // bounds has nchars+1 entries; char i spans bounds[i]..bounds[i+1].
    let nchars = bounds.len() - 1;
    let lo = cfg.char_min.max(1) as usize;
    let hi = cfg.char_max.max(cfg.char_min) as usize;
    // Every n-gram gets the same value, char_weight / sqrt(k) for the k
    // n-grams of the word: counted first, so each pair is written once.
    let k: usize = (lo..=hi)
        .take_while(|&n| n <= nchars)
        .map(|n| nchars + 1 - n)
        .sum();
    if k == 0 {
        return;
    }
    let v = cfg.char_weight / (k as f32).sqrt();
    let b = &b[..];
    for n in lo..=hi {
        if n > nchars {
            break;
        }
        // (zipped slices: the vector reserves once, no per-item checks)
        out.extend(
            bounds
                .iter()
                .zip(bounds.get(n..).unwrap_or(&[]))
                .map(|(&s, &e)| {
                    let g = b.get(s..e).unwrap_or(&[]);
                    ((hash_bytes(SEED_CHAR, g) as u32) & mask, v)
                }),
        );
    }
}

/// Expand any unit into (bucket, value) pairs, unscaled by its weight.
pub fn expand_unit(
    u: &Unit<'_>,
    cfg: &FeatureConfig,
    scratch: &mut NgramScratch,
    out: &mut Vec<(u32, f32)>,
) {
    match u.kind {
        UnitKind::Word {
            norm,
            h_norm,
            h_stem,
            ..
        } => expand_word(norm, h_norm, h_stem, cfg, scratch, out),
        UnitKind::Bigram | UnitKind::Number => out.push((unit_bucket(u.key, cfg.mask()), 1.0)),
    }
}

/// Sparse document vector for training: sorted, merged (bucket, value).
pub fn doc_vector(
    units: &[Unit<'_>],
    cfg: &FeatureConfig,
    idf: &[u8],
    scratch: &mut NgramScratch,
    out: &mut Vec<(u32, f32)>,
) {
    out.clear();
    let mut tmp = Vec::new();
    let mut sum_sq = 0.0f32;
    for u in units {
        let w = u.weight(cfg, idf);
        sum_sq += w * w;
        tmp.clear();
        expand_unit(u, cfg, scratch, &mut tmp);
        out.extend(tmp.iter().map(|&(b, v)| (b, v * w)));
    }
    let z = doc_scale(sum_sq, cfg);
    out.sort_by_key(|p| p.0);
    let mut w = 0usize;
    for r in 0..out.len() {
        if w > 0 && out[w - 1].0 == out[r].0 {
            let v = out[r].1;
            out[w - 1].1 += v;
        } else {
            out[w] = out[r];
            w += 1;
        }
    }
    out.truncate(w);
    for p in out.iter_mut() {
        p.1 *= z;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_and_length_sensitive() {
        assert_eq!(hash_bytes(1, b"abc"), hash_bytes(1, b"abc"));
        assert_ne!(hash_bytes(1, b"abc"), hash_bytes(1, b"abc\0"));
        assert_ne!(hash_bytes(1, b"abcdefgh"), hash_bytes(2, b"abcdefgh"));
        // Pinned value: the hash is part of the model format.
        assert_eq!(hash_bytes(0, b""), mix64(0));
    }

    /// The byte-loop tail of the original hash (the model format).
    fn hash_bytes_reference(seed: u64, b: &[u8]) -> u64 {
        const P: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut h = seed ^ (b.len() as u64).wrapping_mul(P);
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            h = (h ^ u64::from_le_bytes(a)).wrapping_mul(P).rotate_left(29);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut a = [0u8; 8];
            for (d, s) in a.iter_mut().zip(rest) {
                *d = *s;
            }
            h = (h ^ u64::from_le_bytes(a)).wrapping_mul(P).rotate_left(29);
        }
        mix64(h)
    }

    #[test]
    fn fast_tail_hash_equals_the_byte_loop() {
        let src: Vec<u8> = (0u8..=40).map(|i| i.wrapping_mul(37) ^ 0xa5).collect();
        for len in 0..=40 {
            for start in 0..3 {
                let b = &src[start..(start + len).min(src.len())];
                assert_eq!(hash_bytes(9, b), hash_bytes_reference(9, b), "len {len}");
            }
        }
        for w in ["a", "ab", "abc", "مصر", "économie", "الاقتصاد"] {
            assert_eq!(
                hash_bytes(3, w.as_bytes()),
                hash_bytes_reference(3, w.as_bytes())
            );
        }
    }

    /// The former `expand_word` (chars decoded and re-encoded one by one,
    /// the values set in a second pass), kept as the reference.
    fn expand_word_reference(norm: &str, cfg: &FeatureConfig, out: &mut Vec<(u32, f32)>) {
        let mask = cfg.mask();
        let mut b = vec![b'<'];
        let mut bounds = vec![0usize];
        for (n, ch) in norm.chars().enumerate() {
            if n >= MAX_NGRAM_CHARS {
                break;
            }
            bounds.push(b.len());
            let mut buf = [0u8; 4];
            b.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        }
        bounds.push(b.len());
        b.push(b'>');
        bounds.push(b.len());
        let nchars = bounds.len() - 1;
        let lo = cfg.char_min.max(1) as usize;
        let hi = cfg.char_max.max(cfg.char_min) as usize;
        let start = out.len();
        for n in lo..=hi {
            if n > nchars {
                break;
            }
            for i in 0..=(nchars - n) {
                let g = &b[bounds[i]..bounds[i + n]];
                out.push(((hash_bytes(SEED_CHAR, g) as u32) & mask, 1.0));
            }
        }
        let k = out.len() - start;
        if k > 0 {
            let v = cfg.char_weight / (k as f32).sqrt();
            for p in out.iter_mut().skip(start) {
                p.1 = v;
            }
        }
    }

    #[test]
    fn expand_word_equals_the_char_by_char_reference() {
        let pool = [
            "a", "é", "ب", "ة", "ـ", "\u{64b}", "€", "😀", "𝔸", "-", "'", "x", "ال", "ﻻ",
            "\u{200d}",
        ];
        let mut cfgs = vec![FeatureConfig::default()];
        for (lo, hi) in [(1, 1), (0, 0), (2, 4), (5, 3), (3, 9)] {
            cfgs.push(FeatureConfig {
                char_min: lo,
                char_max: hi,
                char_weight: 0.7,
                ..FeatureConfig::default()
            });
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut words: Vec<String> = vec![String::new(), "كتب".into(), "économie".into()];
        for _ in 0..600 {
            seed = mix64(seed);
            let len = (seed % 50) as usize;
            let mut w = String::new();
            for j in 0..len {
                w.push_str(pool[(mix64(seed ^ j as u64) % pool.len() as u64) as usize]);
            }
            words.push(w);
        }
        let mut s = NgramScratch::default();
        let (mut got, mut want) = (Vec::new(), Vec::new());
        let mut long = 0;
        for cfg in &cfgs {
            for w in &words {
                got.clear();
                want.clear();
                expand_word(w, 11, 12, cfg, &mut s, &mut got);
                want.push((bucket(11, SEED_UNI, cfg.mask()), 1.0));
                want.push((bucket(12, SEED_STEMB, cfg.mask()), cfg.stem_weight));
                expand_word_reference(w, cfg, &mut want);
                assert_eq!(got.len(), want.len(), "{w:?}");
                for (g, r) in got.iter().zip(&want) {
                    assert_eq!((g.0, g.1.to_bits()), (r.0, r.1.to_bits()), "{w:?}");
                }
                long += usize::from(w.chars().count() > MAX_NGRAM_CHARS);
            }
        }
        assert!(long > 50, "too few words past the n-gram cut: {long}");
    }

    #[test]
    fn char_ngrams_count_and_norm() {
        let cfg = FeatureConfig::default();
        let mut s = NgramScratch::default();
        let mut out = Vec::new();
        // "<كتب>" = 5 chars: 3 trigrams + 2 4-grams + 1 5-gram = 6
        expand_word("كتب", 1, 2, &cfg, &mut s, &mut out);
        assert_eq!(out.len(), 2 + 6);
        let sq: f32 = out[2..].iter().map(|p| p.1 * p.1).sum();
        assert!((sq - 1.0).abs() < 1e-5);
        // Long garbage does not blow up.
        out.clear();
        let long = "a".repeat(10_000);
        expand_word(&long, 1, 2, &cfg, &mut s, &mut out);
        assert!(out.len() < 200);
    }
}
