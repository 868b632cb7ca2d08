//! From tagged tokens to document entities: mention spans, merging of the
//! mentions that name the same thing, and salience.
//!
//! Everything here is linear in the number of mentions (hash maps keyed by
//! token-key sequences, bounded sub-sequence enumeration), so a hostile
//! document with many mentions cannot make it quadratic.

use super::features::match_key;
use super::gazetteer::{Gazetteer, Triggers, U64Set};
use super::hash::{hash_str, seq_extend, SEQ_START};
use super::{DocEntity, Entities, EntityType, Mention};
use crate::text::{Document, Lang, Role, Span, Token};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::ops::Range;
use std::sync::OnceLock;

/// Salience weights (sum to 1, so salience stays in [0,1]). Why these
/// factors: news names its main actors early, often, in the title and
/// throughout the article.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SalienceWeights {
    /// log(1+mentions) / log(1+max mentions of any entity).
    pub frequency: f32,
    /// 1 for an entity first seen in the first sentence, falling linearly to
    /// 0 at the last.
    pub first_position: f32,
    /// 1 if named in the title line or in the caller's separate title.
    pub in_title: f32,
    /// Share of the article's paragraphs that mention it.
    pub spread: f32,
}

impl Default for SalienceWeights {
    fn default() -> Self {
        SalienceWeights {
            frequency: 0.35,
            first_position: 0.2,
            in_title: 0.3,
            spread: 0.15,
        }
    }
}

/// A mention before merging: tokens, type and its matching keys.
#[derive(Clone, Debug)]
pub struct RawMention {
    pub sentence: usize,
    /// Tokens of the mention as tagged (titles included).
    pub tokens: Range<usize>,
    /// Tokens after leading titles are dropped (used for key and canonical text).
    pub core: Range<usize>,
    pub etype: EntityType,
    /// Matching-key hash of each core token.
    pub keys: Vec<u64>,
}

/// The mention's span: from its first token, after Arabic proclitics
/// (و ب ل ك ف) which are not part of the name, to the end of its last token.
pub fn mention_span(doc: &Document<'_>, toks: &[Token], gaz: &Gazetteer) -> Option<Span> {
    let first = toks.first()?;
    let last = toks.last()?;
    let mut span = Span {
        start: first.span.start,
        end: last.span.end,
        cstart: first.span.cstart,
        cend: last.span.cend,
    };
    let (pc, _) = name_start(doc, first, gaz);
    if pc > 0 {
        let text = doc.token_text(first);
        // Only when something of the name is left after the proclitics.
        if text.chars().count() > pc {
            let bytes: usize = text.chars().take(pc).map(char::len_utf8).sum();
            span.start += bytes;
            span.cstart += pc as u32;
        }
    }
    if span.start > span.end || span.cstart > span.cend {
        return None;
    }
    Some(span)
}

/// Where the name starts in the mention's first token: code points to skip
/// (proclitics), and whether the skipped part ends with the lam of an
/// assimilated article (للمغرب = ل + المغرب with the alef elided).
///
/// Why the second lam is skipped too: the text pipeline counts only the
/// preposition ل as a proclitic, which left the span "لمغرب", a form that is
/// neither the word nor the name. The name المغرب does not occur
/// contiguously in للمغرب, so the span starts after both lams (the stem
/// مغرب, like بالمغرب starts at المغرب) and the canonical text puts the
/// article back ([`canonical_text`]). A word that merely starts with ل
/// after the preposition (للبنان = ل + لبنان) keeps its ل when the rest is a
/// known one-token name.
fn name_start(doc: &Document<'_>, first: &Token, gaz: &Gazetteer) -> (usize, bool) {
    let mut pc = usize::from(first.proclitic_chars);
    if pc == 0 {
        pc = conjunction_waw(doc, first, gaz);
    }
    if pc == 0 {
        return (0, false);
    }
    let raw = doc.token_text(first);
    let letters = raw.chars().take(pc).filter(|c| !is_mark(*c)).count();
    let norm = doc.norm(first);
    let mut rest = norm.chars();
    let mut last = None;
    for _ in 0..letters {
        last = rest.next();
    }
    let rest = rest.as_str();
    let assimilated = last == Some('ل')
        && rest.starts_with('ل')
        && !rest.starts_with("لل")
        && rest.chars().count() >= 3
        && !gaz.is_exact(hash_str(rest));
    if !assimilated {
        return (pc, false);
    }
    // One more letter (with the marks that follow it) in original code points.
    let mut cps = 0usize;
    let mut seen = 0usize;
    for c in raw.chars() {
        if !is_mark(c) {
            if seen == letters + 1 {
                break;
            }
            seen += 1;
        }
        cps += 1;
    }
    (cps, true)
}

/// Arabic diacritics, tatweel and invisible format characters: not letters
/// (the text pipeline's norm drops them, so letter counts of norm and raw
/// agree only when they are skipped).
fn is_mark(c: char) -> bool {
    matches!(
        c,
        '\u{0610}'..='\u{061A}'
            | '\u{064B}'..='\u{065F}'
            | '\u{0670}'
            | '\u{06D6}'..='\u{06ED}'
            | '\u{0640}'
            | '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// 1 when the token starts with a conjunction و that the text pipeline
/// kept (it only splits it before an article or hamza, to keep وزير and
/// وجدة whole) but which is not part of the name: وفرنسا when فرنسا,
/// not وفرنسا, is a known one-token name.
fn conjunction_waw(doc: &Document<'_>, t: &Token, gaz: &Gazetteer) -> usize {
    let norm = doc.norm(t);
    let Some(rest) = norm.strip_prefix('و') else {
        return 0;
    };
    if rest.chars().count() < 3 || gaz.is_exact(hash_str(norm)) {
        return 0;
    }
    let raw = doc.token_text(t);
    if !raw.starts_with('و') {
        return 0;
    }
    usize::from(gaz.is_exact(hash_str(rest)))
}

/// Does `s` contain an uppercase letter (anywhere: "eBay", "iPhone")?
fn has_upper(s: &str) -> bool {
    s.chars().any(char::is_uppercase)
}

/// Build a mention from a tagged token range (absolute token indices).
pub fn raw_mention(
    doc: &Document<'_>,
    lang: Lang,
    trig: &Triggers,
    sentence: usize,
    tokens: Range<usize>,
    etype: EntityType,
) -> Option<RawMention> {
    // Latin script: a mention starts at a capitalised word ("chef du
    // gouvernement Aziz Akhannouch" -> "Aziz Akhannouch"), when it has one.
    let mut tokens = tokens;
    if lang != Lang::Ar {
        let all = doc.tokens.get(tokens.clone())?;
        if let Some(k) = all.iter().position(|t| {
            doc.token_text(t)
                .chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_numeric())
        }) {
            tokens = tokens.start + k..tokens.end;
        }
        // A span of lowercase words without one capital letter ("terme de
        // deux jours de discussions", "18 mars 2025") is not a name in
        // cased text: the French tagger, trained on WikiANN's title-like
        // fragments, tags such "X de Y" runs in news prose. Only in a
        // sentence that has capitals at all, so lowercased input keeps its
        // tags; a span with no cased letter at all (an Arabic-script or
        // CJK name quoted in French or English, a number) is not judged.
        if all
            .iter()
            .any(|t| doc.token_text(t).chars().any(char::is_lowercase))
            && !all.iter().any(|t| has_upper(doc.token_text(t)))
            && doc
                .sentences
                .get(sentence)
                .and_then(|s| doc.tokens.get(s.tokens.clone()))
                .is_some_and(|ts| ts.iter().any(|t| has_upper(doc.token_text(t))))
        {
            return None;
        }
    }
    let toks = doc.tokens.get(tokens.clone())?;
    // Leading titles (السيد، الدكتور، Mr, M.) are not part of the name,
    // as long as something is left.
    let mut skip = 0;
    if etype == EntityType::Person {
        while skip + 1 < toks.len() {
            let k = hash_str(match_key(lang, doc.norm(&toks[skip])));
            if trig.lookup(k) & 1 == 0 {
                break;
            }
            skip += 1;
        }
    }
    let core = tokens.start + skip..tokens.end;
    let keys: Vec<u64> = doc
        .tokens
        .get(core.clone())?
        .iter()
        .filter(|t| t.kind != crate::text::TokenKind::Punct)
        .map(|t| hash_str(match_key(lang, doc.norm(t))))
        .collect();
    if keys.is_empty() || keys.iter().all(|k| is_title_word(lang, trig, *k)) {
        return None;
    }
    Some(RawMention {
        sentence,
        tokens,
        core,
        etype,
        keys,
    })
}

/// Trigger classes that are titles or offices (PER = bit 0, ROLE = bit 3).
const TITLE_OR_ROLE: u32 = 1 | 1 << 3;

/// Hand-written words that name no one on their own (see the file).
const NOT_NAMES: &str = include_str!("../../data/gazetteers/hand/not_names.tsv");

/// Matching-key hashes of [`NOT_NAMES`] for one language, built once.
fn not_names(lang: Lang) -> &'static U64Set {
    static SETS: [OnceLock<U64Set>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let i = match lang {
        Lang::Ar => 0,
        Lang::Fr => 1,
        _ => 2,
    };
    SETS[i].get_or_init(|| {
        NOT_NAMES
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|w| {
                let (norm, _) = super::conll::token_forms(lang, w);
                hash_str(match_key(lang, &norm))
            })
            .collect()
    })
}

/// A title, an office or a generic head noun ("Premier ministre", السيد,
/// المحيط): a mention made only of such words is not a name, whatever the
/// tagger said (the tagger sees them next to names all the time).
fn is_title_word(lang: Lang, trig: &Triggers, key: u64) -> bool {
    trig.lookup(key) & TITLE_OR_ROLE != 0 || not_names(lang).contains(&key)
}

/// Hasher of the merging maps, whose keys are already mixed 64-bit hashes
/// (plus a type tag or an index): one multiply per word and a final mix,
/// instead of SipHash (most of the hashing cost of `merge`). Keys are
/// still compared in full, so the maps behave exactly as before.
#[derive(Default, Clone, Copy)]
struct MixHasher(u64);

impl std::hash::Hasher for MixHasher {
    fn finish(&self) -> u64 {
        super::hash::mix(self.0)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(23) ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
    fn write_isize(&mut self, x: isize) {
        self.write_u64(x as u64);
    }
}

type MixMap<K, V> = HashMap<K, V, BuildHasherDefault<MixHasher>>;

fn seq_hash(keys: &[u64]) -> u64 {
    keys.iter().fold(SEQ_START, |h, k| seq_extend(h, *k))
}

/// Longest sub-sequence indexed for "short name inside a long one" merging.
const MAX_SUB: usize = 4;
/// Longest name (in tokens) whose sub-sequences are indexed.
const MAX_NAME: usize = 8;

/// Merge raw mentions (in document order) into entities with salience.
pub fn merge(
    doc: &Document<'_>,
    lang: Lang,
    gaz: &Gazetteer,
    raws: Vec<RawMention>,
    weights: &SalienceWeights,
) -> Entities {
    if raws.is_empty() {
        return Entities::default();
    }
    // 1. Groups of identical (type, key sequence), in order of first mention.
    let mut group_of: MixMap<(EntityType, u64), usize> = MixMap::default();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut gkey: Vec<(EntityType, Vec<u64>)> = Vec::new();
    let mut mgroup = Vec::with_capacity(raws.len());
    for (i, m) in raws.iter().enumerate() {
        let h = seq_hash(&m.keys);
        let g = *group_of.entry((m.etype, h)).or_insert_with(|| {
            groups.push(Vec::new());
            gkey.push((m.etype, m.keys.clone()));
            groups.len() - 1
        });
        groups[g].push(i);
        mgroup.push(g);
    }
    // 2. A short name that is part of a longer one of the same type joins it
    //    (persons: any contiguous part; others: a prefix or suffix). Longer
    //    groups are indexed first; among candidates, the most mentioned wins
    //    (then the earliest), so "Mohammed" goes to the main Mohammed.
    let ng = groups.len();
    let mut parent: Vec<usize> = (0..ng).collect();
    let mut by_len: Vec<usize> = (0..ng).collect();
    by_len.sort_by_key(|g| (std::cmp::Reverse(gkey[*g].1.len()), *g));
    let mut sub_index: MixMap<(EntityType, u64), usize> = MixMap::default();
    let root = |parent: &Vec<usize>, mut g: usize| {
        // Parents always point to longer groups, so this terminates.
        for _ in 0..ng {
            if parent[g] == g {
                break;
            }
            g = parent[g];
        }
        g
    };
    let count_of = |parent: &Vec<usize>, groups: &Vec<Vec<usize>>, r: usize| -> usize {
        let _ = parent;
        groups[r].len()
    };
    for &g in &by_len {
        let (ty, keys) = &gkey[g];
        let n = keys.len();
        // Look for a longer group containing this one.
        if let Some(&cand) = sub_index.get(&(*ty, seq_hash(keys))) {
            let r = root(&parent, cand);
            if gkey[r].1.len() > n {
                parent[g] = r;
            }
        }
        // Index this group's parts for shorter groups.
        if (2..=MAX_NAME).contains(&n) {
            let r = root(&parent, g);
            for a in 0..n {
                for b in a + 1..=n.min(a + MAX_SUB) {
                    if b - a == n {
                        continue;
                    }
                    let is_edge = a == 0 || b == n;
                    if *ty != EntityType::Person && !is_edge {
                        continue;
                    }
                    let h = seq_hash(&keys[a..b]);
                    let e = sub_index.entry((*ty, h)).or_insert(r);
                    let cur = root(&parent, *e);
                    if cur != r && (count_of(&parent, &groups, r) > count_of(&parent, &groups, cur))
                    {
                        *e = r;
                    }
                }
            }
        }
    }
    // 3. Entities = roots, mentions in document order.
    let mut ent_of_root: MixMap<usize, usize> = MixMap::default();
    let mut ents: Vec<(EntityType, Vec<usize>)> = Vec::new();
    let mut ment_ent = Vec::with_capacity(raws.len());
    for (i, m) in raws.iter().enumerate() {
        let r = root(&parent, mgroup[i]);
        let e = *ent_of_root.entry(r).or_insert_with(|| {
            ents.push((m.etype, Vec::new()));
            ents.len() - 1
        });
        ents[e].1.push(i);
        ment_ent.push(e);
    }

    // 4. Salience.
    let title_keys = title_key_hashes(doc, lang);
    let content: Vec<usize> = doc
        .sentences
        .iter()
        .enumerate()
        .filter(|(_, s)| s.role != Role::Boilerplate)
        .map(|(i, _)| i)
        .collect();
    let n_sent = content.len().max(1);
    let mut rank_of_sentence = vec![0usize; doc.sentences.len()];
    for (r, &i) in content.iter().enumerate() {
        rank_of_sentence[i] = r;
    }
    let mut paragraphs: Vec<u32> = content
        .iter()
        .filter_map(|&i| doc.sentences.get(i).map(|s| s.paragraph))
        .collect();
    paragraphs.dedup();
    let n_par = paragraphs.len().max(1);
    let max_count = ents.iter().map(|e| e.1.len()).max().unwrap_or(1);
    let mut scored: Vec<(f32, usize)> = Vec::with_capacity(ents.len());
    for (ei, (_, ms)) in ents.iter().enumerate() {
        let count = ms.len();
        let freq = ((1 + count) as f32).ln() / ((1 + max_count) as f32).ln();
        let first = ms.first().map_or(0, |&m| raws[m].sentence);
        let pos = rank_of_sentence.get(first).copied().unwrap_or(0);
        let early = if n_sent > 1 {
            1.0 - pos as f32 / (n_sent - 1) as f32
        } else {
            1.0
        };
        let in_title = ms.iter().any(|&m| {
            doc.sentences
                .get(raws[m].sentence)
                .is_some_and(|s| s.role == Role::Title)
                || contains_seq(&title_keys, &raws[m].keys)
        });
        let mut pars: Vec<u32> = ms
            .iter()
            .filter_map(|&m| doc.sentences.get(raws[m].sentence).map(|s| s.paragraph))
            .collect();
        pars.dedup();
        let spread = pars.len() as f32 / n_par as f32;
        let s = weights.frequency * freq
            + weights.first_position * early
            + weights.in_title * if in_title { 1.0 } else { 0.0 }
            + weights.spread * spread.min(1.0);
        let s = if s.is_finite() {
            s.clamp(0.0, 1.0)
        } else {
            0.0
        };
        scored.push((s, ei));
    }
    // Sort by salience, ties by first appearance (deterministic).
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut new_index = vec![0usize; ents.len()];
    for (new, (_, old)) in scored.iter().enumerate() {
        new_index[*old] = new;
    }
    let mut mentions = Vec::with_capacity(raws.len());
    for (i, m) in raws.iter().enumerate() {
        let span = doc
            .tokens
            .get(m.tokens.clone())
            .and_then(|t| mention_span(doc, t, gaz))
            .unwrap_or_default();
        mentions.push(Mention {
            span,
            sentence: m.sentence,
            tokens: m.tokens.clone(),
            etype: m.etype,
            entity: new_index[ment_ent[i]],
        });
    }
    let entities = scored
        .iter()
        .map(|(s, old)| {
            let (ty, ms) = &ents[*old];
            DocEntity {
                text: canonical_text(doc, gaz, &raws, ms),
                etype: *ty,
                salience: *s,
                mentions: ms.clone(),
            }
        })
        .collect();
    Entities { mentions, entities }
}

/// The canonical name of an entity: among its most complete mentions (most
/// tokens; titles and proclitics excluded), a form with the Arabic article
/// first (المغرب rather than a bare stem), then the most frequent form, then
/// the earliest. Why: a short or clitic-cut form (لمغرب from للمغرب) must not
/// name the entity when a proper form is among its mentions; an assimilated
/// لل gets its article back (للمغرب alone → المغرب).
fn canonical_text(
    doc: &Document<'_>,
    gaz: &Gazetteer,
    raws: &[RawMention],
    ms: &[usize],
) -> String {
    let longest = ms
        .iter()
        .filter_map(|m| raws.get(*m))
        .map(|m| m.keys.len())
        .max()
        .unwrap_or(0);
    // (form, count, first index) in order of first appearance; entities
    // have few distinct forms, so a linear scan is cheap.
    let mut forms: Vec<(String, usize, usize)> = Vec::new();
    for (i, &mi) in ms.iter().enumerate() {
        let Some(m) = raws.get(mi) else { continue };
        if m.keys.len() != longest {
            continue;
        }
        let Some(f) = surface_form(doc, gaz, m) else {
            continue;
        };
        if let Some(x) = forms.iter_mut().find(|x| x.0 == f) {
            x.1 += 1;
        } else {
            forms.push((f, 1, i));
        }
    }
    forms
        .into_iter()
        .max_by(|a, b| {
            let art = |s: &str| s.starts_with("ال") || s.starts_with("أل");
            art(&a.0)
                .cmp(&art(&b.0))
                .then(a.1.cmp(&b.1))
                .then(b.2.cmp(&a.2))
        })
        .map(|x| x.0)
        .unwrap_or_default()
}

/// A mention's text without leading titles and proclitics; the article of
/// an assimilated لل is restored (للمغرب → المغرب).
fn surface_form(doc: &Document<'_>, gaz: &Gazetteer, m: &RawMention) -> Option<String> {
    let toks = doc.tokens.get(m.core.clone())?;
    let span = mention_span(doc, toks, gaz)?;
    let text = span.slice(doc.text);
    if text.is_empty() {
        return None;
    }
    let first = toks.first()?;
    if name_start(doc, first, gaz).1 {
        Some(format!("ال{text}"))
    } else {
        Some(text.to_string())
    }
}

/// Matching keys of the title: the Title-role sentences' tokens are
/// checked through their sentence role; this covers the caller's separate
/// title, which has no tokens of its own.
fn title_key_hashes(doc: &Document<'_>, lang: Lang) -> Vec<u64> {
    let Some(t) = doc.extra_title else {
        return Vec::new();
    };
    t.split(|c: char| c.is_whitespace() || (c.is_ascii_punctuation() && c != '\'' && c != '-'))
        .chain(std::iter::empty())
        .filter(|w| !w.is_empty())
        .take(200)
        .map(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            let mut norm = String::new();
            crate::text::normalize::normalize_into(w, &mut norm);
            hash_str(match_key(lang, &norm))
        })
        .collect()
}

/// Is `needle` a contiguous part of `hay`? (Title lengths are bounded.)
fn contains_seq(hay: &[u64], needle: &[u64]) -> bool {
    !needle.is_empty()
        && needle.len() <= hay.len()
        && hay.windows(needle.len()).any(|w| w == needle)
}
