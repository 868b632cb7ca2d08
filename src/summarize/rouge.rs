//! ROUGE-1/2/L F1, implemented here so every system (ours and the
//! baselines) is scored by exactly the same code.
//!
//! Tokens: maximal runs of Unicode word characters (alphanumeric or `_`,
//! like Python's `\w+`) after one normalisation for all texts: NFKC,
//! lowercase (plus ß → ss, as `str.casefold` does), Arabic diacritics and
//! tatweel removed, hamzated/wasla alef (أ إ آ ٱ) → bare alef ا. The last one
//! matters: the EASC references were typed without hamza. No stemming, no
//! stop-word removal (as in the SOURCES.md baseline table).
//!
//! Scores: ROUGE-N F1 = harmonic mean of clipped n-gram overlap over
//! candidate and reference n-gram counts; ROUGE-L F1 from the longest common
//! subsequence of the two whole token sequences (β = 1); ROUGE-Lsum F1 from
//! the summary-level union LCS over sentences, as `rouge_score`'s
//! `rougeLsum` computes it (see [`rouge_lsum`]).

use std::collections::HashMap;
use unicode_normalization::UnicodeNormalization;

/// Normalised word tokens of `text` (see the module doc).
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.nfkc() {
        if is_dropped(c) {
            continue;
        }
        let c = match c {
            '\u{0623}' | '\u{0625}' | '\u{0622}' | '\u{0671}' => '\u{0627}',
            c => c,
        };
        if c.is_alphanumeric() || c == '_' {
            if c == 'ß' || c == 'ẞ' {
                cur.push_str("ss");
            } else if c.is_uppercase() {
                cur.extend(c.to_lowercase());
            } else {
                cur.push(c);
            }
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Arabic diacritics (harakat, tanwin, shadda, sukun, superscript alef,
/// Quranic marks) and tatweel: dropped without splitting the word.
fn is_dropped(c: char) -> bool {
    matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' | '\u{06D6}'..='\u{06ED}')
}

/// Maps token strings to dense ids so n-grams compare as integers.
#[derive(Default)]
pub struct Vocab {
    ids: HashMap<String, u32>,
}

impl Vocab {
    /// Ids of the normalised tokens of `text`.
    pub fn ids(&mut self, text: &str) -> Vec<u32> {
        tokens(text)
            .into_iter()
            .map(|t| {
                let n = self.ids.len() as u32;
                *self.ids.entry(t).or_insert(n)
            })
            .collect()
    }
}

/// Precision, recall and F1 of one comparison.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Prf {
    pub p: f64,
    pub r: f64,
    pub f: f64,
}

impl Prf {
    fn new(overlap: usize, cand: usize, reference: usize) -> Prf {
        let p = if cand == 0 {
            0.0
        } else {
            overlap as f64 / cand as f64
        };
        let r = if reference == 0 {
            0.0
        } else {
            overlap as f64 / reference as f64
        };
        let f = if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        };
        Prf { p, r, f }
    }
}

/// Sorted n-gram keys of a token-id sequence (n = 1 or 2).
fn ngrams(ids: &[u32], n: usize, out: &mut Vec<u64>) {
    out.clear();
    match n {
        1 => out.extend(ids.iter().map(|&a| u64::from(a))),
        _ => out.extend(
            ids.windows(2)
                .map(|w| (u64::from(w[0]) << 32) | u64::from(w[1])),
        ),
    }
    out.sort_unstable();
}

/// Clipped overlap of two sorted multisets (the same merge as sentence
/// scoring uses).
fn overlap(a: &[u64], b: &[u64]) -> usize {
    super::score::intersect_count(a, b)
}

/// ROUGE-N (n = 1 or 2) of a candidate against one reference.
pub fn rouge_n(cand: &[u32], reference: &[u32], n: usize) -> Prf {
    let mut a = Vec::new();
    let mut b = Vec::new();
    ngrams(cand, n, &mut a);
    ngrams(reference, n, &mut b);
    Prf::new(overlap(&a, &b), a.len(), b.len())
}

/// Length of the longest common subsequence (one DP row, O(n·m) time).
pub fn lcs(a: &[u32], b: &[u32]) -> usize {
    let mut row = vec![0u32; b.len() + 1];
    for &x in a {
        let mut diag = 0u32;
        for (j, &y) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = if x == y { diag + 1 } else { up.max(row[j]) };
            diag = up;
        }
    }
    row.last().copied().unwrap_or(0) as usize
}

/// ROUGE-L of a candidate against one reference.
pub fn rouge_l(cand: &[u32], reference: &[u32]) -> Prf {
    Prf::new(lcs(cand, reference), cand.len(), reference.len())
}

/// ROUGE-Lsum (summary-level LCS) of candidate sentences against reference
/// sentences, exactly as `rouge_score`'s `rougeLsum` (Lin 2004, §3.2):
/// for each reference sentence, the union of the reference positions of its
/// LCS with every candidate sentence (the LCS found by `rouge_score`'s
/// backtracking, whose tie-breaking decides *which* positions) gives
/// hits, each clipped by how often the token is still unused in the whole
/// candidate and the whole reference. P = hits / candidate tokens,
/// R = hits / reference tokens.
///
/// Why it matters here: whole-text ROUGE-L needs the summary's sentences in
/// the reference's order, but the BBC references are not in article order,
/// so ROUGE-L understates every extractive system there; Lsum is
/// insensitive to sentence order.
pub fn rouge_lsum(cand: &[Vec<u32>], reference: &[Vec<u32>]) -> Prf {
    let m: usize = reference.iter().map(Vec::len).sum();
    let n: usize = cand.iter().map(Vec::len).sum();
    if m == 0 || n == 0 {
        return Prf::default();
    }
    let mut cnt_r: HashMap<u32, u32> = HashMap::new();
    let mut cnt_c: HashMap<u32, u32> = HashMap::new();
    for &t in reference.iter().flatten() {
        *cnt_r.entry(t).or_insert(0) += 1;
    }
    for &t in cand.iter().flatten() {
        *cnt_c.entry(t).or_insert(0) += 1;
    }
    let mut hits = 0usize;
    let mut in_union: Vec<bool> = Vec::new();
    let mut table: Vec<u32> = Vec::new();
    for r in reference {
        in_union.clear();
        in_union.resize(r.len(), false);
        for c in cand {
            lcs_positions(r, c, &mut table, &mut in_union);
        }
        for (&t, _) in r.iter().zip(&in_union).filter(|(_, &u)| u) {
            let (Some(cr), Some(cc)) = (cnt_r.get(&t).copied(), cnt_c.get(&t).copied()) else {
                continue;
            };
            if cr > 0 && cc > 0 {
                hits += 1;
                cnt_r.insert(t, cr - 1);
                cnt_c.insert(t, cc - 1);
            }
        }
    }
    Prf::new(hits, n, m)
}

/// Mark in `mark` the positions of `r` on one LCS of `r` and `c`, chosen by
/// the same backtracking as `rouge_score` (`_backtrack_norec`: on a match
/// step diagonally, else move along `c` only when that keeps a strictly
/// longer LCS, otherwise along `r`).
fn lcs_positions(r: &[u32], c: &[u32], table: &mut Vec<u32>, mark: &mut [bool]) {
    let w = c.len() + 1;
    table.clear();
    table.resize((r.len() + 1) * w, 0);
    let at = |t: &[u32], i: usize, j: usize| t.get(i * w + j).copied().unwrap_or(0);
    for (i, &x) in r.iter().enumerate() {
        for (j, &y) in c.iter().enumerate() {
            let v = if x == y {
                at(table, i, j) + 1
            } else {
                at(table, i, j + 1).max(at(table, i + 1, j))
            };
            if let Some(cell) = table.get_mut((i + 1) * w + j + 1) {
                *cell = v;
            }
        }
    }
    let (mut i, mut j) = (r.len(), c.len());
    while i > 0 && j > 0 {
        if r.get(i - 1) == c.get(j - 1) {
            if let Some(m) = mark.get_mut(i - 1) {
                *m = true;
            }
            i -= 1;
            j -= 1;
        } else if at(table, i, j - 1) > at(table, i - 1, j) {
            j -= 1;
        } else {
            i -= 1;
        }
    }
}

/// R1, R2, RL F1 of a candidate against one reference.
pub fn rouge_all(cand: &[u32], reference: &[u32]) -> [f64; 3] {
    [
        rouge_n(cand, reference, 1).f,
        rouge_n(cand, reference, 2).f,
        rouge_l(cand, reference).f,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &mut Vocab, s: &str) -> Vec<u32> {
        v.ids(s)
    }

    #[test]
    fn hand_computed_example() {
        // cand: the cat sat on the mat   (6 tokens)
        // ref : the cat was on the mat   (6 tokens)
        // unigram overlap: the×2, cat, on, mat = 5 → P = R = F = 5/6
        // bigrams cand: the-cat cat-sat sat-on on-the the-mat
        //         ref : the-cat cat-was was-on on-the the-mat → 3 common → 3/5
        // LCS: the cat on the mat = 5 → 5/6
        let mut v = Vocab::default();
        let c = ids(&mut v, "The cat sat on the mat.");
        let r = ids(&mut v, "the cat was on the mat");
        let [r1, r2, rl] = rouge_all(&c, &r);
        assert!((r1 - 5.0 / 6.0).abs() < 1e-12);
        assert!((r2 - 3.0 / 5.0).abs() < 1e-12);
        assert!((rl - 5.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn unequal_lengths() {
        // cand "a b c d" vs ref "a c": R1 P = 2/4, R = 2/2 → F = 2·.5·1/1.5 = 2/3
        // bigrams: cand a-b b-c c-d, ref a-c → 0; LCS = 2 → 2/3
        let mut v = Vocab::default();
        let c = ids(&mut v, "a b c d");
        let r = ids(&mut v, "a c");
        let [r1, r2, rl] = rouge_all(&c, &r);
        assert!((r1 - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(r2, 0.0);
        assert!((rl - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(rouge_all(&[], &r), [0.0, 0.0, 0.0]);
    }

    #[test]
    fn lsum_hand_computed() {
        // ref sentences: [a b c d] [e f]; cand sentences: [a x c] [b d e]
        // ref 1: LCS with "a x c" → a, c (positions 0, 2); with "b d e" →
        //        b, d (1, 3); union = all four → 4 hits.
        // ref 2: LCS with "a x c" → none; with "b d e" → e → 1 hit.
        // hits 5, |cand| = 6, |ref| = 6 → P = R = F = 5/6, while whole-text
        // ROUGE-L of "a x c b d e" vs "a b c d e f" is only 4/6.
        let mut v = Vocab::default();
        let c = vec![v.ids("a x c"), v.ids("b d e")];
        let r = vec![v.ids("a b c d"), v.ids("e f")];
        let s = rouge_lsum(&c, &r);
        assert!((s.p - 5.0 / 6.0).abs() < 1e-12);
        assert!((s.r - 5.0 / 6.0).abs() < 1e-12);
        assert!((s.f - 5.0 / 6.0).abs() < 1e-12);
        let flat_c: Vec<u32> = c.concat();
        let flat_r: Vec<u32> = r.concat();
        assert!((rouge_l(&flat_c, &flat_r).f - 4.0 / 6.0).abs() < 1e-12);
        // Order of the candidate sentences does not matter.
        let swapped = vec![c[1].clone(), c[0].clone()];
        assert!((rouge_lsum(&swapped, &r).f - 5.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn lsum_union_and_clipping() {
        // ref [a a], cand [a] [a] [a]: each LCS is the single position 1
        // (backtracking from the end matches the last a), so the union is
        // {1} → 1 hit; P = 1/3, R = 1/2, F = 2·(1/3)(1/2)/(5/6) = 0.4.
        let mut v = Vocab::default();
        let r = vec![v.ids("a a")];
        let c = vec![v.ids("a"), v.ids("a"), v.ids("a")];
        let s = rouge_lsum(&c, &r);
        assert!((s.p - 1.0 / 3.0).abs() < 1e-12);
        assert!((s.r - 0.5).abs() < 1e-12);
        assert!((s.f - 0.4).abs() < 1e-12);
        // Clipping across reference sentences: ref [a] [a], cand [a] →
        // each ref sentence finds a, but the candidate has only one a.
        let r2 = vec![v.ids("a"), v.ids("a")];
        let s2 = rouge_lsum(&[v.ids("a")], &r2);
        assert!((s2.p - 1.0).abs() < 1e-12);
        assert!((s2.r - 0.5).abs() < 1e-12);
        assert_eq!(rouge_lsum(&[], &r2), Prf::default());
        assert_eq!(rouge_lsum(&r2, &[vec![]]), Prf::default());
    }

    #[test]
    fn normalisation() {
        assert_eq!(
            tokens("أحمد إلى آخر ٱلحمد مُحَمَّد كـــتاب"),
            ["احمد", "الى", "اخر", "الحمد", "محمد", "كتاب"]
        );
        assert_eq!(
            tokens("L'État, Straße ﬁn!"),
            ["l", "état", "strasse", "fin"]
        );
        assert_eq!(tokens("$100m (£52m) 2004"), ["100m", "52m", "2004"]);
    }
}
