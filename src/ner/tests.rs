//! Tests of the whole NER stage on the project's own short articles (not
//! taken from any dataset), with the shipped model, plus model-file and
//! merging tests that do not depend on the model.

use super::entities::{merge, raw_mention, SalienceWeights};
use super::gazetteer::Triggers;
use super::*;
use crate::model_file::ModelError;
use crate::text::{analyze, Lang, TextOptions};
use std::path::PathBuf;
use std::sync::OnceLock;

fn model_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/ner.bin")
}

fn model() -> &'static NerModel {
    static M: OnceLock<NerModel> = OnceLock::new();
    M.get_or_init(|| match NerModel::load(&model_path()) {
        Ok(m) => m,
        Err(e) => panic!("shipped model models/ner.bin must load: {e}"),
    })
}

fn doc<'a>(text: &'a str, lang: Lang) -> Document<'a> {
    analyze(
        text,
        TextOptions {
            title: None,
            lang_hint: Some(lang),
        },
    )
}

/// (type, canonical text) of every entity.
fn ents(e: &Entities) -> Vec<(EntityType, String)> {
    e.entities
        .iter()
        .map(|x| (x.etype, x.text.clone()))
        .collect()
}

fn has(e: &Entities, ty: EntityType, needle: &str) -> bool {
    e.entities
        .iter()
        .any(|x| x.etype == ty && x.text.contains(needle))
}

/// Invariants every result must satisfy.
fn check_invariants(d: &Document<'_>, e: &Entities) {
    for (i, m) in e.mentions.iter().enumerate() {
        assert!(m.entity < e.entities.len());
        assert!(e.entities[m.entity].mentions.contains(&i));
        assert!(m.span.start <= m.span.end && m.span.end <= d.text.len());
        assert!(d.text.is_char_boundary(m.span.start) && d.text.is_char_boundary(m.span.end));
        let cp = d.text[..m.span.start].chars().count() as u32;
        assert_eq!(cp, m.span.cstart);
        assert_eq!(
            cp + m.span.slice(d.text).chars().count() as u32,
            m.span.cend
        );
        assert_ne!(d.sentences[m.sentence].role, Role::Boilerplate);
    }
    for w in e.entities.windows(2) {
        assert!(w[0].salience >= w[1].salience);
    }
    for x in &e.entities {
        assert!((0.0..=1.0).contains(&x.salience));
        assert!(x.mentions.windows(2).all(|w| w[0] < w[1]));
    }
}

const AR_ARTICLE: &str = "حموشي يستقبل وفدا من الإنتربول في الرباط
الرباط - كتبه: يوسف الإدريسي
استقبل المدير العام للأمن الوطني عبد اللطيف حموشي، يوم الاثنين بالرباط، وفدا رفيعا من منظمة الأنتربول برئاسة أحمد ناصر الريسي.
وأكد حموشي خلال هذا اللقاء أن التعاون الأمني بين المغرب وفرنسا وإسبانيا يعرف تطورا كبيرا.
وقال السيد أحمد ناصر الريسي إن المملكة المغربية شريك أساسي في مكافحة الإرهاب.";

#[test]
fn arabic_article_people_places_orgs() {
    let d = doc(AR_ARTICLE, Lang::Ar);
    let e = extract(&d, model());
    check_invariants(&d, &e);
    eprintln!("{:?}", ents(&e));
    assert!(has(&e, EntityType::Person, "حموشي"), "{:?}", ents(&e));
    assert!(has(&e, EntityType::Location, "الرباط"), "{:?}", ents(&e));
    assert!(has(&e, EntityType::Location, "المغرب"), "{:?}", ents(&e));
    // حموشي (title) and عبد اللطيف حموشي (body) are one entity, the most
    // salient one (title + body + repeated).
    let h: Vec<_> = e
        .entities
        .iter()
        .filter(|x| x.etype == EntityType::Person && x.text.contains("حموشي"))
        .collect();
    assert_eq!(h.len(), 1, "{:?}", ents(&e));
    assert!(h[0].text.contains("عبد اللطيف"), "{:?}", h[0]);
    assert!(h[0].mentions.len() >= 3);
    // The mention in بالرباط starts after the proclitic.
    assert!(e
        .mentions
        .iter()
        .all(|m| !m.span.slice(d.text).starts_with("بال")));
}

const FR_ARTICLE: &str = "Emmanuel Macron reçu à Rabat par le roi Mohammed VI
Par Claire Dubois, à Paris
Le président français Emmanuel Macron est arrivé lundi à Rabat pour une visite d'État de trois jours au Maroc.
Macron a rencontré le chef du gouvernement Aziz Akhannouch et plusieurs dirigeants de l'Office chérifien des phosphates.
Selon l'Agence France-Presse, les deux pays ont signé des accords avec la Banque mondiale.";

#[test]
fn french_article_people_places_orgs() {
    let d = doc(FR_ARTICLE, Lang::Fr);
    let e = extract(&d, model());
    check_invariants(&d, &e);
    eprintln!("{:?}", ents(&e));
    assert!(has(&e, EntityType::Person, "Macron"), "{:?}", ents(&e));
    assert!(has(&e, EntityType::Location, "Rabat"), "{:?}", ents(&e));
    assert!(has(&e, EntityType::Location, "Maroc"), "{:?}", ents(&e));
    assert!(has(&e, EntityType::Person, "Akhannouch"), "{:?}", ents(&e));
    assert!(
        e.entities
            .iter()
            .any(|x| x.etype == EntityType::Organization),
        "{:?}",
        ents(&e)
    );
    let macron: Vec<_> = e
        .entities
        .iter()
        .filter(|x| x.etype == EntityType::Person && x.text.contains("Macron"))
        .collect();
    assert_eq!(macron.len(), 1, "{:?}", ents(&e));
    assert_eq!(macron[0].text, "Emmanuel Macron");
}

const EN_ARTICLE: &str = "Morocco and Spain sign water deal in Madrid
By Sarah Johnson in London
Moroccan Foreign Minister Nasser Bourita met his Spanish counterpart Jose Manuel Albares in Madrid on Tuesday.
Bourita said the agreement with the European Union would help farmers in Morocco.
The World Bank welcomed the deal, a spokesman told Reuters.";

#[test]
fn english_article_people_places_orgs() {
    let d = doc(EN_ARTICLE, Lang::En);
    let e = extract(&d, model());
    check_invariants(&d, &e);
    eprintln!("{:?}", ents(&e));
    assert!(has(&e, EntityType::Person, "Bourita"), "{:?}", ents(&e));
    assert!(has(&e, EntityType::Location, "Madrid"), "{:?}", ents(&e));
    assert!(has(&e, EntityType::Location, "Morocco"), "{:?}", ents(&e));
    assert!(
        has(&e, EntityType::Organization, "European Union"),
        "{:?}",
        ents(&e)
    );
    assert!(
        has(&e, EntityType::Organization, "World Bank"),
        "{:?}",
        ents(&e)
    );
    let b: Vec<_> = e
        .entities
        .iter()
        .filter(|x| x.etype == EntityType::Person && x.text.contains("Bourita"))
        .collect();
    assert_eq!(b.len(), 1, "{:?}", ents(&e));
    assert_eq!(b[0].text, "Nasser Bourita");
}

#[test]
fn one_line_texts_are_tagged() {
    let d = doc("Angela Merkel visited Paris.", Lang::En);
    let e = extract(&d, model());
    check_invariants(&d, &e);
    assert!(has(&e, EntityType::Person, "Merkel"), "{:?}", ents(&e));
    assert!(has(&e, EntityType::Location, "Paris"), "{:?}", ents(&e));
}

#[test]
fn separate_title_raises_salience() {
    let body = "The minister spoke in Rabat. Later he travelled to Cairo and then to Tunis.";
    let with = analyze(
        body,
        TextOptions {
            title: Some("Talks in Cairo"),
            lang_hint: Some(Lang::En),
        },
    );
    let e = extract(&with, model());
    check_invariants(&with, &e);
    let first = e.entities.first().map(|x| x.text.clone());
    assert_eq!(first.as_deref(), Some("Cairo"), "{:?}", ents(&e));
}

#[test]
fn never_panics_on_odd_input() {
    let m = model();
    for text in [
        "",
        " ",
        "\n\n\n",
        "...!!!؟؟",
        "و",
        "وب",
        "\u{200F}\u{200B}",
        "A",
        "ﷺ ﷽ 𝔸𝔹ℂ",
        "Mr. Mr. Mr. Mr.",
        "السيد السيد السيد",
        &"Rabat ".repeat(2000),
        &"محمد ".repeat(3000),
    ] {
        for lang in [Lang::Ar, Lang::Fr, Lang::En, Lang::Und] {
            let d = doc(text, lang);
            let e = extract(&d, m);
            check_invariants(&d, &e);
        }
    }
}

// ---- merging rules on hand-built mentions (independent of the model)

/// Mentions for token ranges found by their text (each `(first token
/// text, length, type)`, all occurrences).
fn mentions_for(
    d: &Document<'_>,
    lang: Lang,
    trig: &Triggers,
    spec: &[(&str, usize, EntityType)],
) -> Vec<entities::RawMention> {
    let mut out = Vec::new();
    for (si, s) in d.sentences.iter().enumerate() {
        for ti in s.tokens.clone() {
            for (first, len, ty) in spec {
                if d.token_text(&d.tokens[ti]) == *first && ti + len <= s.tokens.end {
                    if let Some(m) = raw_mention(d, lang, trig, si, ti..ti + len, *ty) {
                        out.push(m);
                    }
                }
            }
        }
    }
    out.sort_by_key(|m| m.tokens.start);
    out
}

#[test]
fn merge_arabic_clitic_variants_and_short_names() {
    let text = "زار عبد اللطيف حموشي المغرب.\nوقال حموشي إن للمغرب دورا.\nوأكد السيد حموشي أن والمغرب بلد آمن.";
    let d = doc(text, Lang::Ar);
    let trig = train::triggers(Lang::Ar);
    let raws = mentions_for(
        &d,
        Lang::Ar,
        &trig,
        &[
            ("عبد", 3, EntityType::Person),
            ("حموشي", 1, EntityType::Person),
            ("السيد", 2, EntityType::Person),
            ("المغرب", 1, EntityType::Location),
            ("للمغرب", 1, EntityType::Location),
            ("والمغرب", 1, EntityType::Location),
        ],
    );
    let e = merge(
        &d,
        Lang::Ar,
        &train::hand_gazetteer(Lang::Ar),
        raws,
        &SalienceWeights::default(),
    );
    check_invariants(&d, &e);
    let people: Vec<_> = e
        .entities
        .iter()
        .filter(|x| x.etype == EntityType::Person)
        .collect();
    // The standalone حموشي inside عبد اللطيف حموشي was not added (the spec
    // adds it at every occurrence, including inside the long name): all
    // person mentions form ONE entity named by the longest form.
    assert_eq!(people.len(), 1, "{:?}", ents(&e));
    assert_eq!(people[0].text, "عبد اللطيف حموشي");
    let places: Vec<_> = e
        .entities
        .iter()
        .filter(|x| x.etype == EntityType::Location)
        .collect();
    assert_eq!(places.len(), 1, "{:?}", ents(&e));
    assert_eq!(places[0].mentions.len(), 3);
    assert_eq!(places[0].text, "المغرب");
    // Proclitics are outside the mention spans; the title السيد is not in
    // the canonical text.
    for m in &e.mentions {
        let s = m.span.slice(d.text);
        assert!(!s.starts_with("لل") && !s.starts_with("وال"), "{s}");
    }
}

#[test]
fn merge_latin_short_names_titles_and_types() {
    let text = "Abdellatif Hammouchi met Mr. Hammouchi's guests. Later Hammouchi left Rabat. Hammouchi Street is in Rabat.";
    let d = doc(text, Lang::En);
    let trig = train::triggers(Lang::En);
    let raws = mentions_for(
        &d,
        Lang::En,
        &trig,
        &[
            ("Abdellatif", 2, EntityType::Person),
            ("Mr.", 2, EntityType::Person),
            ("Later", 0, EntityType::Person),
            ("Rabat", 1, EntityType::Location),
        ],
    );
    let mut raws = raws;
    // "Hammouchi" alone (third sentence) and "Hammouchi Street" (a place:
    // another type, must not merge into the person).
    raws.extend(
        mentions_for(
            &d,
            Lang::En,
            &trig,
            &[
                ("Hammouchi", 1, EntityType::Person),
                ("Hammouchi", 2, EntityType::Location),
            ],
        )
        .into_iter()
        .filter(|m| {
            let t = d.token_text(&d.tokens[m.tokens.start.saturating_sub(1)]);
            t == "Later"
                || (m.etype == EntityType::Location
                    && d.token_text(&d.tokens[m.tokens.end - 1]) == "Street")
        }),
    );
    raws.sort_by_key(|m| m.tokens.start);
    let e = merge(
        &d,
        Lang::En,
        &Default::default(),
        raws,
        &SalienceWeights::default(),
    );
    check_invariants(&d, &e);
    let people: Vec<_> = e
        .entities
        .iter()
        .filter(|x| x.etype == EntityType::Person)
        .collect();
    assert_eq!(people.len(), 1, "{:?}", ents(&e));
    assert_eq!(people[0].text, "Abdellatif Hammouchi");
    assert_eq!(people[0].mentions.len(), 3);
    assert!(has(&e, EntityType::Location, "Hammouchi Street"));
    let rabat: Vec<_> = e.entities.iter().filter(|x| x.text == "Rabat").collect();
    assert_eq!(rabat.len(), 1);
    assert_eq!(rabat[0].mentions.len(), 2);
}

#[test]
fn assimilated_article_gives_a_proper_name() {
    // Only the assimilated form occurs: the span must not be the clitic-cut
    // "لمغرب", and the entity is named with its article.
    let text = "قال الوزير إن للمغرب دورا كبيرا في المنطقة.\nوأكد أن للمغرب شركاء كثيرين.";
    let d = doc(text, Lang::Ar);
    let trig = train::triggers(Lang::Ar);
    let gaz = train::hand_gazetteer(Lang::Ar);
    let raws = mentions_for(&d, Lang::Ar, &trig, &[("للمغرب", 1, EntityType::Location)]);
    assert_eq!(raws.len(), 2);
    let e = merge(&d, Lang::Ar, &gaz, raws, &SalienceWeights::default());
    check_invariants(&d, &e);
    assert_eq!(ents(&e), vec![(EntityType::Location, "المغرب".to_string())]);
    for m in &e.mentions {
        assert_eq!(m.span.slice(d.text), "مغرب");
    }
    // With both forms present, the article form names the entity even when
    // the assimilated one is more frequent and comes first.
    let text = "للمغرب دور. للمغرب شركاء. وزار الوفد المغرب.";
    let d = doc(text, Lang::Ar);
    let raws = mentions_for(
        &d,
        Lang::Ar,
        &trig,
        &[
            ("للمغرب", 1, EntityType::Location),
            ("المغرب", 1, EntityType::Location),
        ],
    );
    let e = merge(&d, Lang::Ar, &gaz, raws, &SalienceWeights::default());
    assert_eq!(ents(&e), vec![(EntityType::Location, "المغرب".to_string())]);
    assert_eq!(e.entities[0].mentions.len(), 3);
    // ل + a name that itself starts with ل keeps it (للبنان → لبنان).
    let text = "قدمت فرنسا دعما للبنان.";
    let d = doc(text, Lang::Ar);
    let raws = mentions_for(&d, Lang::Ar, &trig, &[("للبنان", 1, EntityType::Location)]);
    let e = merge(&d, Lang::Ar, &gaz, raws, &SalienceWeights::default());
    assert_eq!(e.mentions[0].span.slice(d.text), "لبنان");
    assert_eq!(e.entities[0].text, "لبنان");
}

#[test]
fn titles_roles_and_head_nouns_alone_are_not_names() {
    let text = "Le Premier ministre a parlé. M. Martin Dupont est arrivé.";
    let d = doc(text, Lang::Fr);
    let trig = train::triggers(Lang::Fr);
    let raws = mentions_for(
        &d,
        Lang::Fr,
        &trig,
        &[
            ("Premier", 2, EntityType::Organization),
            ("M.", 1, EntityType::Person),
            ("M.", 3, EntityType::Person),
        ],
    );
    let spans: Vec<_> = raws
        .iter()
        .map(|m| d.token_text(&d.tokens[m.core.start]))
        .collect();
    assert_eq!(spans, vec!["Martin"]);
    let d = doc("تطرق اللقاء إلى المخاطر المحدقة بالمحيط الإقليمي.", Lang::Ar);
    let trig = train::triggers(Lang::Ar);
    let raws = mentions_for(&d, Lang::Ar, &trig, &[("بالمحيط", 1, EntityType::Location)]);
    assert!(raws.is_empty());
    // With the shipped model: a one-sentence French text.
    let d = doc(
        "Le Premier ministre a présidé lundi à Rabat une réunion sur l'eau.",
        Lang::Fr,
    );
    let e = extract(&d, model());
    check_invariants(&d, &e);
    assert!(
        !e.entities.iter().any(|x| x.text.contains("ministre")),
        "{:?}",
        ents(&e)
    );
    assert!(has(&e, EntityType::Location, "Rabat"), "{:?}", ents(&e));
}

#[test]
fn latin_spans_without_a_capital_are_not_names() {
    let text = "Le site eBay a ouvert un bureau à Dakar le 18 mars 2025 au terme de deux jours de discussions avec حموشي.";
    let d = doc(text, Lang::Fr);
    let trig = train::triggers(Lang::Fr);
    let spec = [
        ("eBay", 1, EntityType::Organization),
        ("Dakar", 1, EntityType::Location),
        ("18", 3, EntityType::Organization),
        ("terme", 5, EntityType::Organization),
        ("حموشي", 1, EntityType::Person),
    ];
    let firsts = |raws: &[entities::RawMention], d: &Document<'_>| -> Vec<String> {
        raws.iter()
            .map(|m| d.token_text(&d.tokens[m.core.start]).to_string())
            .collect()
    };
    assert_eq!(
        firsts(&mentions_for(&d, Lang::Fr, &trig, &spec), &d),
        ["eBay", "Dakar", "حموشي"]
    );
    // Lowercased input has no capitals to go by: its spans stay.
    let lower = text.to_lowercase();
    let d = doc(&lower, Lang::Fr);
    let spec = [
        ("dakar", 1, EntityType::Location),
        ("18", 3, EntityType::Organization),
    ];
    assert_eq!(
        firsts(&mentions_for(&d, Lang::Fr, &trig, &spec), &d),
        ["dakar", "18"]
    );
    // With the shipped model: a French news paragraph of the kind whose
    // lowercase "X de Y" runs the WikiANN-trained tagger marks as names.
    let d = doc(
        "Au terme de deux jours de discussions parfois tendues, les dirigeants ont adopté une déclaration commune. \
         La présidente de la Commission européenne a annoncé une enveloppe de douze milliards d'euros pour financer des lignes de transport d'électricité en Mauritanie. \
         Une trentaine d'organisations de la société civile ont dénoncé la dette, et les commerçants parlaient de milliards sans en voir la couleur.",
        Lang::Fr,
    );
    let e = extract(&d, model());
    check_invariants(&d, &e);
    for m in &e.mentions {
        assert!(
            d.tokens[m.tokens.clone()]
                .iter()
                .any(|t| d.token_text(t).chars().any(char::is_uppercase)),
            "{:?}",
            ents(&e)
        );
    }
    assert!(
        has(&e, EntityType::Location, "Mauritanie"),
        "{:?}",
        ents(&e)
    );
}

const AR_COORD: &str =
    "عقدت المديرية العامة للأمن الوطني والمديرية العامة لمراقبة التراب الوطني اجتماعا في الرباط.";

#[test]
fn coordinated_organisations_are_two_entities() {
    let d = doc(AR_COORD, Lang::Ar);
    let tagger = model().tagger(Lang::Ar).unwrap();
    let s = &d.sentences[0];
    // The whole coordination as one tagged range (as the tagger may give it).
    let first = (s.tokens.clone())
        .find(|&i| d.token_text(&d.tokens[i]) == "المديرية")
        .unwrap();
    let end = (s.tokens.clone())
        .find(|&i| d.token_text(&d.tokens[i]) == "اجتماعا")
        .unwrap();
    let (a, next) = split_coordination(&d, tagger, first..end);
    assert_eq!(d.token_text(&d.tokens[a.end - 1]), "الوطني");
    assert_eq!(d.token_text(&d.tokens[next]), "والمديرية");
    let (b, after) = split_coordination(&d, tagger, next..end);
    assert_eq!((b, after), (next..end, end));
    // No coordination: the range is returned whole.
    let (c, _) = split_coordination(&d, tagger, first..next);
    assert_eq!(c, first..next);
    // End to end with the shipped model.
    let e = extract(&d, model());
    check_invariants(&d, &e);
    let orgs: Vec<_> = e
        .entities
        .iter()
        .filter(|x| x.etype == EntityType::Organization)
        .map(|x| x.text.as_str())
        .collect();
    assert!(!orgs.iter().any(|o| o.contains("والمديرية")), "{orgs:?}");
    let en = doc(
        "The Ministry of Finance and the Ministry of Health signed it.",
        Lang::En,
    );
    let t = model().tagger(Lang::En).unwrap();
    let r = en.sentences[0].tokens.clone();
    let (x, y) = split_coordination(&en, t, r.start + 1..r.start + 9);
    assert_eq!(x, r.start + 1..r.start + 4);
    assert_eq!(y, r.start + 5);
}

#[test]
fn merge_handles_no_mentions() {
    let d = doc("Nothing here.", Lang::En);
    let e = merge(
        &d,
        Lang::En,
        &Default::default(),
        Vec::new(),
        &SalienceWeights::default(),
    );
    assert_eq!(e, Entities::default());
}

// ---- model file

#[test]
fn model_round_trip() {
    let m = model();
    assert_eq!(m.languages(), vec![Lang::Ar, Lang::En, Lang::Fr]);
    let bytes = NerModel::encode(&m.taggers, m.version());
    let on_disk = std::fs::read(model_path()).unwrap_or_default();
    assert_eq!(
        bytes, on_disk,
        "re-encoding must reproduce the file exactly"
    );
    let m2 = NerModel::from_bytes(&bytes).expect("round trip");
    assert_eq!(m2.sha256(), m.sha256());
    let d = doc(EN_ARTICLE, Lang::En);
    assert_eq!(extract(&d, m), extract(&d, &m2));
}

#[test]
fn corrupt_or_missing_model_is_a_clear_error() {
    let missing = NerModel::load(std::path::Path::new("/nonexistent/ner.bin"));
    assert!(matches!(missing, Err(ModelError::Io { .. })));
    let msg = missing.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains("/nonexistent/ner.bin"), "{msg}");

    let good = std::fs::read(model_path()).unwrap_or_default();
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    assert!(matches!(
        NerModel::from_bytes(&flipped),
        Err(ModelError::Checksum)
    ));
    assert!(NerModel::from_bytes(&good[..good.len() / 3]).is_err());
    assert!(matches!(
        NerModel::from_bytes(b"hello"),
        Err(ModelError::BadMagic)
    ));
    // Valid container, garbage payload: a Malformed/Truncated error, no panic.
    for payload in [&b""[..], b"junk", &[0xFF; 64], &good[40..200]] {
        let f = crate::model_file::encode(KIND, FORMAT, payload);
        assert!(NerModel::from_bytes(&f).is_err());
    }
    // Another model kind.
    let f = crate::model_file::encode(b"TOP1", FORMAT, b"x");
    assert!(matches!(
        NerModel::from_bytes(&f),
        Err(ModelError::WrongKind { .. })
    ));
}

#[test]
fn model_loads_fast() {
    let t = std::time::Instant::now();
    let m = NerModel::load(&model_path());
    assert!(m.is_ok());
    // Generous bound for unoptimised test builds on a shared machine; the
    // release figure is in models/NER.md.
    assert!(t.elapsed().as_secs_f64() < 5.0);
}

#[test]
fn many_mentions_stay_linear() {
    // 6,000 distinct capitalised "names" plus repeats: merging must not
    // compare every pair of entities.
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(&format!("Ahmed Benali{i} met Karim Idrissi{i} in Rabat. "));
    }
    let d = doc(&text, Lang::En);
    let t = std::time::Instant::now();
    let e = extract(&d, model());
    check_invariants(&d, &e);
    assert!(t.elapsed().as_secs_f64() < 20.0);
    assert!(e.entities.len() > 100);
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn extract_never_panics(
            text in "[ a-zA-Z.,\u{0600}-\u{06FF}\u{200F}\n«»'’-]{0,300}",
            lang in prop_oneof![Just(Lang::Ar), Just(Lang::Fr), Just(Lang::En), Just(Lang::Und)],
        ) {
            let d = doc(&text, lang);
            let e = extract(&d, model());
            check_invariants(&d, &e);
        }
    }
}
