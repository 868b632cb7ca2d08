//! A small fast non-cryptographic string hash (the crate's shared 8-byte
//! loop, `crate::hash`, finished with a 64-bit mixer). The summariser interns every
//! token's stem per document; SipHash would cost a visible share of the
//! ~50 µs per-article budget, and the keys are not attacker-chosen in a way
//! that matters (a collision only merges two stems' statistics).

/// Seed of the summariser's stem hashes (any fixed constant).
const SEED: u64 = 0x7375_6d6d_6172_7931;

/// Hash of a string; never 0 (0 marks empty slots in the open-addressing
/// tables). The crate's shared loop with a SplitMix64 finaliser, so the low
/// bits index tables well.
#[inline]
pub fn hash_str(s: &str) -> u64 {
    hash_bytes(s.as_bytes())
}

/// [`hash_str`] of a string's UTF-8 bytes (the per-token path reads the
/// forms as bytes of the document's norm buffer).
#[inline]
pub fn hash_bytes(b: &[u8]) -> u64 {
    let mut h = crate::hash::chunked(SEED, b);
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    h | 1
}

#[cfg(test)]
mod tests {
    use super::hash_str;
    use std::collections::HashSet;

    #[test]
    fn distinct_short_strings_hash_apart() {
        // Every string of length 0..=9 over a small alphabet (which covers
        // each tail length 1–7 with and without a full chunk before it):
        // no two may collide, or two stems would be merged.
        let alphabet = ["a", "b", "é", "ل"];
        let mut seen = HashSet::new();
        let mut all = vec![String::new()];
        let mut frontier = vec![String::new()];
        while let Some(w) = frontier.pop() {
            for c in alphabet {
                let v = format!("{w}{c}");
                if v.len() <= 9 {
                    frontier.push(v.clone());
                    all.push(v);
                }
            }
        }
        assert!(all.len() > 1000);
        for w in &all {
            let h = hash_str(w);
            assert_ne!(h, 0);
            assert!(seen.insert(h), "collision at {w:?}");
        }
    }
}
