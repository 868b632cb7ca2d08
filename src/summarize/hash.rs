//! A small fast non-cryptographic string hash (FxHash-style over 8-byte
//! chunks, finished with a 64-bit mixer). The summariser interns every
//! token's stem per document; SipHash would cost a visible share of the
//! ~50 µs per-article budget, and the keys are not attacker-chosen in a way
//! that matters (a collision only merges two stems' statistics).

/// Hash of a string; never 0 (0 marks empty slots in the open-addressing
/// tables).
#[inline]
pub fn hash_str(s: &str) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let b = s.as_bytes();
    let mut h: u64 = b.len() as u64;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut a = [0u8; 8];
        a.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(a)).wrapping_mul(K);
    }
    let rem = chunks.remainder();
    if !rem.is_empty() {
        h = (h.rotate_left(5) ^ tail_word(rem)).wrapping_mul(K);
    }
    // splitmix64 finaliser: spreads the bits so the low bits index tables well.
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    h | 1
}

/// The 1–7 byte tail as one word, read with fixed-size loads. Copying it byte
/// by byte into a stack array and reading that back as a `u64` stalled on
/// store-to-load forwarding: a third of the summariser's time went there.
/// Overlapping reads are fine because the length is already in the hash, so
/// (length, first bytes, last bytes) still determine every byte.
#[inline]
fn tail_word(rem: &[u8]) -> u64 {
    let n = rem.len();
    let u32_at = |i: usize| -> u64 {
        rem.get(i..i + 4)
            .and_then(|s| <[u8; 4]>::try_from(s).ok())
            .map_or(0, |a| u64::from(u32::from_le_bytes(a)))
    };
    let byte = |i: usize| -> u64 { rem.get(i).copied().map_or(0, u64::from) };
    if n >= 4 {
        u32_at(0) | (u32_at(n - 4) << 32)
    } else {
        byte(0) | (byte(n / 2) << 8) | (byte(n.saturating_sub(1)) << 16)
    }
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
