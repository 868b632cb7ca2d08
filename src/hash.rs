//! The one byte-string hash loop shared by the entity tagger, the topic
//! classifier and the summariser.
//!
//! Why one: all three hash every token (NER feature keys, topic features,
//! summary stems) and each had grown its own copy of the same 8-bytes-per-step
//! loop, with two different fast tail readers. The loop is part of the model
//! formats (NER and topic feature keys are stored hashes), so its values are
//! pinned by tests in `ner::hash` and `classify::features`; each caller
//! applies its own finaliser on top.

const M: u64 = 0x9E37_79B9_7F4A_7C15;

/// Unfinalised hash of `b`: `seed` and the length, then 8 little-endian bytes
/// per step, then the 1–7 byte tail zero-padded. Call a finaliser (e.g.
/// SplitMix64 or Murmur3's) on the result before using its low bits.
#[inline]
pub fn chunked(seed: u64, b: &[u8]) -> u64 {
    let mut h = seed ^ (b.len() as u64).wrapping_mul(M);
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let w = <[u8; 8]>::try_from(c).map_or(0, u64::from_le_bytes);
        h = (h ^ w).wrapping_mul(M).rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        h = (h ^ tail_le(rest)).wrapping_mul(M).rotate_left(29);
    }
    h
}

/// The 1–7 trailing bytes as a zero-padded little-endian u64, with at most
/// three fixed-size loads. A byte loop into a stack buffer compiled to a
/// `memcpy` or stalled on store-to-load forwarding (a third of the
/// summariser's time, ~30,000 calls per Arabic article in NER). Overlapping
/// reads are exact: a byte read twice lands at the same position both times.
#[inline]
fn tail_le(b: &[u8]) -> u64 {
    let r = b.len();
    let u32_at = |i: usize| -> u64 {
        b.get(i..i + 4)
            .and_then(|s| <[u8; 4]>::try_from(s).ok())
            .map_or(0, |a| u64::from(u32::from_le_bytes(a)))
    };
    let byte = |i: usize| -> u64 { b.get(i).map_or(0, |&x| u64::from(x)) };
    if r >= 4 {
        u32_at(0) | (u32_at(r - 4) << (8 * (r - 4)))
    } else if r > 0 {
        byte(0) | (byte(r / 2) << (8 * (r / 2))) | (byte(r - 1) << (8 * (r - 1)))
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::tail_le;

    #[test]
    fn tail_is_the_zero_padded_little_endian_word() {
        let bytes: Vec<u8> = (1..=7).map(|i| 0x10 * i + i).collect();
        for n in 0..=7 {
            let mut a = [0u8; 8];
            a[..n].copy_from_slice(&bytes[..n]);
            assert_eq!(tail_le(&bytes[..n]), u64::from_le_bytes(a), "len {n}");
        }
    }
}
