//! Lookup tables of the text pipeline: stop words (language id and the
//! jusText-like line scorer), abbreviations (sentence segmentation), month
//! names and byline markers (bylines), boilerplate phrases (comment forms,
//! share prompts, related links, cookie notices).
//!
//! Everything is written here in natural spelling and folded with
//! [`super::normalize::fold`] when the tables are built (once, lazily), so
//! that a table entry always equals the `norm` of the token it must match.

use super::normalize::fold;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// Small fast non-cryptographic hasher (FxHash-style) for the static word
/// tables: keys are short words we wrote ourselves, so HashDoS is not a
/// concern, and SipHash would cost a measurable share of the per-token budget.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h = self.0;
        // Each 8-byte chunk is one little-endian word (the tail zero-padded),
        // read with wide loads rather than byte by byte.
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        let mut r = chunks.remainder();
        if !r.is_empty() {
            let mut v = 0u64;
            let mut shift = 0u32;
            if let (Some(a), Some(rest)) = (r.get(..4), r.get(4..)) {
                let mut w = [0u8; 4];
                w.copy_from_slice(a);
                v = u64::from(u32::from_le_bytes(w));
                shift = 32;
                r = rest;
            }
            if let (Some(a), Some(rest)) = (r.get(..2), r.get(2..)) {
                let mut w = [0u8; 2];
                w.copy_from_slice(a);
                v |= u64::from(u16::from_le_bytes(w)) << shift;
                shift += 16;
                r = rest;
            }
            if let Some(&b) = r.first() {
                v |= u64::from(b) << shift;
            }
            h = (h.rotate_left(5) ^ v).wrapping_mul(K);
        }
        self.0 = h;
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FxBuild = BuildHasherDefault<FxHasher>;
pub type FxMap<K, V> = HashMap<K, V, FxBuild>;

// Language bits of the stop-word table. The non-supported Latin languages
// are there so that Spanish/Italian/... text is recognised as "not fr/en"
// instead of being forced into the closest supported language.
pub const L_AR: u16 = 1 << 0;
pub const L_EN: u16 = 1 << 1;
pub const L_FR: u16 = 1 << 2;
pub const L_ES: u16 = 1 << 3;
pub const L_DE: u16 = 1 << 4;
pub const L_IT: u16 = 1 << 5;
pub const L_PT: u16 = 1 << 6;
pub const L_NL: u16 = 1 << 7;
/// Byline marker ("by", "par", "بقلم", ...).
pub const W_BYLINE: u16 = 1 << 8;
/// Month or weekday name (any of the three languages, incl. Maghreb and
/// Levantine Arabic month names).
pub const W_DATE: u16 = 1 << 9;
/// Abbreviation that takes a final dot and never ends a sentence when a
/// word follows (titles, initials, "e.g.", "p. ex.", Arabic د.).
pub const W_ABBR: u16 = 1 << 10;
/// Abbreviation that may end a sentence ("etc.", "Inc.", "Ltd.").
pub const W_ABBR_FINAL: u16 = 1 << 11;
/// Share-bar / page-UI word ("Facebook", "Imprimer", "طباعة"): a line made
/// only of these is boilerplate.
pub const W_UI: u16 = 1 << 12;
/// First word of a boilerplate phrase: only tokens with this bit are looked
/// up in [`phrases`].
pub const W_PHRASE: u16 = 1 << 13;
/// Never in the word table: the tokenizer sets it on the flags of a word
/// made only of one fast letter run that starts with an Arabic letter
/// (U+0621–U+065F and ASCII letters), so language id knows without a scan
/// that the word holds no Persian/Urdu letter.
pub(crate) const W_AR_PLAIN: u16 = 1 << 15;

const UI_WORDS: &str = "facebook twitter whatsapp telegram linkedin instagram youtube tiktok pinterest reddit \
messenger email e-mail mail print imprimer partager partagez share tweet pocket copier copy link lien \
فيسبوك فايسبوك تويتر واتساب تلغرام تيليغرام انستغرام يوتيوب طباعة مشاركة شارك نسخ الرابط";

const AR_STOP: &str = "في من على إلى عن أن إن أنّ التي الذي الذين اللذين هذا هذه ذلك تلك هؤلاء كان كانت يكون تكون \
مع ما لا لم لن قد و أو ثم بين عند بعد قبل حتى منذ كما كل هو هي هم هما نحن أنا أنه أنها إنه إنها \
وقد وفي ومن وعلى وإلى وأن وهو وهي وكان وكانت ولا ولم وما غير خلال حيث إذا إذ لكن بل أيضا فيه فيها \
منه منها له لها لهم عليه عليها عليهم به بها إليه إليها عنه عنها ضمن نحو لدى دون تم يتم حول أمام \
سوف مثل بعض عدة أكثر أي التى الى اى انه انها ان هناك هنا كذلك وذلك ذات ذو عبر لقد فقد بأن بما مما عما";

const EN_STOP: &str = "the of and to in a is that for on was with as by it at from he his her she are be has have had \
were been an which this not but they their its or will said after who also more would about over into than \
there these those them what when where while we our you your can could should may might do does did no so \
up out if all any other such only new one two";

const FR_STOP: &str = "le la les de des du un une et est en que qui dans pour sur par pas au aux ce cette ces il elle \
ils elles ont sont ne se été avec plus son sa ses leur leurs mais ou nous vous selon après lors entre était \
être fait cet lui y dont comme aussi sans sous tout tous toute toutes même très déjà ainsi depuis avait \
avant encore où l' d' qu' c' j' n' s' m' t' jusqu' lorsqu'";

const ES_STOP: &str =
    "el los las del y por con para su al lo como más pero sus ha fue según este esta entre \
también sobre hasta donde desde muy ya hay cuando sin porque ser son está están";

const DE_STOP: &str =
    "der die das und ist nicht ein eine zu den von mit sich auf für im dem auch werden aus er \
hat dass wird nach bei wie noch nur oder sind war einer eines";

const IT_STOP: &str =
    "il di che e per non con sono del della gli si è nel alla ma anche come più dei delle \
questo questa ha essere stato degli nella alle sul";

const PT_STOP: &str =
    "o os as do da dos das que em um uma para com não no na por se mais foi ao pelo pela \
são também ele seu sua como já entre";

const NL_STOP: &str =
    "het een en van is dat op te zijn met voor niet aan er ook als bij door heeft werd wordt \
maar nog naar worden kan";

const BYLINE_WORDS: &str = "by par بقلم كتب كتبه حرر تحرير إعداد مراسل المراسل متابعة \
posted published updated publié modifié auteur author rédaction redaction journaliste \
المصدر تحديث نشر منذ ساعة ساعات دقيقة دقائق ago";

const DATE_WORDS: &str =
    "january february march april may june july august september october november december \
jan feb mar apr jun jul aug sep sept oct nov dec \
monday tuesday wednesday thursday friday saturday sunday \
janvier février mars avril mai juin juillet août septembre octobre novembre décembre \
lundi mardi mercredi jeudi vendredi samedi dimanche \
يناير فبراير مارس أبريل ابريل ماي مايو يونيو يونيه يوليوز يوليو غشت أغسطس شتنبر سبتمبر أكتوبر \
نونبر نوفمبر دجنبر ديسمبر جانفي فيفري أفريل جوان جويلية أوت \
كانون شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين \
الاثنين الإثنين الثلاثاء الأربعاء الخميس الجمعة السبت الأحد";

/// Abbreviations written WITHOUT their final dot, matched case-insensitively
/// on the folded form. Only consulted when a dot directly follows the word.
const ABBR: &str = "mr mrs ms dr prof sr jr st gen col lt sgt capt cmdr gov sen rep rev hon pres \
jan feb mar apr jun jul aug sep sept oct nov dec vol approx dept univ \
vs e.g i.e cf \
m mm mme mmes mlle mlles mgr pr ste bd p ex n° nº \
د أ م ص ج ق هـ";

const ABBR_FINAL: &str = "etc inc ltd co corp jr plc bros";

/// Boilerplate phrase kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Boiler {
    /// Starts the page tail (comment form, related articles, tags, share
    /// block): everything after is boilerplate unless clearly article text.
    Tail,
    /// Boilerplate for this line only ("Lire aussi", "Advertisement", ©).
    Line,
}

/// Boilerplate phrases (folded at build time, matched on token norms).
const BOILER_TAIL: &[&str] = &[
    // Arabic
    "اترك تعليق",
    "اترك تعليقا",
    "أضف تعليق",
    "أضف تعليقك",
    "لن يتم نشر عنوان بريدك الإلكتروني",
    "الحقول الإلزامية مشار إليها",
    "الحقول المطلوبة",
    "شروط التعليق",
    "التعليقات",
    "تعليقات الزوار",
    "مقالات ذات صلة",
    "أخبار ذات صلة",
    "مواضيع ذات صلة",
    "المقال التالي",
    "المقال السابق",
    "الأكثر قراءة",
    "شارك هذا المقال",
    "شارك المقال",
    "الكلمات المفتاحية",
    "الوسوم",
    "كلمات دلالية",
    "تابعونا على",
    // French
    "laisser un commentaire",
    "laissez un commentaire",
    "votre adresse e-mail ne sera pas publiée",
    "votre adresse email ne sera pas publiée",
    "votre adresse de messagerie ne sera pas publiée",
    "les champs obligatoires sont indiqués",
    "articles similaires",
    "articles liés",
    "à lire aussi",
    "partager cet article",
    "partager :",
    "sur le même sujet",
    "commentaires",
    "ajouter un commentaire",
    "réagissez",
    "mots-clés",
    // English
    "leave a reply",
    "leave a comment",
    "your email address will not be published",
    "required fields are marked",
    "related articles",
    "related posts",
    "related stories",
    "share this :",
    "share this article",
    "you may also like",
    "more from",
    "comments",
    "post a comment",
    "most read",
    "tags :",
];

const BOILER_LINE: &[&str] = &[
    "اقرأ أيضا",
    "اقرأ أيضاً",
    "إقرأ المزيد",
    "اقرأ المزيد",
    "جميع الحقوق محفوظة",
    "إعلان",
    "شاهد أيضا",
    "تابعنا على",
    "lire aussi",
    "lire la suite",
    "voir aussi",
    "publicité",
    "tous droits réservés",
    "abonnez-vous",
    "nous utilisons des cookies",
    "ce site utilise des cookies",
    "accepter les cookies",
    "read more",
    "read also",
    "see also",
    "advertisement",
    "all rights reserved",
    "subscribe to our newsletter",
    "sign up for our newsletter",
    "we use cookies",
    "this website uses cookies",
    "this site uses cookies",
    "accept cookies",
    "click here",
    "follow us on",
    "copyright",
    "©",
];

/// Word table: folded word → bit set of the `L_*` / `W_*` flags above.
pub fn words() -> &'static FxMap<String, u16> {
    static T: OnceLock<FxMap<String, u16>> = OnceLock::new();
    T.get_or_init(|| {
        let mut m: FxMap<String, u16> = FxMap::default();
        let mut add = |list: &str, bit: u16| {
            for w in list.split_whitespace() {
                *m.entry(fold(w)).or_insert(0) |= bit;
            }
        };
        add(AR_STOP, L_AR);
        add(EN_STOP, L_EN);
        add(FR_STOP, L_FR);
        add(ES_STOP, L_ES);
        add(DE_STOP, L_DE);
        add(IT_STOP, L_IT);
        add(PT_STOP, L_PT);
        add(NL_STOP, L_NL);
        add(BYLINE_WORDS, W_BYLINE);
        add(DATE_WORDS, W_DATE);
        add(ABBR, W_ABBR);
        add(ABBR_FINAL, W_ABBR_FINAL);
        add(UI_WORDS, W_UI);
        // Plain whitespace split (not the tokenizer, which needs this very
        // table): the first word of every phrase is a single token anyway.
        for p in BOILER_TAIL.iter().chain(BOILER_LINE) {
            if let Some(w) = p.split_whitespace().next() {
                *m.entry(fold(w)).or_insert(0) |= W_PHRASE;
            }
        }
        m
    })
}

/// Pre-filter of [`words`]: one bit per (length, first, middle, last byte)
/// signature, so most content words are rejected without hashing. Holds
/// the word table too, so a caller that keeps the `&'static WordTable`
/// ([`word_table`], as the tokenizer does per line) looks a token up
/// without a `OnceLock` check per token (before, the filter's `OnceLock`
/// was checked for every token and the table's for every filter pass).
pub(crate) struct WordTable {
    /// `FILTER_BITS` bits (a fixed-size array: `s / 64` needs no bounds check).
    bits: Box<[u64; FILTER_BITS / 64]>,
    max_len: usize,
    /// [`words`] as a flat open-addressing table over one byte arena.
    ///
    /// Why not the map itself: a filter pass (236 of the 1,209 tokens of
    /// the Arabic sample: mostly stop words) cost a SwissTable probe, the map
    /// entry and the key's own heap allocation (scattered cache lines), plus
    /// a `memcmp` call. Here a hit reads one slot and the key's bytes in the
    /// arena, a few KB in one block. Paired timing of the lookups of all the
    /// sample's tokens, caches evicted by writing 0 / 4 / 48 MB between
    /// runs: 6.4 -> 6.1 / 7.5 -> 7.0 / 29.7 -> 26.2 µs.
    slots: Box<[FlatSlot]>,
    arena: Box<[u8]>,
}

/// Slot of [`WordTable::slots`]; `len == 0` marks an empty slot (there is
/// no empty key: an empty norm is never looked up).
#[derive(Clone, Copy, Default)]
struct FlatSlot {
    /// High half of the key's [`flat_hash`] (the low bits give the home slot).
    tag: u32,
    /// Key bytes: `arena[off..off + len]`.
    off: u32,
    len: u16,
    flags: u16,
}

/// Hash of a folded word for [`WordTable::slots`].
#[inline]
fn flat_hash(b: &[u8]) -> u64 {
    let mut h = crate::hash::chunked(0x776f_7264_7462_6c31, b);
    h ^= h >> 29;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^ (h >> 32)
}

impl WordTable {
    /// Build from the word map: slots at load ≤ 1/2 (a free slot always
    /// exists), keys in one arena.
    fn build(words: &FxMap<String, u16>) -> (Box<[FlatSlot]>, Box<[u8]>) {
        let n = (words.len() * 2).next_power_of_two().max(64);
        let mut slots = vec![FlatSlot::default(); n];
        let mut arena = Vec::new();
        // Sorted keys: the layout does not depend on the map's order.
        let mut keys: Vec<(&String, &u16)> = words.iter().collect();
        keys.sort();
        for (k, &flags) in keys {
            let (Ok(len), Ok(off)) = (u16::try_from(k.len()), u32::try_from(arena.len())) else {
                continue;
            };
            if len == 0 {
                continue;
            }
            arena.extend_from_slice(k.as_bytes());
            let h = flat_hash(k.as_bytes());
            let mut i = (h as usize) & (n - 1);
            while slots.get(i).is_some_and(|s| s.len != 0) {
                i = (i + 1) & (n - 1);
            }
            if let Some(s) = slots.get_mut(i) {
                *s = FlatSlot {
                    tag: (h >> 32) as u32,
                    off,
                    len,
                    flags,
                };
            }
        }
        (slots.into_boxed_slice(), arena.into_boxed_slice())
    }

    /// The flags of `b` in the flat table (0 if absent).
    #[inline]
    fn flat_get(&self, b: &[u8]) -> u16 {
        let h = flat_hash(b);
        let mask = self.slots.len().wrapping_sub(1);
        let tag = (h >> 32) as u32;
        let mut i = (h as usize) & mask;
        for _ in 0..self.slots.len() {
            let Some(s) = self.slots.get(i) else {
                return 0;
            };
            if s.len == 0 {
                return 0;
            }
            if s.tag == tag
                && usize::from(s.len) == b.len()
                && self.arena.get(s.off as usize..s.off as usize + b.len()) == Some(b)
            {
                return s.flags;
            }
            i = (i + 1) & mask;
        }
        0
    }
}

const FILTER_BITS: usize = 1 << 16;

#[inline]
fn signature(b: &[u8]) -> usize {
    let n = b.len();
    let first = b.first().copied().unwrap_or(0) as usize;
    let second = b.get(1).copied().unwrap_or(0) as usize;
    let mid = b.get(n / 2).copied().unwrap_or(0) as usize;
    let last = b.last().copied().unwrap_or(0) as usize;
    (n.wrapping_mul(0x9E37)
        ^ first.wrapping_mul(0x2F1)
        ^ second.wrapping_mul(0x61)
        ^ mid.wrapping_mul(0x3B9)
        ^ last)
        & (FILTER_BITS - 1)
}

/// The word table with its pre-filter (built once, on first use).
pub(crate) fn word_table() -> &'static WordTable {
    static T: OnceLock<WordTable> = OnceLock::new();
    T.get_or_init(|| {
        let words = words();
        let mut bits = Box::new([0u64; FILTER_BITS / 64]);
        let mut max_len = 0;
        for k in words.keys() {
            let s = signature(k.as_bytes());
            if let Some(w) = bits.get_mut(s / 64) {
                *w |= 1 << (s % 64);
            }
            max_len = max_len.max(k.len());
        }
        let (slots, arena) = WordTable::build(words);
        WordTable {
            bits,
            max_len,
            slots,
            arena,
        }
    })
}

impl WordTable {
    /// [`word_flags`] of `norm`.
    #[inline]
    pub(crate) fn flags(&self, norm: &str) -> u16 {
        if norm.is_empty() || norm.len() > self.max_len {
            return 0;
        }
        let s = signature(norm.as_bytes());
        // (`s < FILTER_BITS`: the check compiles away on the fixed-size array)
        if self
            .bits
            .get(s / 64)
            .is_none_or(|w| w & (1 << (s % 64)) == 0)
        {
            return 0;
        }
        self.flat_get(norm.as_bytes())
    }
}

/// Longest key of [`words`] in bytes: longer norms skip the lookup.
pub fn max_word_len() -> usize {
    word_table().max_len
}

/// Flags of one folded word (0 if unknown). Most unknown words are
/// rejected by length or by the signature filter before any hashing.
#[inline]
pub fn word_flags(norm: &str) -> u16 {
    word_table().flags(norm)
}

/// One boilerplate phrase as a sequence of folded tokens.
pub struct Phrase {
    pub toks: Vec<String>,
    pub kind: Boiler,
}

/// Boilerplate phrases indexed by their first folded token.
pub fn phrases() -> &'static FxMap<String, Vec<Phrase>> {
    static T: OnceLock<FxMap<String, Vec<Phrase>>> = OnceLock::new();
    T.get_or_init(|| {
        let mut m: FxMap<String, Vec<Phrase>> = FxMap::default();
        let lists: [(&[&str], Boiler); 2] =
            [(BOILER_TAIL, Boiler::Tail), (BOILER_LINE, Boiler::Line)];
        for (list, kind) in lists {
            for p in list {
                let toks: Vec<String> = phrase_tokens(p);
                if let Some(first) = toks.first() {
                    m.entry(first.clone())
                        .or_default()
                        .push(Phrase { toks, kind });
                }
            }
        }
        m
    })
}

/// Tokenise a phrase with the real tokenizer so that it matches token norms
/// exactly (elisions, hyphens, punctuation handled the same way).
fn phrase_tokens(p: &str) -> Vec<String> {
    let toks = super::tokens::tokenize(p);
    let mut out = Vec::with_capacity(toks.len());
    for t in &toks {
        out.push(fold(t.span.slice(p)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flat table answers exactly as the map: every key with its flags,
    /// and for near misses (a key with a letter added, dropped or changed)
    /// the map's answer, usually 0.
    #[test]
    fn flat_word_table_equals_the_map() {
        let t = word_table();
        let m = words();
        assert!(m.len() > 500, "{}", m.len());
        let mut keys: Vec<(&String, &u16)> = m.iter().collect();
        keys.sort();
        let (mut hits, mut absent) = (0usize, 0usize);
        for (k, &f) in keys {
            if k.is_empty() {
                continue;
            }
            assert_eq!(t.flat_get(k.as_bytes()), f, "{k:?}");
            assert_eq!(t.flags(k), f, "{k:?}");
            hits += 1;
            let mut variants = vec![format!("{k}s"), format!("و{k}"), format!("{k}{k}")];
            let mut cs: Vec<char> = k.chars().collect();
            cs.pop();
            variants.push(cs.iter().collect());
            if let Some(c) = cs.first_mut() {
                *c = char::from_u32(*c as u32 + 1).unwrap_or('x');
            }
            variants.push(cs.iter().collect());
            for v in &variants {
                let want = m.get(v).copied().unwrap_or(0);
                assert_eq!(t.flat_get(v.as_bytes()), want, "{v:?}");
                if !v.is_empty() {
                    assert_eq!(t.flags(v), want, "{v:?}");
                }
                absent += usize::from(want == 0);
            }
        }
        assert!(hits > 500 && absent > 1000, "{hits} {absent}");
    }
}
