//! Speed of the whole summarise step (scoring + selection, tagging
//! excluded) on a ~1,000-word news article written for this bench, with the
//! `Document` and `Entities` computed beforehand.
//!
//! Run: `cargo bench --bench summarize`. Target: ≥ 20,000 articles/s per
//! core, i.e. ≤ 50 µs per article.

mod common;
use common::cpu_ticks;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use nutgraf::ner::{DocEntity, Entities, EntityType, Mention};
use nutgraf::summarize::{summarize, Length, SummaryConfig};
use nutgraf::text::{self, Document, Lang, Role, Span, TextOptions};
use std::ops::ControlFlow;

const ARTICLE: &str = "Morocco and Spain agree new plan to cut border waiting times at Tangier Med

By Leila Benjelloun in Rabat

Morocco and Spain signed an agreement on Thursday in Rabat to cut waiting times for lorries and travellers at the ports of Tangier Med and Algeciras, the two governments said in a joint statement released after a meeting of their interior ministers.
The deal, negotiated over six months by Abdelouafi Laftit and his Spanish counterpart Fernando Grande-Marlaska, foresees shared customs posts, longer opening hours and a common digital system for declaring goods before departure.
Officials expect the first measures to take effect before the summer, when more than three million Moroccans living in Europe usually cross the Strait of Gibraltar to spend their holidays at home.
The operation, known in Morocco as Marhaba, has long been a test of cooperation between the two neighbours, who have had a difficult relationship at times over the past decade.
Trade between the two countries reached a record of about twenty billion euros last year, according to figures published by the Spanish Ministry of Industry, Commerce and Tourism in Madrid.
Spain has been Morocco's first trading partner for more than ten years, ahead of France, and Spanish companies have opened hundreds of factories in the industrial zones around Tangier and Kenitra.
Transport companies have complained for years about queues that can last a whole day at Algeciras and at the border posts of Ceuta and Melilla, which reopened to goods only recently.
The National Federation of Road Transport said in a statement that its members lose tens of millions of dirhams every year because of delays, spoiled fresh produce and penalties paid to customers.
Its president, Mohamed Zouhair, welcomed the agreement but warned that it would only work if both sides hired enough customs officers and kept the new systems running around the clock.
Tangier Med, which opened in two thousand and seven on the Mediterranean coast east of Tangier, has become the largest container port in Africa and one of the busiest on the Mediterranean.
The port handled more than eight million containers last year, according to the Tangier Med Special Agency, which manages the port and the free zones around it.
Much of that traffic is transhipment, with containers moved from one ship to another on their way between Asia, Europe, West Africa and the Americas.
The car plants of Renault near Tangier and of Stellantis in Kenitra also export most of their production through the port, mainly to European markets.
Under the new plan, lorries leaving Morocco will be able to complete Spanish customs formalities in Tangier, so that they no longer need to stop for long checks when they arrive in Algeciras.
A similar arrangement will apply in the other direction for goods shipped from Spain to Morocco, with Moroccan officers working inside the Spanish port.
Travellers will also be able to register their cars and passports online before they travel, a system that was tested last summer on a small number of crossings.
The European Commission, which funds part of the project through its neighbourhood programme, said it welcomed any measure that made trade across the Mediterranean faster and safer.
A spokesperson for the Commission in Brussels said the European Union would watch closely how the shared posts work, because they could serve as a model for other borders.
The agreement also includes a chapter on migration, a sensitive issue for both governments since thousands of people tried to enter Ceuta by swimming around the border fence three years ago.
Morocco has increased patrols along its northern coast and, according to the Spanish interior ministry, irregular arrivals in Spain from Moroccan shores fell by almost half last year.
Human rights groups, including Amnesty International and the Moroccan Association for Human Rights, have criticised the way migrants are treated on both sides of the border.
They say the new agreement says little about the rights of people who are turned back, and they have asked both parliaments to examine the text before it is applied.
In Rabat, the government spokesman Mustapha Baitas told reporters that the agreement respected international law and that Morocco would continue to treat migrants with dignity.
Relations between Rabat and Madrid improved sharply two years ago, when the Spanish Prime Minister Pedro Sanchez said that Morocco's autonomy plan for the Western Sahara was the most serious basis for a settlement.
That change ended a long diplomatic crisis that had begun when the leader of the Polisario Front was admitted to a hospital in Spain for treatment without Morocco being informed.
Since then, the two governments have held a high-level meeting in Rabat and signed about twenty agreements on energy, water, education and the fight against terrorism.
Business leaders on both sides of the strait hope that the latest deal will attract more investment, especially in the car industry, textiles and renewable energy.
The Confederation of Moroccan Enterprises said in a statement that faster borders were essential if Morocco wanted to become a hub for companies that are moving production closer to Europe.
Spanish exporters of fruit and vegetables, who compete with Moroccan growers in European supermarkets, were more cautious and asked for stricter checks on imported produce.
Farmers' unions in Andalusia have protested several times in recent years against imports of Moroccan tomatoes, which they say are sold at prices they cannot match.
The Spanish government has promised to hear their concerns, but officials in Madrid said the agreement signed on Thursday did not change the rules of the trade agreement between Morocco and the European Union.
Economists say the impact of the plan will depend on how quickly the digital system is built and on whether the two administrations manage to share information smoothly.
A similar project between Spain and Portugal took several years to complete, and it faced many technical problems before it started to work properly, one expert recalled.
Karim El Aynaoui, the president of the Policy Center for the New South, a think tank based in Rabat, said the deal showed that both countries saw their future economies as closely linked.
He added that the Strait of Gibraltar was one of the busiest shipping lanes in the world and that any improvement there had effects far beyond the two countries.
The ministers agreed to meet again in Madrid in the autumn to review progress, and a joint committee of officials will report every three months on waiting times at the ports.
The first shared customs post is due to open in Tangier Med in June, before the start of the summer crossing season, the statement said.
Read more: Morocco Spain relations, Tangier Med, migration, trade";

/// Hand-listed entities of the article (what a tagger would find): surface
/// form, type, salience. Mentions are found by matching token norms.
const ENTITIES: &[(&str, EntityType, f32)] = &[
    ("Morocco", EntityType::Location, 1.0),
    ("Spain", EntityType::Location, 0.95),
    ("Tangier Med", EntityType::Location, 0.8),
    ("Rabat", EntityType::Location, 0.7),
    ("Algeciras", EntityType::Location, 0.6),
    ("Madrid", EntityType::Location, 0.55),
    ("Tangier", EntityType::Location, 0.5),
    ("Abdelouafi Laftit", EntityType::Person, 0.5),
    ("Fernando Grande-Marlaska", EntityType::Person, 0.45),
    ("European Union", EntityType::Organization, 0.45),
    ("European Commission", EntityType::Organization, 0.4),
    ("Ceuta", EntityType::Location, 0.4),
    ("Strait of Gibraltar", EntityType::Location, 0.35),
    ("Kenitra", EntityType::Location, 0.3),
    ("Mohamed Zouhair", EntityType::Person, 0.3),
    (
        "National Federation of Road Transport",
        EntityType::Organization,
        0.3,
    ),
    ("Tangier Med Special Agency", EntityType::Organization, 0.3),
    ("Pedro Sanchez", EntityType::Person, 0.3),
    ("Mustapha Baitas", EntityType::Person, 0.25),
    ("Karim El Aynaoui", EntityType::Person, 0.25),
    (
        "Policy Center for the New South",
        EntityType::Organization,
        0.25,
    ),
    ("Amnesty International", EntityType::Organization, 0.2),
    (
        "Moroccan Association for Human Rights",
        EntityType::Organization,
        0.2,
    ),
    (
        "Confederation of Moroccan Enterprises",
        EntityType::Organization,
        0.2,
    ),
    ("Polisario Front", EntityType::Organization, 0.2),
    ("Western Sahara", EntityType::Location, 0.2),
    ("Renault", EntityType::Organization, 0.15),
    ("Stellantis", EntityType::Organization, 0.15),
    ("Melilla", EntityType::Location, 0.15),
    ("Brussels", EntityType::Location, 0.15),
    ("Andalusia", EntityType::Location, 0.15),
    ("Marhaba", EntityType::Misc, 0.1),
    ("Moroccan", EntityType::Misc, 0.1),
    ("Spanish", EntityType::Misc, 0.1),
    ("Leila Benjelloun", EntityType::Person, 0.1),
];

fn entities(doc: &Document<'_>) -> Entities {
    let mut mentions = Vec::new();
    for (ei, (surface, et, _)) in ENTITIES.iter().enumerate() {
        let words: Vec<String> = surface
            .split([' ', '-'])
            .map(|w| w.to_lowercase())
            .collect();
        for (si, s) in doc.sentences.iter().enumerate() {
            if s.role == Role::Boilerplate {
                continue;
            }
            let toks = doc.sentence_tokens(s);
            let words_of: Vec<(usize, &str)> = toks
                .iter()
                .enumerate()
                .filter(|(_, t)| t.kind == text::TokenKind::Word)
                .map(|(i, t)| (i, doc.norm(t)))
                .collect();
            for w0 in 0..words_of.len() {
                let ok = words
                    .iter()
                    .enumerate()
                    .all(|(j, w)| words_of.get(w0 + j).is_some_and(|(_, n)| n == w));
                if ok {
                    let a = &toks[words_of[w0].0];
                    let b = &toks[words_of[w0 + words.len() - 1].0];
                    mentions.push(Mention {
                        span: Span {
                            start: a.span.start,
                            end: b.span.end,
                            cstart: a.span.cstart,
                            cend: b.span.cend,
                        },
                        sentence: si,
                        tokens: s.tokens.start + words_of[w0].0
                            ..s.tokens.start + words_of[w0 + words.len() - 1].0 + 1,
                        etype: *et,
                        entity: ei,
                    });
                }
            }
        }
    }
    mentions.sort_by_key(|m: &Mention| (m.span.start, m.entity));
    let mut ents: Vec<DocEntity> = ENTITIES
        .iter()
        .map(|(s, et, sal)| DocEntity {
            text: s.to_string(),
            etype: *et,
            salience: *sal,
            mentions: Vec::new(),
        })
        .collect();
    for (mi, m) in mentions.iter().enumerate() {
        ents[m.entity].mentions.push(mi);
    }
    Entities {
        mentions,
        entities: ents,
    }
}

fn bench(c: &mut Criterion) {
    let doc = text::analyze(
        ARTICLE,
        TextOptions {
            title: None,
            lang_hint: Some(Lang::En),
        },
    );
    let ents = entities(&doc);
    let words = doc
        .tokens
        .iter()
        .filter(|t| t.kind == text::TokenKind::Word)
        .count();
    let body = doc
        .sentences
        .iter()
        .filter(|s| s.role == Role::Body)
        .count();
    eprintln!(
        "article: {words} words, {} sentences ({body} body), {} mentions of {} entities",
        doc.sentences.len(),
        ents.mentions.len(),
        ents.entities.len()
    );
    let cfg = SummaryConfig::default();
    // CPU time (not wall time) per article: on a shared, oversubscribed
    // machine criterion's wall-clock figures overstate the per-core cost.
    if let Some(t0) = cpu_ticks() {
        let n = 20_000u32;
        for _ in 0..n {
            black_box(summarize(
                black_box(&doc),
                black_box(&ents),
                &cfg,
                &Length::default(),
                &mut |_| ControlFlow::Continue(()),
            ));
        }
        if let Some(t1) = cpu_ticks() {
            // Linux clock ticks are 10 ms (USER_HZ = 100).
            let us = (t1 - t0) as f64 * 10_000.0 / f64::from(n);
            eprintln!(
                "CPU time: {us:.1} µs/article = {:.0} articles/s per core",
                1e6 / us.max(1e-9)
            );
        }
    }
    let mut g = c.benchmark_group("summarize");
    g.throughput(Throughput::Elements(1));
    for (name, len) in [
        ("default_length", Length::default()),
        (
            "7_sentences",
            Length {
                max_sentences: Some(7),
                ..Length::default()
            },
        ),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let out = summarize(black_box(&doc), black_box(&ents), &cfg, &len, &mut |_| {
                    ControlFlow::Continue(())
                });
                black_box(out)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
