//! Named entities: a trained averaged-perceptron BIO tagger and the merging
//! of mentions into document-level entities with a salience.
//!
//! INTERFACE (used by `pipeline`, `summarize`, `server`): keep these names.
//!
//! Layout: [`features`] (token features shared by training and inference),
//! [`gazetteer`] (name lists and trigger words, inside the model file),
//! [`model`] (quantised weights, Viterbi), [`fast`] (the inference path:
//! the same emission sums with token-local work cached per document),
//! [`entities`] (mentions, merging,
//! salience), [`train`] / [`eval`] (the `nutgraf train|eval ner` commands),
//! [`conll`] (data files).

pub mod clusters;
pub mod conll;
pub mod entities;
pub mod eval;
pub mod fast;
pub mod features;
pub mod gazetteer;
pub mod hash;
pub mod model;
pub mod train;

use crate::model_file::{ByteReader, ByteWriter, ModelError};
use crate::text::{Document, Lang, Role, Span};
use features::TokView;
pub use model::wait_for_word_tables;
use model::{LangTagger, Scratch};
use std::ops::Range;
use std::path::Path;

/// Entity types of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityType {
    Person,
    Location,
    Organization,
    Misc,
}

impl EntityType {
    /// From a BIO type index (1 = PER, 2 = LOC, 3 = ORG, 4 = MISC).
    fn from_bio(t: u8) -> Option<Self> {
        match t {
            1 => Some(EntityType::Person),
            2 => Some(EntityType::Location),
            3 => Some(EntityType::Organization),
            4 => Some(EntityType::Misc),
            _ => None,
        }
    }

    /// Short label (PER, LOC, ORG, MISC).
    pub fn label(self) -> &'static str {
        match self {
            EntityType::Person => "PER",
            EntityType::Location => "LOC",
            EntityType::Organization => "ORG",
            EntityType::Misc => "MISC",
        }
    }
}

/// One occurrence of an entity in the text.
#[derive(Clone, Debug, PartialEq)]
pub struct Mention {
    /// Span in the original text (proclitics like و/ب/ل excluded).
    pub span: Span,
    /// Index into `Document::sentences`.
    pub sentence: usize,
    /// Index range into `Document::tokens`.
    pub tokens: Range<usize>,
    pub etype: EntityType,
    /// Index into [`Entities::entities`].
    pub entity: usize,
}

/// A document-level entity: merged mentions.
#[derive(Clone, Debug, PartialEq)]
pub struct DocEntity {
    /// Canonical surface form (the longest / most complete mention).
    pub text: String,
    pub etype: EntityType,
    /// Salience in [0,1].
    pub salience: f32,
    /// Indices into [`Entities::mentions`], in document order.
    pub mentions: Vec<usize>,
}

/// All entities of a document.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Entities {
    /// Every mention, in document order.
    pub mentions: Vec<Mention>,
    /// Entities sorted by salience, descending.
    pub entities: Vec<DocEntity>,
}

/// Kind tag and format version of the model file.
const KIND: &[u8; 4] = b"NER1";
/// 6 (issue 9, session 5): + each tagger's frequent-word list
/// (`fast::WordTable`). A format-5 file is refused with
/// `ModelError::WrongVersion` (retrain with the card's command).
const FORMAT: u32 = 6;

/// The trained tagger: one [`LangTagger`] per language.
#[derive(Debug)]
pub struct NerModel {
    version: String,
    taggers: Vec<LangTagger>,
    sha256: String,
}

impl NerModel {
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let bytes = crate::model_file::read_file(path)?;
        Self::from_bytes(&bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let payload = crate::model_file::decode(bytes, KIND, FORMAT)?;
        let mut r = ByteReader::new(payload);
        let version = r.str()?.to_string();
        let n = r.len(1)?;
        let mut taggers = Vec::with_capacity(n);
        for _ in 0..n {
            taggers.push(LangTagger::read(&mut r)?);
        }
        if !r.is_empty() {
            return Err(ModelError::Malformed(
                "trailing bytes after the taggers".into(),
            ));
        }
        if taggers.is_empty() {
            return Err(ModelError::Malformed("model holds no tagger".into()));
        }
        model::spawn_word_tables(&taggers);
        Ok(NerModel {
            version,
            taggers,
            sha256: crate::model_file::sha256_hex(bytes),
        })
    }

    /// Serialise taggers into a complete model file.
    pub fn encode(taggers: &[LangTagger], version: &str) -> Vec<u8> {
        let mut w = ByteWriter::default();
        w.str(version);
        w.u64(taggers.len() as u64);
        for t in taggers {
            t.write(&mut w);
        }
        crate::model_file::encode(KIND, FORMAT, &w.buf)
    }

    /// Model version string for GetModelInfo.
    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The tagger of a language, if the model has one.
    pub fn tagger(&self, lang: Lang) -> Option<&LangTagger> {
        self.taggers.iter().find(|t| t.lang == lang)
    }

    /// Languages this model can tag.
    pub fn languages(&self) -> Vec<Lang> {
        self.taggers.iter().map(|t| t.lang).collect()
    }
}

/// Language to tag with: the document's, or for `und` the script majority
/// (Arabic letters → ar, otherwise en, the most permissive Latin model).
fn tagging_lang(doc: &Document<'_>) -> Lang {
    if doc.lang != Lang::Und {
        return doc.lang;
    }
    let mut ar = 0usize;
    let mut latin = 0usize;
    for c in doc.text.chars().take(4000) {
        if ('\u{0600}'..='\u{06FF}').contains(&c) {
            ar += 1;
        } else if c.is_ascii_alphabetic() {
            latin += 1;
        }
    }
    if ar > latin {
        Lang::Ar
    } else {
        Lang::En
    }
}

/// Tag every non-boilerplate sentence and merge mentions into entities.
pub fn extract(doc: &Document<'_>, model: &NerModel) -> Entities {
    extract_with(doc, model, &entities::SalienceWeights::default())
}

/// [`extract`] with explicit salience weights.
pub fn extract_with(
    doc: &Document<'_>,
    model: &NerModel,
    weights: &entities::SalienceWeights,
) -> Entities {
    let lang = tagging_lang(doc);
    let Some(tagger) = model.tagger(lang).or_else(|| model.taggers.first()) else {
        return Entities::default();
    };
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => {
            let found = extract_in(doc, tagger, weights, &mut scratch);
            // Also forget the document at the end, not only at the start
            // of the next one: an idle worker thread does not hold the
            // last request's cache (a large one is freed here).
            scratch.new_document();
            found
        }
        // Unreachable (no re-entrant call), but never a panic.
        Err(_) => extract_in(doc, tagger, weights, &mut Scratch::default()),
    })
}

thread_local! {
    /// Per-thread tagging buffers and per-document cache: the service runs
    /// `extract` on a fixed pool of workers, so once warm no tagging buffer
    /// is allocated per article (the cache is emptied per document).
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

fn extract_in(
    doc: &Document<'_>,
    tagger: &LangTagger,
    weights: &entities::SalienceWeights,
    scratch: &mut Scratch,
) -> Entities {
    scratch.new_document();
    let mut views: Vec<TokView<'_>> = Vec::new();
    let mut tags = Vec::new();
    let mut raws = Vec::new();
    let mut covered = vec![false; doc.tokens.len()];
    // Matching key (hash, code points) of every tagged token, from the
    // tagger's per-document cache (NOT_TAGGED for boilerplate).
    let mut keys = vec![NOT_TAGGED; doc.tokens.len()];
    for (si, s) in doc.sentences.iter().enumerate() {
        if s.role == Role::Boilerplate {
            continue;
        }
        let toks = doc.sentence_tokens(s);
        views.clear();
        views.extend(toks.iter().map(|t| TokView {
            raw: doc.token_text(t),
            norm: doc.norm(t),
            stem: doc.stem(t),
        }));
        tagger.tag(&views, scratch, &mut tags);
        for (k, v) in keys
            .iter_mut()
            .skip(s.tokens.start)
            .zip(scratch.fast.sentence_keys())
            .take(views.len())
        {
            *k = v;
        }
        for (a, b, ty) in conll::spans(&tags) {
            let Some(et) = EntityType::from_bio(ty) else {
                continue;
            };
            let range = s.tokens.start + a..s.tokens.start + b;
            for c in covered.iter_mut().take(range.end).skip(range.start) {
                *c = true;
            }
            let mut start = range.start;
            while start < range.end {
                let (part, next) = split_coordination_keyed(doc, tagger, &keys, start..range.end);
                if let Some(m) =
                    entities::raw_mention(doc, tagger.lang, tagger.trig(), si, part, et)
                {
                    raws.push(m);
                }
                start = next;
            }
        }
    }
    propagate(doc, tagger, &keys, &covered, &mut raws);
    entities::merge(doc, tagger.lang, tagger.gaz(), raws, weights)
}

/// Key of a token that was not tagged (boilerplate): computed when needed.
const NOT_TAGGED: (u64, u32) = (0, u32::MAX);

/// Matching-key hash and length (code points) of token `i`: from the
/// tagger's cache, else computed (same values: `features::match_key`).
fn token_key(doc: &Document<'_>, lang: Lang, keys: &[(u64, u32)], i: usize) -> (u64, u32) {
    match keys.get(i) {
        Some(k) if *k != NOT_TAGGED => *k,
        _ => {
            let norm = doc.tokens.get(i).map_or("", |t| doc.norm(t));
            let m = features::match_key(lang, norm);
            (hash::hash_str(m), m.chars().count() as u32)
        }
    }
}

/// Organisation (or place) head-noun trigger classes: ORG = bit 1, LOC = bit 2.
const HEAD_NOUN: u32 = 1 << 1 | 1 << 2;

/// [`split_coordination_keyed`] computing every token's matching key.
#[cfg(test)]
fn split_coordination(
    doc: &Document<'_>,
    tagger: &LangTagger,
    range: Range<usize>,
) -> (Range<usize>, usize) {
    split_coordination_keyed(doc, tagger, &[], range)
}

/// The first conjunct of a tagged span that coordinates two names, and
/// where the rest starts: "المديرية العامة للأمن الوطني والمديرية العامة
/// لمراقبة التراب الوطني" is two organisations, and the tagger (trained on
/// data where such coordinations are rare) often tags it as one span. A
/// split happens before a token that is a conjunction و + article whose
/// clitic-free key is an organisation or place head noun (والمديرية،
/// والوزارة), or before a standalone et/and/و followed (after an optional
/// article) by such a head noun. Returns the whole range when there is no
/// split point.
///
/// `keys`: the tokens' matching keys from tagging (indexed like
/// `doc.tokens`; computed for the tokens it lacks).
fn split_coordination_keyed(
    doc: &Document<'_>,
    tagger: &LangTagger,
    keys: &[(u64, u32)],
    range: Range<usize>,
) -> (Range<usize>, usize) {
    let lang = tagger.lang;
    let head = |i: usize| tagger.trig().lookup(token_key(doc, lang, keys, i).0) & HEAD_NOUN != 0;
    for j in range.start + 1..range.end {
        let Some(t) = doc.tokens.get(j) else { break };
        let norm = doc.norm(t);
        // Fused conjunction: والمديرية (the text pipeline counts و as a proclitic).
        if lang == Lang::Ar && t.proclitic_chars > 0 && norm.starts_with("وال") && head(j) {
            return (range.start..j, j);
        }
        // Standalone conjunction.
        if matches!(norm, "و" | "et" | "and") {
            let mut k = j + 1;
            if doc
                .tokens
                .get(k)
                .is_some_and(|x| matches!(doc.norm(x), "la" | "le" | "les" | "l'" | "the"))
            {
                k += 1;
            }
            if k < range.end && doc.tokens.get(k).is_some() && head(k) {
                return (range.start..j, j + 1);
            }
        }
    }
    (range.clone(), range.end)
}

/// What [`propagate`] knows of a token-sequence hash.
#[derive(Default, Clone, Copy)]
struct Known {
    /// A mention with these keys was found: its type.
    ty: Option<EntityType>,
    /// A longer found mention starts with these keys.
    prefix: bool,
}

/// Longest run of tokens (a mention's key sequence) that document-level
/// propagation matches; shared with the test's reference algorithm so the
/// two cannot drift apart.
const MAX_RUN: usize = 4;

/// Document-level consistency: a name the tagger found once is a name
/// elsewhere in the same article too, typically in the title, where the
/// tagger has no context ("حموشي يستقبل ..." after "عبد اللطيف حموشي" in the
/// body). Untagged token runs whose keys equal a found mention (or the
/// surname of a found multi-word person) become mentions of that type.
/// Linear: one hash lookup per token and run length.
fn propagate(
    doc: &Document<'_>,
    tagger: &LangTagger,
    keys: &[(u64, u32)],
    covered: &[bool],
    raws: &mut Vec<entities::RawMention>,
) {
    if raws.is_empty() {
        return;
    }
    let lang = tagger.lang;
    let key = |i: usize| token_key(doc, lang, keys, i);
    // Keys are already mixed 64-bit hashes: the pass-through hasher skips
    // SipHash, which was 3.6% of the instructions of a whole ~1,100-word
    // Arabic analysis (callgrind, issue 9 / BENCHMARKS.md).
    //
    // One map holds the known runs (their type: the first found wins) AND
    // every proper prefix of a known run: a token run stops at the first
    // sequence hash that is neither, so most starts cost one lookup
    // instead of up to MAX_RUN (issue 9). Same answers, since a run that
    // is not a prefix of a known one cannot extend into one (up to 64-bit
    // sequence-hash collisions, which the matching already accepts).
    let mut known: gazetteer::U64Map<Known> = gazetteer::U64Map::default();
    for m in raws.iter() {
        if m.keys.len() <= MAX_RUN {
            let mut h = hash::SEQ_START;
            for (n, k) in m.keys.iter().enumerate() {
                h = hash::seq_extend(h, *k);
                if n + 1 < m.keys.len() {
                    known.entry(h).or_default().prefix = true;
                }
            }
            known.entry(h).or_default().ty.get_or_insert(m.etype);
        }
        if m.etype == EntityType::Person && m.keys.len() >= 2 {
            if let Some(last) = m.keys.last() {
                let h = hash::seq_extend(hash::SEQ_START, *last);
                known
                    .entry(h)
                    .or_default()
                    .ty
                    .get_or_insert(EntityType::Person);
            }
        }
    }
    let good_start = |i: usize, t: &crate::text::Token| {
        if t.kind != crate::text::TokenKind::Word {
            return false;
        }
        let raw = doc.token_text(t);
        let (key_hash, key_len) = key(i);
        key_len >= 3
            && tagger.trig().lookup(key_hash) == 0
            && (lang == Lang::Ar || raw.chars().next().is_some_and(char::is_uppercase))
    };
    let mut added = Vec::new();
    for (si, s) in doc.sentences.iter().enumerate() {
        if s.role == Role::Boilerplate {
            continue;
        }
        let mut i = s.tokens.start;
        while i < s.tokens.end {
            let ok = !covered.get(i).copied().unwrap_or(true)
                && doc.tokens.get(i).is_some_and(|t| good_start(i, t));
            let mut found = None;
            if ok {
                let mut h = hash::SEQ_START;
                for len in 1..=MAX_RUN {
                    let j = i + len - 1;
                    if j >= s.tokens.end || covered.get(j).copied().unwrap_or(true) {
                        break;
                    }
                    if j >= doc.tokens.len() {
                        break;
                    }
                    h = hash::seq_extend(h, key(j).0);
                    let Some(k) = known.get(&h) else {
                        break;
                    };
                    if let Some(ty) = k.ty {
                        found = Some((len, ty));
                    }
                    if !k.prefix {
                        break;
                    }
                }
            }
            if let Some((len, ty)) = found {
                if let Some(m) = entities::raw_mention(doc, lang, tagger.trig(), si, i..i + len, ty)
                {
                    added.push(m);
                }
                i += len;
            } else {
                i += 1;
            }
        }
    }
    if !added.is_empty() {
        raws.extend(added);
        raws.sort_by_key(|m| m.tokens.start);
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod propagate_tests {
    use super::*;
    use crate::text::{analyze, TextOptions};

    /// `propagate` before the prefix entries (issue 9): every start looks
    /// up all MAX_RUN run lengths. The reference for the test below.
    fn propagate_reference(
        doc: &Document<'_>,
        tagger: &LangTagger,
        keys: &[(u64, u32)],
        covered: &[bool],
        raws: &mut Vec<entities::RawMention>,
    ) {
        if raws.is_empty() {
            return;
        }
        let lang = tagger.lang;
        let key = |i: usize| token_key(doc, lang, keys, i);
        let mut known: std::collections::HashMap<u64, EntityType> = Default::default();
        for m in raws.iter() {
            if m.keys.len() <= MAX_RUN {
                let h = m
                    .keys
                    .iter()
                    .fold(hash::SEQ_START, |h, k| hash::seq_extend(h, *k));
                known.entry(h).or_insert(m.etype);
            }
            if m.etype == EntityType::Person && m.keys.len() >= 2 {
                if let Some(last) = m.keys.last() {
                    let h = hash::seq_extend(hash::SEQ_START, *last);
                    known.entry(h).or_insert(EntityType::Person);
                }
            }
        }
        let mut added = Vec::new();
        for (si, s) in doc.sentences.iter().enumerate() {
            if s.role == Role::Boilerplate {
                continue;
            }
            let mut i = s.tokens.start;
            while i < s.tokens.end {
                let ok = !covered[i] && {
                    let t = &doc.tokens[i];
                    let (key_hash, key_len) = key(i);
                    t.kind == crate::text::TokenKind::Word
                        && key_len >= 3
                        && tagger.trig().lookup(key_hash) == 0
                        && (lang == Lang::Ar
                            || doc
                                .token_text(t)
                                .chars()
                                .next()
                                .is_some_and(char::is_uppercase))
                };
                let mut found = None;
                if ok {
                    let mut h = hash::SEQ_START;
                    for len in 1..=MAX_RUN {
                        let j = i + len - 1;
                        if j >= s.tokens.end || covered[j] {
                            break;
                        }
                        h = hash::seq_extend(h, key(j).0);
                        if let Some(ty) = known.get(&h) {
                            found = Some((len, *ty));
                        }
                    }
                }
                if let Some((len, ty)) = found {
                    if let Some(m) =
                        entities::raw_mention(doc, lang, tagger.trig(), si, i..i + len, ty)
                    {
                        added.push(m);
                    }
                    i += len;
                } else {
                    i += 1;
                }
            }
        }
        if !added.is_empty() {
            raws.extend(added);
            raws.sort_by_key(|m| m.tokens.start);
        }
    }

    #[test]
    fn propagate_equals_the_reference() {
        let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/ner.bin");
        let model = match NerModel::load(&p) {
            Ok(m) => m,
            Err(e) => panic!("shipped model models/ner.bin must load: {e}"),
        };
        // Our own texts: names repeated alone, in longer runs and as
        // prefixes of longer names.
        let texts = [
            (
                Lang::Ar,
                "عبد اللطيف حموشي في الرباط. استقبل حموشي وفد الرباط. عبد اللطيف حموشي وعبد اللطيف \
                 في الدار البيضاء، ثم الدار البيضاء الكبرى والدار. اللطيف حموشي عبد الرباط الدار البيضاء حموشي.",
            ),
            (
                Lang::Fr,
                "Jean Pierre Dupont à Paris. Dupont et Jean Pierre visitent Paris Nord. Jean Pierre \
                 Dupont Martin et Pierre Dupont. Paris Nord Est et Jean à Paris.",
            ),
        ];
        let mut r = hash::XorShift::new(3);
        let (mut runs, mut longer) = (0usize, 0usize);
        for (lang, text) in texts {
            let Some(tagger) = model.tagger(lang) else {
                panic!("{lang:?}");
            };
            let doc = analyze(
                text,
                TextOptions {
                    title: None,
                    lang_hint: Some(lang),
                },
            );
            let n = doc.tokens.len();
            let keys = vec![NOT_TAGGED; n];
            let tagged: Vec<(usize, Range<usize>)> = doc
                .sentences
                .iter()
                .enumerate()
                .filter(|(_, s)| s.role != Role::Boilerplate)
                .flat_map(|(si, s)| {
                    (s.tokens.start..s.tokens.end).flat_map(move |a| {
                        (a + 1..=(a + 4).min(s.tokens.end)).map(move |b| (si, a..b))
                    })
                })
                .collect();
            let types = [
                EntityType::Person,
                EntityType::Location,
                EntityType::Organization,
            ];
            for _ in 0..400 {
                // A few "tagged" mentions, the rest of the text untagged.
                let mut covered = vec![false; n];
                let mut raws = Vec::new();
                for _ in 0..1 + r.next_u64() % 4 {
                    let (si, range) = tagged[(r.next_u64() % tagged.len() as u64) as usize].clone();
                    let ty = types[(r.next_u64() % 3) as usize];
                    for c in &mut covered[range.clone()] {
                        *c = true;
                    }
                    if let Some(m) = entities::raw_mention(&doc, lang, tagger.trig(), si, range, ty)
                    {
                        raws.push(m);
                    }
                }
                raws.sort_by_key(|m| m.tokens.start);
                let tagged_now: Vec<Range<usize>> = raws.iter().map(|m| m.tokens.clone()).collect();
                let mut want = raws.clone();
                propagate(&doc, tagger, &keys, &covered, &mut raws);
                propagate_reference(&doc, tagger, &keys, &covered, &mut want);
                let got: Vec<_> = raws.iter().map(|m| (m.tokens.clone(), m.etype)).collect();
                let exp: Vec<_> = want.iter().map(|m| (m.tokens.clone(), m.etype)).collect();
                assert_eq!(got, exp, "{lang:?}");
                for m in raws.iter().filter(|m| !tagged_now.contains(&m.tokens)) {
                    runs += 1;
                    longer += usize::from(m.tokens.len() >= 2);
                }
            }
        }
        // Not vacuous: mentions were added, multi-token ones among them.
        assert!(runs > 100 && longer > 20, "{runs} {longer}");
    }
}
