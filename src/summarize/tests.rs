//! Unit tests of the summariser on our own short articles (ar, fr, en),
//! with hand-built documents and entities so they depend neither on the
//! text pipeline's segmentation nor on the NER model.

use super::*;
use crate::ner::{DocEntity, Entities, EntityType, Mention};
use crate::text::{Lang, Role, Sentence, Span, Token, TokenKind};

/// Text of a test article: (role, paragraph, sentence) joined by newlines.
fn join(parts: &[(Role, u32, &str)]) -> String {
    parts.iter().map(|p| p.2).collect::<Vec<_>>().join("\n")
}

/// Hand-built document: one sentence per part; tokens are letter/digit runs
/// (norm = stem = lowercase) and single punctuation characters.
fn build<'a>(text: &'a str, parts: &[(Role, u32, &str)], lang: Lang) -> Document<'a> {
    let mut sentences = Vec::new();
    let mut tokens = Vec::new();
    let mut norm_buf = String::new();
    let mut byte = 0usize;
    let mut cp = 0u32;
    for (role, para, s) in parts {
        let t0 = tokens.len();
        let mut cur: Option<(usize, u32, String, bool)> = None;
        let mut b = byte;
        let mut c = cp;
        let flush = |cur: &mut Option<(usize, u32, String, bool)>,
                     b: usize,
                     c: u32,
                     tokens: &mut Vec<Token>,
                     norm_buf: &mut String| {
            if let Some((sb, sc, w, digits)) = cur.take() {
                let n0 = norm_buf.len() as u32;
                norm_buf.push_str(&w.to_lowercase());
                let n1 = norm_buf.len() as u32;
                tokens.push(Token {
                    span: Span {
                        start: sb,
                        end: b,
                        cstart: sc,
                        cend: c,
                    },
                    kind: if digits {
                        TokenKind::Number
                    } else {
                        TokenKind::Word
                    },
                    norm: n0..n1,
                    stem: n0..n1,
                    proclitic_chars: 0,
                });
            }
        };
        for ch in s.chars() {
            if ch.is_alphanumeric() {
                match cur.as_mut() {
                    Some(w) => {
                        w.2.push(ch);
                        w.3 &= ch.is_numeric();
                    }
                    None => cur = Some((b, c, ch.to_string(), ch.is_numeric())),
                }
            } else {
                flush(&mut cur, b, c, &mut tokens, &mut norm_buf);
                if !ch.is_whitespace() {
                    let n0 = norm_buf.len() as u32;
                    norm_buf.push(ch);
                    let n1 = norm_buf.len() as u32;
                    tokens.push(Token {
                        span: Span {
                            start: b,
                            end: b + ch.len_utf8(),
                            cstart: c,
                            cend: c + 1,
                        },
                        kind: TokenKind::Punct,
                        norm: n0..n1,
                        stem: n0..n1,
                        proclitic_chars: 0,
                    });
                }
            }
            b += ch.len_utf8();
            c += 1;
        }
        flush(&mut cur, b, c, &mut tokens, &mut norm_buf);
        sentences.push(Sentence {
            span: Span {
                start: byte,
                end: b,
                cstart: cp,
                cend: c,
            },
            role: *role,
            tokens: t0..tokens.len(),
            paragraph: *para,
        });
        byte = b + 1;
        cp = c + 1;
    }
    Document {
        text,
        extra_title: None,
        lang,
        lang_confidence: 1.0,
        lang_from_hint: true,
        sentences,
        tokens,
        norm_buf,
    }
}

/// Entities by surface form: every occurrence (as a token sequence) of each
/// surface in a non-boilerplate sentence is a mention. Entities keep the
/// given order (= salience order).
fn ents(doc: &Document<'_>, list: &[(&str, EntityType, f32)]) -> Entities {
    let mut mentions: Vec<Mention> = Vec::new();
    for (ei, (surface, et, _)) in list.iter().enumerate() {
        let words: Vec<String> = surface.split(' ').map(|w| w.to_lowercase()).collect();
        for (si, s) in doc.sentences.iter().enumerate() {
            if s.role == Role::Boilerplate {
                continue;
            }
            let toks = doc.sentence_tokens(s);
            for start in 0..toks.len() {
                let ok = words
                    .iter()
                    .enumerate()
                    .all(|(j, w)| toks.get(start + j).is_some_and(|t| doc.norm(t) == w));
                if ok {
                    let a = &toks[start];
                    let b = &toks[start + words.len() - 1];
                    mentions.push(Mention {
                        span: Span {
                            start: a.span.start,
                            end: b.span.end,
                            cstart: a.span.cstart,
                            cend: b.span.cend,
                        },
                        sentence: si,
                        tokens: s.tokens.start + start..s.tokens.start + start + words.len(),
                        etype: *et,
                        entity: ei,
                    });
                }
            }
        }
    }
    mentions.sort_by_key(|m| (m.span.start, m.entity));
    let mut entities: Vec<DocEntity> = list
        .iter()
        .map(|(s, et, sal)| DocEntity {
            text: s.to_string(),
            etype: *et,
            salience: *sal,
            mentions: Vec::new(),
        })
        .collect();
    for (mi, m) in mentions.iter().enumerate() {
        entities[m.entity].mentions.push(mi);
    }
    Entities { mentions, entities }
}

fn run(doc: &Document<'_>, e: &Entities, len: Length) -> Vec<Chosen> {
    summarize(doc, e, &SummaryConfig::default(), &len, &mut |_| {
        ControlFlow::Continue(())
    })
}

fn sents(len: u32) -> Length {
    Length {
        max_sentences: Some(len),
        ..Length::default()
    }
}

fn idx(c: &[Chosen]) -> Vec<usize> {
    c.iter().map(|c| c.sentence).collect()
}

const B: Role = Role::Body;

const EN: &[(Role, u32, &str)] = &[
    (Role::Title, 0, "Port strike ends after talks in Casablanca"),
    (Role::Byline, 1, "By Sarah Collins, Reuters, 12 March"),
    (B, 2, "Dock workers at the Casablanca port returned to work on Monday after Transport Minister Karim Bennani and the Dockers Union signed a wage deal."),
    (B, 2, "The strike had lasted nine days and left dozens of ships waiting offshore."),
    (B, 3, "Traders said it was a difficult week and that prices went up a little everywhere."),
    (B, 3, "Many people waited for news and hoped that the situation would be resolved soon."),
    (Role::Heading, 4, "What the deal says"),
    (B, 5, "Under the deal, Marsa Maroc will raise wages by eight percent, Bennani told Reuters in Rabat."),
    (B, 5, "It was not clear how long the calm would last, some observers noted with caution."),
    (B, 6, "The World Bank and the International Monetary Fund had warned that the strike threatened exports to Spain and France."),
    (B, 6, "Work resumed slowly and the first ships were unloaded in the evening."),
    (Role::Boilerplate, 7, "Read more: Casablanca port news, Karim Bennani, Marsa Maroc, World Bank, Reuters"),
];

fn en_doc_ents(text: &str) -> (Document<'_>, Vec<(&'static str, EntityType, f32)>) {
    let d = build(text, EN, Lang::En);
    let list = vec![
        ("Casablanca", EntityType::Location, 0.9),
        ("Karim Bennani", EntityType::Person, 0.8),
        ("Bennani", EntityType::Person, 0.5),
        ("Marsa Maroc", EntityType::Organization, 0.6),
        ("Dockers Union", EntityType::Organization, 0.5),
        ("World Bank", EntityType::Organization, 0.4),
        ("International Monetary Fund", EntityType::Organization, 0.4),
        ("Reuters", EntityType::Organization, 0.3),
        ("Rabat", EntityType::Location, 0.3),
        ("Spain", EntityType::Location, 0.2),
        ("France", EntityType::Location, 0.2),
        ("Sarah Collins", EntityType::Person, 0.2),
    ];
    (d, list)
}

#[test]
fn english_entity_rich_sentences_are_chosen() {
    let text = join(EN);
    let (d, list) = en_doc_ents(&text);
    let e = ents(&d, &list);
    let c = run(&d, &e, sents(3));
    let got = idx(&c);
    // The lead and the sentence naming the main actors (Bennani, Marsa
    // Maroc) are in; the entity-free filler of the middle is not.
    assert!(got.contains(&2) && got.contains(&7), "{c:#?}");
    assert!(
        !got.contains(&4) && !got.contains(&5) && !got.contains(&8),
        "{c:#?}"
    );
    // The entities that earned the score are reported.
    let first = &c[0];
    let names: Vec<&str> = first
        .entities
        .iter()
        .map(|&i| e.entities[i].text.as_str())
        .collect();
    assert!(names.contains(&"Casablanca") && names.contains(&"Karim Bennani"));
    assert!(c.iter().all(|c| c.score.is_finite() && c.score > 0.0));
}

#[test]
fn titles_bylines_headings_boilerplate_never_chosen() {
    let text = join(EN);
    let (d, list) = en_doc_ents(&text);
    let e = ents(&d, &list);
    let all = run(&d, &e, sents(u32::MAX));
    let body: Vec<usize> = EN
        .iter()
        .enumerate()
        .filter(|(_, p)| p.0 == B)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(idx(&all), body);
    for l in [sents(1), sents(4), Length::default()] {
        for c in run(&d, &e, l) {
            assert_eq!(d.sentences[c.sentence].role, Role::Body);
        }
    }
}

const FR: &[(Role, u32, &str)] = &[
    (Role::Title, 0, "Le Maroc et la France signent un accord sur l'eau"),
    (B, 1, "Le ministre marocain de l'Équipement, Nizar Baraka, et son homologue français ont signé mardi à Rabat un accord de coopération sur la gestion de l'eau."),
    (B, 1, "Il s'agit d'une étape importante, a-t-on souligné de part et d'autre."),
    (B, 2, "La sécheresse frappe le pays depuis plusieurs années et les barrages sont à un niveau très bas."),
    (B, 2, "L'Agence française de développement financera trois usines de dessalement près d'Agadir et de Dakhla."),
    (B, 3, "Les discussions ont duré toute la journée dans une ambiance jugée cordiale."),
    (B, 3, "Selon Nizar Baraka, les travaux commenceront à Agadir avant la fin de l'année."),
];

#[test]
fn french_entity_rich_sentences_are_chosen() {
    let text = join(FR);
    let d = build(&text, FR, Lang::Fr);
    let e = ents(
        &d,
        &[
            ("Nizar Baraka", EntityType::Person, 0.9),
            ("Agadir", EntityType::Location, 0.7),
            ("Rabat", EntityType::Location, 0.5),
            (
                "Agence française de développement",
                EntityType::Organization,
                0.5,
            ),
            ("Dakhla", EntityType::Location, 0.4),
        ],
    );
    let c = run(&d, &e, sents(3));
    assert_eq!(idx(&c), vec![1, 4, 6], "{c:#?}");
}

const AR: &[(Role, u32, &str)] = &[
    (Role::Title, 0, "حموشي يستقبل وفدا أمنيا إسبانيا في الرباط"),
    (Role::Byline, 1, "الرباط - محمد العلوي"),
    (B, 2, "استقبل المدير العام للأمن الوطني عبد اللطيف حموشي يوم الاثنين في الرباط وفدا من الشرطة الإسبانية برئاسة فرانسيسكو باردو."),
    (B, 2, "وجرى اللقاء في أجواء ودية وتم خلاله تبادل وجهات النظر حول عدد من القضايا."),
    (B, 3, "وأكد الطرفان أهمية مواصلة العمل المشترك في المستقبل القريب بشكل منتظم."),
    (B, 3, "وتناولت المباحثات التعاون بين المديرية العامة للأمن الوطني والشرطة الإسبانية في مكافحة الإرهاب بمدينة طنجة ومدريد."),
    (Role::Heading, 4, "تعاون متواصل"),
    (B, 5, "ويأتي هذا اللقاء بعد زيارة قام بها حموشي إلى مدريد في شهر مارس الماضي."),
    (B, 5, "ومن المنتظر أن تستمر هذه اللقاءات خلال الأشهر المقبلة حسب ما أفادت به مصادر."),
    (Role::Boilerplate, 6, "اقرأ أيضا: حموشي الرباط مدريد"),
];

#[test]
fn arabic_entity_rich_sentences_are_chosen() {
    let text = join(AR);
    let d = build(&text, AR, Lang::Ar);
    let e = ents(
        &d,
        &[
            ("عبد اللطيف حموشي", EntityType::Person, 0.9),
            ("حموشي", EntityType::Person, 0.6),
            ("الرباط", EntityType::Location, 0.6),
            ("المديرية العامة للأمن الوطني", EntityType::Organization, 0.5),
            ("مدريد", EntityType::Location, 0.5),
            ("فرانسيسكو باردو", EntityType::Person, 0.4),
            ("طنجة", EntityType::Location, 0.3),
        ],
    );
    let c = run(&d, &e, sents(3));
    assert_eq!(idx(&c), vec![2, 5, 7], "{c:#?}");
    for c in run(&d, &e, sents(100)) {
        assert_eq!(d.sentences[c.sentence].role, Role::Body);
    }
}

#[test]
fn redundancy_penalty_skips_near_duplicates() {
    let parts: &[(Role, u32, &str)] = &[
        (B, 0, "President Emmanuel Macron met Chancellor Olaf Scholz in Berlin on Tuesday to discuss the European budget."),
        (B, 0, "On Tuesday President Emmanuel Macron met Chancellor Olaf Scholz in Berlin to discuss the European budget."),
        (B, 1, "The two leaders also talked about energy prices and the war in Ukraine with NATO officials."),
        (B, 1, "Farmers protested outside the building for several hours."),
        (B, 2, "A joint statement is expected next week."),
    ];
    let text = join(parts);
    let d = build(&text, parts, Lang::En);
    let e = ents(
        &d,
        &[
            ("Emmanuel Macron", EntityType::Person, 0.9),
            ("Olaf Scholz", EntityType::Person, 0.9),
            ("Berlin", EntityType::Location, 0.6),
            ("Ukraine", EntityType::Location, 0.4),
            ("NATO", EntityType::Organization, 0.4),
        ],
    );
    let c = run(&d, &e, sents(2));
    assert_eq!(idx(&c), vec![0, 2], "{c:#?}");
    // Without any penalty the duplicate would have taken the second slot.
    let cfg = SummaryConfig {
        redundancy: 0.0,
        duplicate_jaccard: 2.0,
        ..SummaryConfig::default()
    };
    let c = summarize(&d, &e, &cfg, &sents(2), &mut |_| ControlFlow::Continue(()));
    assert_eq!(idx(&c), vec![0, 1]);
}

#[test]
fn more_sentences_than_the_article_returns_all_body_sentences() {
    let text = join(FR);
    let d = build(&text, FR, Lang::Fr);
    let e = Entities::default();
    for m in [7, 50, u32::MAX] {
        assert_eq!(idx(&run(&d, &e, sents(m))), vec![1, 2, 3, 4, 5, 6]);
    }
    let r = Length {
        ratio: Some(1.0),
        ..Length::default()
    };
    assert_eq!(run(&d, &e, r).len(), 6);
}

#[test]
fn one_sentence_article() {
    for (parts, lang) in [
        (
            &[(
                B,
                0,
                "Le Wydad de Casablanca a remporté la Coupe du Trône samedi.",
            )][..],
            Lang::Fr,
        ),
        (
            &[(B, 0, "فاز الوداد البيضاوي بكأس العرش يوم السبت.")][..],
            Lang::Ar,
        ),
        (&[(B, 0, "Wydad won the Throne Cup.")][..], Lang::En),
    ] {
        let text = join(parts);
        let d = build(&text, parts, lang);
        let e = Entities::default();
        for l in [
            Length::default(),
            sents(1),
            sents(5),
            Length {
                max_words: Some(1),
                ..Length::default()
            },
        ] {
            assert_eq!(idx(&run(&d, &e, l)), vec![0]);
        }
    }
}

#[test]
fn no_entities_still_summarised() {
    let text = join(EN);
    let d = build(&text, EN, Lang::En);
    let e = Entities::default();
    let c = run(&d, &e, Length::default());
    // 7 body sentences → the default minimum of 3.
    assert_eq!(c.len(), 3, "{c:#?}");
    assert!(c.iter().all(|c| c.entities.is_empty() && c.score > 0.0));
    // The lead (position prior, title overlap) is kept.
    assert_eq!(c[0].sentence, 2);
}

#[test]
fn empty_and_bodyless_documents() {
    let text = String::new();
    let d = build(&text, &[], Lang::En);
    assert!(run(&d, &Entities::default(), Length::default()).is_empty());
    let parts: &[(Role, u32, &str)] = &[
        (Role::Title, 0, "Only a title"),
        (Role::Boilerplate, 1, "Share"),
    ];
    let text = join(parts);
    let d = build(&text, parts, Lang::En);
    assert!(run(&d, &Entities::default(), sents(3)).is_empty());
}

#[test]
fn max_words_and_ratio_bounds() {
    let text = join(EN);
    let (d, list) = en_doc_ents(&text);
    let e = ents(&d, &list);
    let words = |c: &Chosen| {
        d.sentence_tokens(&d.sentences[c.sentence])
            .iter()
            .filter(|t| matches!(t.kind, TokenKind::Word | TokenKind::Number))
            .count()
    };
    for mw in [1u32, 10, 30, 45, 60, 1000] {
        let c = run(
            &d,
            &e,
            Length {
                max_words: Some(mw),
                ..Length::default()
            },
        );
        assert!(!c.is_empty());
        let total: usize = c.iter().map(words).sum();
        assert!(c.len() == 1 || total <= mw as usize, "{mw}: {total}");
    }
    // Tightest wins: 7 body sentences, ratio 0.5 → 4 (rounded), max 2 → 2.
    let r = |ratio, ms| Length {
        ratio: Some(ratio),
        max_sentences: ms,
        max_words: None,
    };
    assert_eq!(run(&d, &e, r(0.5, None)).len(), 4);
    assert_eq!(run(&d, &e, r(0.5, Some(2))).len(), 2);
    assert_eq!(run(&d, &e, r(0.01, Some(5))).len(), 1);
    // Invalid ratios are ignored rather than trusted.
    assert_eq!(run(&d, &e, r(f32::NAN, Some(2))).len(), 2);
    assert_eq!(run(&d, &e, r(-1.0, None)).len(), 3);
}

#[test]
fn break_stops_early_and_order_is_selection_order() {
    let text = join(EN);
    let (d, list) = en_doc_ents(&text);
    let e = ents(&d, &list);
    let mut seen = Vec::new();
    let c = summarize(&d, &e, &SummaryConfig::default(), &sents(5), &mut |c| {
        seen.push(c.sentence);
        if seen.len() == 2 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    assert_eq!(seen.len(), 2);
    assert_eq!(c.len(), 2);
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    assert_eq!(idx(&c), sorted);
    // Selection order: the best (lead) first.
    assert_eq!(seen[0], 2);
}

#[test]
fn deterministic_and_reentrant() {
    let text = join(AR);
    let d = build(&text, AR, Lang::Ar);
    let e = ents(
        &d,
        &[
            ("حموشي", EntityType::Person, 0.9),
            ("الرباط", EntityType::Location, 0.5),
        ],
    );
    let a = run(&d, &e, sents(4));
    for _ in 0..3 {
        assert_eq!(run(&d, &e, sents(4)), a);
    }
    let mut fresh = score::Scratch::default();
    let b = summarize_with(
        &mut fresh,
        &d,
        &e,
        &SummaryConfig::default(),
        &sents(4),
        &mut |_| ControlFlow::Continue(()),
    );
    assert_eq!(a, b);
    // Calling the summariser from the callback (same thread) must not panic.
    let mut inner = Vec::new();
    let c = summarize(&d, &e, &SummaryConfig::default(), &sents(2), &mut |_| {
        inner.push(run(&d, &e, sents(4)));
        ControlFlow::Continue(())
    });
    assert_eq!(c.len(), 2);
    assert!(inner.iter().all(|x| *x == a));
}

#[test]
fn ties_go_to_the_earlier_sentence() {
    let parts: &[(Role, u32, &str)] = &[
        (B, 0, "Alpha beta gamma delta epsilon zeta eta theta."),
        (B, 0, "Alpha beta gamma delta epsilon zeta eta theta."),
        (B, 0, "Alpha beta gamma delta epsilon zeta eta theta."),
    ];
    let text = join(parts);
    let d = build(&text, parts, Lang::En);
    let cfg = SummaryConfig {
        w_position: 0.0,
        w_paragraph_start: 0.0,
        ..SummaryConfig::default()
    };
    let c = summarize(&d, &Entities::default(), &cfg, &sents(1), &mut |_| {
        ControlFlow::Continue(())
    });
    assert_eq!(idx(&c), vec![0]);
}

#[test]
fn corrupt_entities_do_not_panic() {
    let text = join(FR);
    let d = build(&text, FR, Lang::Fr);
    let mut e = ents(&d, &[("Agadir", EntityType::Location, f32::NAN)]);
    if let Some(m) = e.mentions.first_mut() {
        m.sentence = 999;
    }
    e.mentions.push(Mention {
        span: Span::default(),
        sentence: 1,
        tokens: 0..0,
        etype: EntityType::Misc,
        entity: 42,
    });
    let c = run(&d, &e, sents(3));
    assert_eq!(c.len(), 3);
    assert!(c.iter().all(|c| c.score.is_finite()));
}

#[test]
fn intersect_count_sets_and_multisets() {
    use super::score::{intersect_count, jaccard};
    // Sorted distinct: {1,3,5,7} ∩ {2,3,4,7,9} = {3,7}.
    assert_eq!(intersect_count(&[1u32, 3, 5, 7], &[2, 3, 4, 7, 9]), 2);
    // Sorted multisets (ROUGE's clipped overlap): {1,1,1,2} vs {1,1,2,2} → 1,1,2.
    assert_eq!(intersect_count(&[1u64, 1, 1, 2], &[1, 1, 2, 2]), 3);
    assert_eq!(intersect_count::<u32>(&[], &[1, 2]), 0);
    // Jaccard {1,3,5,7} vs {2,3,4,7,9}: 2 / 7.
    assert!((jaccard(&[1, 3, 5, 7], &[2, 3, 4, 7, 9]) - 2.0 / 7.0).abs() < 1e-6);
    assert_eq!(jaccard(&[], &[]), 0.0);
}

#[test]
fn position_power_reshapes_the_prior() {
    // Centrality C (Σ ln df over shared stems, all three sentences under the
    // length floor): s0 2·ln3, s1 = s2 2·ln3 + 3·ln2 → C0 ≈ 0.51, C1 = 1.
    // Power 1: s0 = 1 + 1.5·0.51 ≈ 1.77 < s1 = 0.5 + 1.5 = 2.0 → s1.
    // Power 4: s1 = 2^-4 + 1.5 ≈ 1.56 < s0 → the opening sentence.
    let parts: &[(Role, u32, &str)] = &[
        (
            Role::Body,
            0,
            "Officials met on Monday to discuss the harbour budget and other matters today.",
        ),
        (
            Role::Body,
            0,
            "The harbour budget covers harbour cranes, harbour roads and the harbour budget office staff.",
        ),
        (
            Role::Body,
            0,
            "The harbour cranes and harbour roads need the harbour budget office for the harbour budget.",
        ),
    ];
    let text = join(parts);
    let d = build(&text, parts, Lang::En);
    let base = SummaryConfig {
        w_entity: 0.0,
        w_title: 0.0,
        w_position: 1.0,
        position_decay: 1.0,
        w_centrality: 1.5,
        // The shared field under test; the English entry of the tuned
        // per-language table would replace it.
        per_lang: PerLang::NONE,
        ..SummaryConfig::default()
    };
    let steep = SummaryConfig {
        position_power: 4.0,
        ..base.clone()
    };
    let pick = |cfg: &SummaryConfig| {
        let c = summarize(&d, &Entities::default(), cfg, &sents(1), &mut |_| {
            ControlFlow::Continue(())
        });
        idx(&c)
    };
    assert_eq!(pick(&base), vec![1]);
    assert_eq!(pick(&steep), vec![0]);
}

/// Text of a test article where part `i` is followed by `seps[i]` (one
/// byte, like `join`'s newline, so `build`'s offsets stay valid).
fn join_with(parts: &[(Role, u32, &str)], seps: &[char]) -> String {
    let mut t = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            t.push(seps.get(i - 1).copied().unwrap_or('\n'));
        }
        t.push_str(p.2);
    }
    t
}

const GLUED: &[(Role, u32, &str)] = &[
    (Role::Title, 0, "Dock strike ends in Casablanca"),
    (B, 1, "Dock workers in Casablanca ended their strike after Minister Karim Bennani met the Dockers Union."),
    (B, 1, "Bennani said the Dockers Union accepted a new wage scale for Casablanca."),
    (B, 2, "The weather stayed mild and people walked along the beach in the evening."),
    (B, 2, "Some shops closed early that day and reopened the next morning."),
    (Role::Heading, 3, "Reactions"),
    (B, 4, "Traders were relieved when the first ships were unloaded at the docks."),
];

#[test]
fn join_glued_picks_and_counts_glued_units_together() {
    // Units 1 and 2 are glued ("Union.Bennani"); the heading is glued to
    // unit 6, which must not join it (not a body unit).
    let text = join_with(GLUED, &['\n', '.', '\n', '\n', '\n', '.']);
    assert!(text.contains("Union..Bennani") || text.contains("Union.Bennani"));
    let d = build(&text, GLUED, Lang::En);
    let list = [
        ("Casablanca", EntityType::Location, 0.9),
        ("Karim Bennani", EntityType::Person, 0.8),
        ("Dockers Union", EntityType::Organization, 0.7),
    ];
    let e = ents(&d, &list);
    let joined = SummaryConfig {
        join_glued: true,
        ..SummaryConfig::default()
    };
    let go = |cfg: &SummaryConfig, n: u32| {
        summarize(&d, &e, cfg, &sents(n), &mut |_| ControlFlow::Continue(()))
    };
    // Off: a unit is a sentence.
    assert_eq!(idx(&go(&SummaryConfig::default(), 1)), vec![1]);
    // On: the glued pair is one pick, emitted as its two units, each with
    // the entities it mentions itself.
    let c = go(&joined, 1);
    assert_eq!(idx(&c), vec![1, 2]);
    assert_eq!(c[0].entities, vec![0, 1, 2]);
    assert_eq!(c[1].entities, vec![0, 2]);
    assert_eq!(c[0].score, c[1].score);
    // Two picks: the pair and one more unit; the heading never appears
    // and unit 6 stays a candidate of its own.
    let c = go(&joined, 2);
    assert_eq!(c.len(), 3, "{:?}", idx(&c));
    assert!(idx(&c).starts_with(&[1, 2]));
    assert!(!idx(&c).contains(&5));
    // Every body unit once, no more, when asked for everything.
    assert_eq!(idx(&go(&joined, u32::MAX)), vec![1, 2, 3, 4, 6]);
    // Break after the first emitted unit stops even inside a pair.
    let mut seen = 0;
    let c = summarize(&d, &e, &joined, &sents(3), &mut |_| {
        seen += 1;
        ControlFlow::Break(())
    });
    assert_eq!((seen, c.len()), (1, 1));
}

#[test]
fn glued_needs_adjacent_spans_without_whitespace() {
    let text = "One.Two. Three";
    let s = |a: usize, b: usize| Sentence {
        span: Span {
            start: a,
            end: b,
            cstart: a as u32,
            cend: b as u32,
        },
        role: Role::Body,
        tokens: 0..0,
        paragraph: 0,
    };
    assert!(score::glued(text, &s(0, 4), &s(4, 8)));
    assert!(!score::glued(text, &s(4, 8), &s(9, 14)));
    // Overlapping or out-of-range spans are never glued (and never panic).
    assert!(!score::glued(text, &s(0, 5), &s(4, 8)));
    assert!(!score::glued(text, &s(0, 4), &s(40, 48)));
}

#[test]
fn centrality_gain_family() {
    for k in [0.0f32, 1.0, 2.0, 7.0, 30.0] {
        assert_eq!(score::centrality_gain(k, 0.0), k.ln_1p());
        assert!((score::centrality_gain(k, 1.0) - k).abs() < 1e-5);
        let h = score::centrality_gain(k, 0.5);
        assert!(h >= k.ln_1p() - 1e-6 && h <= k + 1e-6, "{k}: {h}");
    }
    // Between the two ends the gain grows with the shape.
    assert!(score::centrality_gain(5.0, 0.25) < score::centrality_gain(5.0, 0.75));
}

#[test]
fn adjacency_bonus_keeps_picks_contiguous() {
    let text = join(EN);
    let (d, list) = en_doc_ents(&text);
    let e = ents(&d, &list);
    let body: Vec<usize> = d
        .sentences
        .iter()
        .enumerate()
        .filter(|(_, s)| s.role == Role::Body)
        .map(|(i, _)| i)
        .collect();
    // Body positions of the picks, in selection order.
    let order = |cfg: &SummaryConfig, n: u32| {
        let mut o = Vec::new();
        summarize(&d, &e, cfg, &sents(n), &mut |c| {
            o.push(body.iter().position(|&b| b == c.sentence).unwrap());
            ControlFlow::Continue(())
        });
        o
    };
    let contiguous = |o: &[usize]| {
        let mut v = o.to_vec();
        v.sort_unstable();
        v.windows(2).all(|w| w[1] == w[0] + 1)
    };
    let near = SummaryConfig {
        w_adjacent: 10.0,
        ..SummaryConfig::default()
    };
    let mut default_gaps = false;
    for n in 2..=5 {
        let (b, a) = (order(&SummaryConfig::default(), n), order(&near, n));
        // Same first pick (the bonus applies once something is picked), then
        // every pick touches the run.
        assert_eq!(a[0], b[0]);
        assert!(contiguous(&a), "{n}: {a:?}");
        default_gaps |= !contiguous(&b);
    }
    assert!(default_gaps, "test needs a default selection with a gap");
    // Nothing is glued in EN (newline-separated): the glued bonus is inert.
    let glued_only = SummaryConfig {
        w_glued_adjacent: 10.0,
        ..SummaryConfig::default()
    };
    assert_eq!(order(&glued_only, 4), order(&SummaryConfig::default(), 4));
}

#[test]
fn per_lang_table_resolves_by_language() {
    let cfg = SummaryConfig::default();
    // The tuned entries, and nothing else changes.
    let ar = cfg.for_lang(Lang::Ar);
    assert_eq!((ar.w_position, ar.salience_power), (1.5, 3.0));
    assert_eq!(
        SummaryConfig {
            w_position: cfg.w_position,
            salience_power: cfg.salience_power,
            ..ar.clone().into_owned()
        },
        cfg
    );
    let en = cfg.for_lang(Lang::En);
    assert_eq!(en.position_power, 4.0);
    assert_eq!(
        SummaryConfig {
            position_power: cfg.position_power,
            ..en.clone().into_owned()
        },
        cfg
    );
    let fr = cfg.for_lang(Lang::Fr);
    assert_eq!(fr.w_entity, 1.0);
    assert_eq!(
        SummaryConfig {
            w_entity: cfg.w_entity,
            ..fr.clone().into_owned()
        },
        cfg
    );
    // Undetermined language, or no table: the shared config itself.
    assert!(matches!(cfg.for_lang(Lang::Und), Cow::Borrowed(c) if *c == cfg));
    let none = SummaryConfig {
        per_lang: PerLang::NONE,
        ..SummaryConfig::default()
    };
    for lang in [Lang::Ar, Lang::Fr, Lang::En, Lang::Und] {
        assert!(matches!(none.for_lang(lang), Cow::Borrowed(_)));
    }
    // An entry touches its own language only.
    let mut one = none.clone();
    if let Some(e) = one.per_lang.get_mut(Lang::Fr) {
        e.w_position = Some(0.0);
    }
    assert_eq!(one.for_lang(Lang::Fr).w_position, 0.0);
    for lang in [Lang::Ar, Lang::En, Lang::Und] {
        assert_eq!(one.for_lang(lang).w_position, none.w_position);
    }
    assert!(one.per_lang.get_mut(Lang::Und).is_none());
}

/// Pick of `summarize` for `parts` built in `lang`, first `n` sentences.
fn pick_in(
    parts: &[(Role, u32, &str)],
    lang: Lang,
    list: &[(&str, EntityType, f32)],
    cfg: &SummaryConfig,
    n: u32,
) -> Vec<usize> {
    let text = join(parts);
    let d = build(&text, parts, lang);
    let e = ents(&d, list);
    idx(&summarize(&d, &e, cfg, &sents(n), &mut |_| {
        ControlFlow::Continue(())
    }))
}

#[test]
fn english_entry_keeps_only_the_opening_special() {
    // As in `position_power_reshapes_the_prior` (own text): the second and
    // third sentences are the central ones (C = 1 vs C0 ≈ 0.54 with shape
    // 0.5; all under the length floor, no entities, no title). Shared prior
    // (power 1): s0 = 1 + 1.5·0.54 ≈ 1.81 < s1 = 0.5 + 1.5 → s1. English
    // entry (power 4): s1 = 1/16 + 1.5 < s0 → the opening sentence.
    let parts: &[(Role, u32, &str)] = &[
        (B, 0, "Inspectors visited on Tuesday to review the railway timetable and several unrelated questions."),
        (B, 0, "The railway timetable covers railway signals, railway bridges and the railway timetable office staff."),
        (B, 0, "The railway signals and railway bridges need the railway timetable office for the railway timetable."),
    ];
    let cfg = SummaryConfig::default();
    assert_eq!(pick_in(parts, Lang::En, &[], &cfg, 1), vec![0]);
    // The same article in no known language, or without the table: shared.
    assert_eq!(pick_in(parts, Lang::Und, &[], &cfg, 1), vec![1]);
    let none = SummaryConfig {
        per_lang: PerLang::NONE,
        ..SummaryConfig::default()
    };
    assert_eq!(pick_in(parts, Lang::En, &[], &none, 1), vec![1]);
}

#[test]
fn french_entry_lets_the_entity_sentence_beat_the_lead() {
    // No content stem is shared (C = 0 everywhere), no title: the score is
    // w_entity·E + P. Lead s0 = 1; s1 (three entities, E = 1) = w_entity
    // + 1/2: 0.8 with the shared 0.3, 1.5 with the French entry's 1.
    let parts: &[(Role, u32, &str)] = &[
        (
            B,
            0,
            "Le conseil municipal a voté hier soir un budget prudent pour l'année prochaine.",
        ),
        (
            B,
            0,
            "Le maire Karim Tazi a rencontré à Oujda les représentants de la Banque mondiale.",
        ),
        (
            B,
            1,
            "Des travaux de voirie commenceront dans plusieurs quartiers dès le mois de septembre.",
        ),
    ];
    let list = [
        ("Karim Tazi", EntityType::Person, 0.8),
        ("Oujda", EntityType::Location, 0.6),
        ("Banque mondiale", EntityType::Organization, 0.5),
    ];
    let cfg = SummaryConfig::default();
    assert_eq!(pick_in(parts, Lang::Fr, &list, &cfg, 1), vec![1]);
    assert_eq!(pick_in(parts, Lang::Und, &list, &cfg, 1), vec![0]);
    // And the other languages' entries do not reach French.
    let mut other = cfg.clone();
    other.per_lang.fr = LangWeights::NONE;
    assert_eq!(pick_in(parts, Lang::Fr, &list, &other, 1), vec![0]);
}

#[test]
fn arabic_entry_weighs_the_main_actor_over_minor_names() {
    // Position off (shared and Arabic) so only the entity term decides;
    // no shared content stem, both sentences under the length floor.
    // s0 names the main actor (salience 0.9) once, s1 four minor places
    // (0.5). Salience² (shared): 0.81 < 4·0.25 → s1. Salience³ (Arabic
    // entry): 0.729 > 4·0.125 → s0.
    let parts: &[(Role, u32, &str)] = &[
        (B, 0, "أعلن وزير الفلاحة محمد صديقي يوم الثلاثاء عن برنامج جديد لدعم صغار الفلاحين في المناطق الجبلية."),
        (B, 0, "وستنظم لقاءات تواصلية في الرباط ثم مكناس ثم فاس ثم طنجة خلال الأسابيع المقبلة حسب بلاغ رسمي."),
    ];
    let list = [
        ("محمد صديقي", EntityType::Person, 0.9),
        ("الرباط", EntityType::Location, 0.5),
        ("مكناس", EntityType::Location, 0.5),
        ("فاس", EntityType::Location, 0.5),
        ("طنجة", EntityType::Location, 0.5),
    ];
    let mut cfg = SummaryConfig {
        w_position: 0.0,
        ..SummaryConfig::default()
    };
    cfg.per_lang.ar.w_position = None;
    assert_eq!(pick_in(parts, Lang::Ar, &list, &cfg, 1), vec![0]);
    assert_eq!(pick_in(parts, Lang::Und, &list, &cfg, 1), vec![1]);
    // The tuned entry also raises the Arabic position weight (1.5).
    assert_eq!(SummaryConfig::default().for_lang(Lang::Ar).w_position, 1.5);
}

/// The byte-level one-character test of the per-token loop equals the
/// `chars().nth(1).is_none()` it replaced, on hostile strings: empty,
/// whitespace, tatweel, harakat,
/// combining marks, RTL marks, emoji with ZWJ, 3- and 4-byte characters.
#[test]
fn byte_level_form_checks_equal_the_str_versions() {
    use super::score::at_most_one_char;
    let pieces = [
        "",
        " ",
        "\t",
        "a",
        "É",
        "ـ",
        "َ",
        "ّ",
        "\u{0301}",
        "\u{200F}",
        "\u{202E}",
        "😀",
        "👩\u{200D}💻",
        "ب",
        "ال",
        "ة",
        "٣",
        "7",
        "ﻻ",
        "𝒜",
        "\u{0654}",
        "中",
    ];
    let mut seen_one = 0;
    let mut seen_more = 0;
    for a in pieces {
        for b in pieces {
            for c in ["", "x", "ـ"] {
                let s = format!("{a}{b}{c}");
                let one = s.chars().nth(1).is_none();
                assert_eq!(at_most_one_char(s.as_bytes()), one, "{s:?}");
                if one {
                    seen_one += 1;
                } else {
                    seen_more += 1;
                }
            }
        }
    }
    assert!(seen_one > 20 && seen_more > 1000, "{seen_one} {seen_more}");
}
