//! Greedy MMR selection over the scored body sentences.
//!
//! At each step the candidate maximising
//! `relevance − λ·(β·entity_redundancy + (1−β)·word_redundancy)` is picked,
//! where entity redundancy is the share of the candidate's entity weight
//! already covered by the picked sentences and word redundancy its highest
//! content-word Jaccard with a picked sentence (updated incrementally against
//! the last pick only, so a step costs O(sentences × stems)). Optional
//! bonuses for a neighbour of a picked unit (`w_adjacent`,
//! `w_glued_adjacent`; 0 by default: swept, they cost Arabic) are added.
//! Ties go to the earlier sentence.
//!
//! The Jaccard against the last pick marks that pick's stems in a per-stem
//! flag array and counts each candidate's marked stems: a branch-free sum
//! instead of a sorted merge, whose unpredictable compares were most of the
//! selection's time. Same integer counts, so the same scores.

use super::score::Scratch;
use super::{target_sentences, Chosen, Length, SummaryConfig};
use std::ops::ControlFlow;

/// Pick sentences (see the module doc); returns them in document order.
pub fn select(
    sc: &mut Scratch,
    cfg: &SummaryConfig,
    len: &Length,
    on_chosen: &mut dyn FnMut(&Chosen) -> ControlFlow<()>,
) -> Vec<Chosen> {
    let n = sc.sents.len();
    let k = target_sentences(cfg, len, n);
    let max_words = len.max_words.filter(|&w| w > 0).map(u64::from);
    let mut out: Vec<Chosen> = Vec::with_capacity(k.min(64));
    if k == 0 {
        return out;
    }
    sc.picked.clear();
    sc.picked.resize(n, false);
    sc.dead.clear();
    sc.dead.resize(n, false);
    sc.max_jac.clear();
    sc.max_jac.resize(n, 0.0);
    sc.covered.clear();
    sc.covered.resize(sc.ent_w.len(), false);
    sc.mark.clear();
    sc.mark.resize(sc.stem_count(), false);
    let lambda = cfg.redundancy.max(0.0);
    let beta = cfg.redundancy_entity_share.clamp(0.0, 1.0);
    let adjacent = finite_or_zero(cfg.w_adjacent);
    let glued_adj = finite_or_zero(cfg.w_glued_adjacent);
    let mut words_used = 0u64;
    // Candidates picked (with `join_glued` one pick can emit several units).
    let mut picks = 0usize;

    'outer: while picks < k {
        // Best live candidate.
        let mut best: Option<(usize, f32)> = None;
        for i in 0..n {
            if sc.picked.get(i).copied().unwrap_or(true) || sc.dead.get(i).copied().unwrap_or(true)
            {
                continue;
            }
            let Some(s) = sc.sents.get(i) else { break };
            let mut v = s.score;
            if (adjacent > 0.0 || glued_adj > 0.0) && !out.is_empty() {
                // Continuity: a neighbour of a picked unit reads on from it.
                let prev_picked = i > 0 && sc.picked.get(i - 1).copied().unwrap_or(false);
                let next = sc.sents.get(i + 1);
                let next_picked = sc.picked.get(i + 1).copied().unwrap_or(false);
                if prev_picked || next_picked {
                    v += adjacent;
                }
                if (prev_picked && s.glued_prev)
                    || (next_picked && next.is_some_and(|n| n.glued_prev))
                {
                    v += glued_adj;
                }
            }
            if lambda > 0.0 && !out.is_empty() {
                let ent_red = if s.ent_distinct > 0.0 {
                    let mut cov = 0.0f32;
                    for &(e, _) in sc.ents_of(s) {
                        if sc.covered.get(e as usize).copied().unwrap_or(false) {
                            cov += sc.ent_w.get(e as usize).copied().unwrap_or(0.0);
                        }
                    }
                    cov / s.ent_distinct
                } else {
                    0.0
                };
                let word_red = sc.max_jac.get(i).copied().unwrap_or(0.0);
                v -= lambda * (beta * ent_red + (1.0 - beta) * word_red);
            }
            if best.is_none_or(|(_, b)| v > b) {
                best = Some((i, v));
            }
        }
        let Some((bi, _)) = best else { break };
        let Some(s) = sc.sents.get(bi) else { break };
        // Word budget: the first pick is always kept; later ones must fit.
        if let Some(mw) = max_words {
            if !out.is_empty() && words_used + u64::from(s.words) > mw {
                if let Some(d) = sc.dead.get_mut(bi) {
                    *d = true;
                }
                continue;
            }
        }
        words_used += u64::from(s.words);
        picks += 1;
        let (first, last, score, ent_range) = (s.doc_idx, s.doc_last, s.score, s.ents.clone());
        let picked_stems = s.stems.clone();
        for j in s.ents.start as usize..s.ents.end as usize {
            if let Some(&(e, _)) = sc.ents.get(j) {
                if let Some(c) = sc.covered.get_mut(e as usize) {
                    *c = true;
                }
            }
        }
        if let Some(p) = sc.picked.get_mut(bi) {
            *p = true;
        }
        // Update word redundancy of the remaining candidates against this pick.
        let a = sc
            .stems
            .get(picked_stems.start as usize..picked_stems.end as usize)
            .unwrap_or(&[]);
        for &id in a {
            if let Some(m) = sc.mark.get_mut(id as usize) {
                *m = true;
            }
        }
        let a_len = a.len();
        for i in 0..n {
            if sc.picked.get(i).copied().unwrap_or(true) || sc.dead.get(i).copied().unwrap_or(true)
            {
                continue;
            }
            let Some(o) = sc.sents.get(i) else { break };
            let b = sc.stems_of(o);
            let inter: usize = b
                .iter()
                .map(|&id| usize::from(sc.mark.get(id as usize).copied().unwrap_or(false)))
                .sum();
            let union = a_len + b.len() - inter;
            let j = if union == 0 {
                0.0
            } else {
                inter as f32 / union as f32
            };
            if let Some(m) = sc.max_jac.get_mut(i) {
                if j > *m {
                    *m = j;
                }
            }
            if j >= cfg.duplicate_jaccard {
                if let Some(d) = sc.dead.get_mut(i) {
                    *d = true;
                }
            }
        }
        for j in picked_stems.start as usize..picked_stems.end as usize {
            if let Some(&id) = sc.stems.get(j) {
                if let Some(m) = sc.mark.get_mut(id as usize) {
                    *m = false;
                }
            }
        }
        // Emit: one output sentence per unit of the pick (several only with
        // `join_glued`), each with the entities it mentions itself.
        for unit in first..=last {
            let mut ents: Vec<usize> = if last > first {
                let u = unit as u32;
                let lo = sc.unit_ents.partition_point(|&(d, _)| d < u);
                let hi = sc.unit_ents.partition_point(|&(d, _)| d <= u);
                sc.unit_ents
                    .get(lo..hi)
                    .unwrap_or(&[])
                    .iter()
                    .map(|&(_, e)| e as usize)
                    .collect()
            } else {
                sc.ents
                    .get(ent_range.start as usize..ent_range.end as usize)
                    .unwrap_or(&[])
                    .iter()
                    .map(|&(e, _)| e as usize)
                    .collect()
            };
            ents.sort_unstable();
            let c = Chosen {
                sentence: unit,
                score,
                entities: ents,
            };
            let flow = on_chosen(&c);
            out.push(c);
            if flow.is_break() {
                break 'outer;
            }
        }
    }
    out.sort_by_key(|c| c.sentence);
    out
}

/// A config weight usable in a sum (NaN/∞ → 0).
fn finite_or_zero(v: f32) -> f32 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}
