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
        let mut a = [0u8; 8];
        for (d, s) in a.iter_mut().zip(rem) {
            *d = *s;
        }
        h = (h.rotate_left(5) ^ u64::from_le_bytes(a)).wrapping_mul(K);
    }
    // splitmix64 finaliser: spreads the bits so the low bits index tables well.
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    h | 1
}
