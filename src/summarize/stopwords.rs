//! Function words that never count as content words (title overlap,
//! centrality, redundancy). Written here by hand in natural spelling and
//! folded with the text pipeline's own normaliser when the table is built,
//! so an entry always equals the `norm` (or Arabic `stem`) of the token it
//! must match.
//!
//! Stored as a set of 64-bit hashes (see [`super::hash`]): the summariser
//! already hashes every stem to intern it, so the stop-word test is one extra
//! probe per *distinct* stem, not a string lookup per token.

use super::hash::hash_str;
use crate::text::normalize::fold;
use std::sync::OnceLock;

const AR: &str = "في من على إلى الى عن أن ان إن أنّ إنّ التي الذي الذين اللذين اللتين اللواتي اللاتي هذا هذه \
ذلك تلك هؤلاء أولئك هنا هناك هنالك كان كانت يكون تكون كانوا يكونون أصبح أصبحت صار ليس ليست مع ما لا لم لن \
قد و ف ب ل ك أو ثم بين عند بعد قبل حتى منذ مذ كما كل هو هي هم هما هن نحن أنا أنت أنتم أنه أنها إنه إنها \
لأن لان غير خلال حيث إذا اذا إذ لكن لكنّ بل أيضا أيضاً فيه فيها فيهم منه منها منهم له لها لهم لنا عليه \
عليها عليهم به بها بهم إليه إليها إليهم عنه عنها عنهم ضمن نحو لدى لدي دون تم يتم سوف مثل بعض عدة أكثر \
أقل أي أية أيّ التى اى انه انها كذلك وذلك ذات ذو ذي عبر لقد فقد بأن بما مما عما أما إما أم هل كيف متى \
أين لماذا ماذا كم كلا كلتا جميع جميعا أحد إحدى احد وقال قال قالت يقول تقول وأضاف أضاف وأكد أكد وأشار \
أشار حسب وفق وفقا إلا الا سواء عدم لما فإن وإن يمكن ويمكن كلما بينما وهو وهي وقد وفي ومن وعلى وإلى وأن \
وكان وكانت ولا ولم وما فيما بذلك لذلك هذين هاتين الآن اليوم أمس ثمة إثر اثر جدا جداً فقط أخرى آخر \
الأخرى عام العام";

const EN: &str = "a an the and or but nor so yet of to in on at by for from with without within into onto \
over under about above below after before during since until between among through against across \
along around behind beyond near off out up down upon via per than as is am are was were be been being \
have has had having do does did doing done will would shall should can could may might must ought \
i me my mine we us our ours you your yours he him his she her hers it its they them their theirs \
this that these those who whom whose which what when where why how there here all any both each \
few more most other others some such no not only own same too very just also then once again \
further if because while whereas though although unless whether said says say told according \
one two three new mr mrs ms dr its it's i'm don't doesn't didn't isn't wasn't weren't can't won't \
there's that's he's she's they're we're you're who's last first year years now still even much \
many well back being like get got";

const FR: &str =
    "le la les l un une des de du d et ou mais donc or ni car à au aux en dans par pour sur \
sous avec sans chez entre vers contre depuis pendant avant après selon lors dès malgré parmi hors \
ce cet cette ces c ça cela ceci celui celle ceux celles qui que qu quoi dont où quel quelle quels \
quelles lequel laquelle lesquels lesquelles je j me m moi tu te t toi il elle on ils elles nous \
vous lui leur leurs eux se s y son sa ses mon ma mes ton ta tes notre nos votre vos ne n pas plus \
moins très trop peu bien aussi encore déjà toujours jamais rien tout tous toute toutes même autre \
autres chaque plusieurs quelques certains certaines aucun aucune est sont été être était étaient \
sera seront serait a ont avait avaient aura auront avoir fait faire font si comme ainsi alors \
puis quand comment pourquoi tandis lorsque parce afin cependant pourtant néanmoins ici là oui non \
m. mme dit a-t-il a-t-elle selon lui dernier dernière premier première deux trois an ans année";

/// Bits of [`StopSet`]'s filter (2 KB: stays in L1 while a document is
/// summarised).
const FILTER_BITS: usize = 1 << 14;

/// The filter bits of a hash: two 14-bit fields above the bits that index
/// the slots.
#[inline]
fn filter_bits(h: u64) -> [usize; 2] {
    [
        (h >> 20) as usize & (FILTER_BITS - 1),
        (h >> 40) as usize & (FILTER_BITS - 1),
    ]
}

/// Open-addressing set of the folded stop words' hashes, behind a filter.
///
/// Why the filter: the set is looked up once or twice per distinct stem of
/// a document, mostly for content words (absent), and its 32 KB of slots
/// are out of cache by then (the tagger runs between two summaries), so
/// those lookups were an eighth of `Scratch::prepare`'s time in misses.
/// The filter answers most absent keys from 2 KB; it has both bits of every
/// key set, so it never rejects a stop word (tested over all of them).
pub struct StopSet {
    filter: [u64; FILTER_BITS / 64],
    slots: Vec<u64>,
    mask: usize,
}

impl StopSet {
    fn build() -> Self {
        let mut keys: Vec<u64> = Vec::new();
        for list in [AR, EN, FR] {
            for w in list.split_whitespace() {
                let f = fold(w);
                keys.push(hash_str(&f));
            }
        }
        keys.sort_unstable();
        keys.dedup();
        let cap = (keys.len() * 4).next_power_of_two().max(64);
        let mut slots = vec![0u64; cap];
        let mask = cap - 1;
        let mut filter = [0u64; FILTER_BITS / 64];
        for k in keys {
            for b in filter_bits(k) {
                if let Some(w) = filter.get_mut(b / 64) {
                    *w |= 1 << (b % 64);
                }
            }
            // 0 marks an empty slot; hash_str never returns 0 (see hash.rs).
            let mut i = (k as usize) & mask;
            while slots.get(i).copied().unwrap_or(0) != 0 {
                i = (i + 1) & mask;
            }
            if let Some(s) = slots.get_mut(i) {
                *s = k;
            }
        }
        StopSet {
            filter,
            slots,
            mask,
        }
    }

    /// Whether the filter lets `h` through (always, for a stop word).
    #[inline]
    fn may_contain(&self, h: u64) -> bool {
        filter_bits(h).iter().all(|&b| {
            self.filter
                .get(b / 64)
                .is_some_and(|w| w & (1 << (b % 64)) != 0)
        })
    }

    /// Whether the word with this hash is a stop word.
    #[inline]
    pub fn contains(&self, h: u64) -> bool {
        if !self.may_contain(h) {
            return false;
        }
        let mut i = (h as usize) & self.mask;
        loop {
            match self.slots.get(i).copied() {
                Some(0) | None => return false,
                Some(k) if k == h => return true,
                Some(_) => i = (i + 1) & self.mask,
            }
        }
    }
}

/// The shared table (built once, on first use).
pub fn stop_set() -> &'static StopSet {
    static T: OnceLock<StopSet> = OnceLock::new();
    T.get_or_init(StopSet::build)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_lookup() {
        let s = stop_set();
        for w in ["the", "Les", "في", "إلى", "الى", "وذلك"] {
            assert!(s.contains(hash_str(&fold(w))), "{w}");
        }
        for w in ["maroc", "minister", "المغرب"] {
            assert!(!s.contains(hash_str(&fold(w))), "{w}");
        }
    }

    /// The filter must pass every stop word (else `contains` would call it
    /// a content word), and must reject most other hashes (else it is
    /// useless: all bits set would pass this test's first half).
    #[test]
    fn filter_passes_every_stop_word_and_rejects_most_others() {
        let s = stop_set();
        let mut n = 0;
        for list in [AR, EN, FR] {
            for w in list.split_whitespace() {
                let h = hash_str(&fold(w));
                assert!(s.may_contain(h), "filter rejects stop word {w:?}");
                assert!(s.contains(h), "{w:?}");
                n += 1;
            }
        }
        assert!(n > 500, "{n}");
        // Hashes of strings that are not stop words (and the raw slots'
        // own neighbourhood: random 64-bit values).
        let mut passed = 0;
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let h = if i % 2 == 0 {
                hash_str(&format!("mot{i}"))
            } else {
                x | 1
            };
            // None of these is a stop word, so every pass is a false
            // positive of the filter.
            if s.may_contain(h) {
                passed += 1;
            }
        }
        assert!(passed < 20_000 / 50, "filter passes {passed} of 20,000");
    }
}
