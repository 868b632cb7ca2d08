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

/// Open-addressing set of the folded stop words' hashes.
pub struct StopSet {
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
        for k in keys {
            // 0 marks an empty slot; hash_str never returns 0 (see hash.rs).
            let mut i = (k as usize) & mask;
            while slots.get(i).copied().unwrap_or(0) != 0 {
                i = (i + 1) & mask;
            }
            if let Some(s) = slots.get_mut(i) {
                *s = k;
            }
        }
        StopSet { slots, mask }
    }

    /// Whether the word with this hash is a stop word.
    #[inline]
    pub fn contains(&self, h: u64) -> bool {
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
}
