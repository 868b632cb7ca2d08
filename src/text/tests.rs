//! Whole-pipeline tests: our own short articles in the three languages
//! (benches/data/, written for this repo), structure cases, hostile input
//! shapes, and property tests of the offset invariants.

use super::*;
use proptest::prelude::*;

const AR: &str = include_str!("../../benches/data/article-ar.txt");
const EN: &str = include_str!("../../benches/data/article-en.txt");
const FR: &str = include_str!("../../benches/data/article-fr.txt");

/// Check every structural invariant of a document; panics with a message
/// on the first violation (test helper).
pub(crate) fn check_invariants(doc: &Document<'_>) {
    let text = doc.text;
    assert!(
        (0.0..=1.0).contains(&doc.lang_confidence),
        "confidence {}",
        doc.lang_confidence
    );
    // Tokens: in bounds, on char boundaries, ordered, non-overlapping,
    // code-point offsets consistent with byte offsets.
    let mut prev_end = 0usize;
    let mut prev_cend = 0u32;
    for (i, t) in doc.tokens.iter().enumerate() {
        let s = t.span;
        assert!(
            s.start < s.end && s.end <= text.len(),
            "token {i} bounds {s:?}"
        );
        assert!(
            text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
            "token {i} boundary"
        );
        assert!(s.start >= prev_end, "token {i} overlaps");
        let gap = text[prev_end..s.start].chars().count() as u32;
        assert_eq!(s.cstart, prev_cend + gap, "token {i} cstart");
        assert_eq!(
            s.cend - s.cstart,
            text[s.start..s.end].chars().count() as u32,
            "token {i} cend"
        );
        prev_end = s.end;
        prev_cend = s.cend;
        for r in [&t.norm, &t.stem] {
            assert!(
                r.start <= r.end && (r.end as usize) <= doc.norm_buf.len(),
                "token {i} norm range"
            );
            assert!(
                doc.norm_buf.is_char_boundary(r.start as usize)
                    && doc.norm_buf.is_char_boundary(r.end as usize)
            );
        }
        assert!(
            t.stem.start >= t.norm.start && t.stem.end <= t.norm.end,
            "stem inside norm"
        );
        assert!(
            (t.proclitic_chars as u32) < s.cend - s.cstart || t.proclitic_chars == 0,
            "proclitics shorter than token"
        );
    }
    // Sentences: partition the tokens in order, spans are exact slices.
    let mut next_tok = 0usize;
    let mut prev_send = 0usize;
    for (i, s) in doc.sentences.iter().enumerate() {
        assert_eq!(
            s.tokens.start, next_tok,
            "sentence {i} token range contiguous"
        );
        assert!(s.tokens.end > s.tokens.start, "sentence {i} empty");
        next_tok = s.tokens.end;
        let first = &doc.tokens[s.tokens.start];
        let last = &doc.tokens[s.tokens.end - 1];
        assert_eq!(
            (s.span.start, s.span.cstart),
            (first.span.start, first.span.cstart),
            "sentence {i} start"
        );
        assert_eq!(
            (s.span.end, s.span.cend),
            (last.span.end, last.span.cend),
            "sentence {i} end"
        );
        assert!(s.span.start >= prev_send, "sentence {i} overlaps");
        prev_send = s.span.end;
        assert_eq!(doc.sentence_text(s), &text[s.span.start..s.span.end]);
        if i > 0 {
            assert!(
                s.paragraph >= doc.sentences[i - 1].paragraph,
                "paragraphs in order"
            );
        }
    }
    assert_eq!(next_tok, doc.tokens.len(), "every token in a sentence");
}

fn roles(doc: &Document<'_>) -> Vec<(Role, String)> {
    doc.sentences
        .iter()
        .map(|s| (s.role, doc.sentence_text(s).to_string()))
        .collect()
}

fn role_of(doc: &Document<'_>, starts: &str) -> Vec<Role> {
    doc.sentences
        .iter()
        .filter(|s| doc.sentence_text(s).starts_with(starts))
        .map(|s| s.role)
        .collect()
}

#[test]
fn arabic_article_structure() {
    let doc = analyze(AR, TextOptions::default());
    check_invariants(&doc);
    assert_eq!(doc.lang, Lang::Ar);
    assert!(!doc.lang_from_hint);
    let r = roles(&doc);
    // title, glued byline (author+date), repeated title
    assert_eq!(r[0].0, Role::Title);
    assert_eq!(r[1].0, Role::Byline);
    assert!(r[1].1.contains("مارس 2025"));
    assert_eq!(r[2].0, Role::Title);
    assert_eq!(r[0].1, r[2].1);
    // headings
    for h in [
        "أرقام ومعطيات",
        "تمويل وشراكة",
        "الفلاحة في قلب المعادلة",
        "مخاوف بيئية",
        "تجارب دولية",
    ] {
        assert_eq!(role_of(&doc, h), [Role::Heading], "{h}");
    }
    // comment-form tail, including the terms paragraph after it
    for b in [
        "اترك تعليق",
        "لن يتم نشر",
        "الحقول الإلزامية",
        "شروط التعليق",
        "يرجى الالتزام",
        "وتحتفظ الإدارة",
    ] {
        assert_eq!(role_of(&doc, b), [Role::Boilerplate], "{b}");
    }
    // body: abbreviations د. and أ.د. do not split, quotes close the sentence
    let body: Vec<&str> = doc
        .sentences
        .iter()
        .filter(|s| s.role == Role::Body)
        .map(|s| doc.sentence_text(s))
        .collect();
    assert!(body.len() >= 30);
    assert!(body
        .iter()
        .any(|s| s.contains("د. يوسف بنعلي") && s.ends_with("الساحلية.")));
    assert!(body
        .iter()
        .any(|s| s.starts_with("وقال أ.د. عبد الرحيم الكتاني") && s.ends_with("إضافية».")));
    assert!(body
        .iter()
        .any(|s| s.starts_with("وتابع:") && s.ends_with("؟».")));
    // no body sentence is a byline or boilerplate
    assert!(!body.iter().any(|s| s.contains("اترك تعليق")));
    // Arabic-Indic decimal is one number token
    assert!(doc.tokens.iter().any(|t| t.kind == TokenKind::Number
        && doc.token_text(t) == "٤٥٫٥"
        && doc.norm(t) == "45.5"));
    // glued byline: author and digit split
    assert!(doc.tokens.iter().any(|t| doc.token_text(t) == "الورزازي"));
}

#[test]
fn english_article_structure() {
    let doc = analyze(EN, TextOptions::default());
    check_invariants(&doc);
    assert_eq!(doc.lang, Lang::En);
    let r = roles(&doc);
    assert_eq!(r[0].0, Role::Title);
    assert_eq!(r[1].0, Role::Byline);
    assert_eq!(r[2].0, Role::Title);
    for h in [
        "A long-awaited project",
        "Money and politics",
        "The World Cup deadline",
    ] {
        assert_eq!(role_of(&doc, h), [Role::Heading], "{h}");
    }
    for b in [
        "Leave a Reply",
        "Your email address",
        "Required fields",
        "Share this",
        "Facebook Twitter",
        "Related articles",
        "Tanger Med posts",
        "Spain and Portugal unveil",
    ] {
        assert_eq!(role_of(&doc, b), [Role::Boilerplate], "{b}");
    }
    let texts: Vec<&str> = doc.sentences.iter().map(|s| doc.sentence_text(s)).collect();
    // missing space after the stop
    assert!(texts.contains(&"Tourism professionals welcomed the news."));
    // abbreviations, decimals, thousands, quotes
    assert!(texts
        .iter()
        .any(|s| s.starts_with("The deal was signed") && s.contains("Mr. Alvaro Ruiz")));
    assert!(texts
        .iter()
        .any(|s| s.starts_with("Dr. Karim El Fassi") && s.ends_with("forty years.\"")));
    assert!(texts
        .iter()
        .any(|s| s.starts_with("The U.S. and several Gulf states")));
    assert!(texts.iter().any(|s| s.contains("e.g. similar in length")));
    assert!(texts.iter().any(|s| s.contains("1,000,000 crossings")));
    assert!(texts.contains(&"Not everyone is convinced..."));
    assert!(texts.contains(&"\"We will finally have numbers instead of dreams,\" she said."));
}

#[test]
fn french_article_structure() {
    let doc = analyze(FR, TextOptions::default());
    check_invariants(&doc);
    assert_eq!(doc.lang, Lang::Fr);
    let r = roles(&doc);
    assert_eq!(
        (r[0].0, r[1].0, r[2].0),
        (Role::Title, Role::Byline, Role::Title)
    );
    assert_eq!(
        role_of(&doc, "Des investisseurs étrangers"),
        [Role::Heading]
    );
    for b in [
        "Laisser un commentaire",
        "Votre adresse e-mail",
        "Les champs obligatoires",
        "Articles similaires",
        "Rabat : la rocade",
    ] {
        assert_eq!(role_of(&doc, b), [Role::Boilerplate], "{b}");
    }
    let texts: Vec<&str> = doc.sentences.iter().map(|s| doc.sentence_text(s)).collect();
    assert!(texts
        .iter()
        .any(|s| s.starts_with("M. Karim Bennani") && s.ends_with("par an.")));
    assert!(texts.contains(&"« Nous avons voulu une ligne simple, rapide et accessible à tous. »"));
    assert!(texts
        .iter()
        .any(|s| s.starts_with("Le billet coûtera 8 dirhams, p. ex. le même prix")));
    assert!(texts
        .iter()
        .any(|s| s.ends_with("fonds européens et américains.")));
    assert!(
        texts.contains(&"Au total, une vingtaine d'entreprises ont participé au chantier, etc.")
    );
    assert!(texts.iter().any(|s| s.starts_with("Mme Salma Idrissi")));
    // elision split, stems
    let t = doc
        .tokens
        .iter()
        .find(|t| doc.token_text(t) == "l'")
        .map(|t| doc.norm(t));
    assert_eq!(t, Some("l'"));
}

#[test]
fn title_field() {
    let text = "Le Maroc gagne la finale\nLe Maroc a remporté la finale dimanche soir à Rabat devant une foule enthousiaste.\n";
    // equal after normalisation (case, punctuation, spacing) → Title
    let doc = analyze(
        text,
        TextOptions {
            title: Some("  LE MAROC gagne la finale !"),
            lang_hint: None,
        },
    );
    check_invariants(&doc);
    assert_eq!(doc.extra_title, Some("  LE MAROC gagne la finale !"));
    assert_eq!(doc.sentences[0].role, Role::Title);
    assert_eq!(doc.sentences[1].role, Role::Body);
    // the title field with a site suffix still matches the first line
    let doc = analyze(
        text,
        TextOptions {
            title: Some("Le Maroc gagne la finale - Sport"),
            lang_hint: None,
        },
    );
    assert_eq!(doc.sentences[0].role, Role::Title);
    // a different title field: the first line is not forced to be a title
    let text2 = "Un long premier paragraphe qui raconte les faits, avec des détails sur le match et les joueurs, et qui se termine par un point.\n";
    let doc = analyze(
        text2,
        TextOptions {
            title: Some("Autre titre"),
            lang_hint: None,
        },
    );
    assert_eq!(doc.sentences[0].role, Role::Body);
    // a one-line text, or a first line of several sentences, is body
    let doc = analyze(
        "The minister resigned. He was replaced.",
        TextOptions::default(),
    );
    assert!(doc.sentences.iter().all(|s| s.role == Role::Body));
    assert_eq!(doc.sentences.len(), 2);
    let doc = analyze(
        "The minister resigned. He was replaced.
More details later today.",
        TextOptions::default(),
    );
    assert_eq!(doc.sentences[0].role, Role::Body);
    // no title field, untitled prose → body
    let doc = analyze(text2, TextOptions::default());
    assert_eq!(doc.sentences[0].role, Role::Body);
}

#[test]
fn language_hint_wins() {
    let doc = analyze(
        "The minister said the plan will start next year.",
        TextOptions {
            title: None,
            lang_hint: Some(Lang::Fr),
        },
    );
    assert_eq!(
        (doc.lang, doc.lang_confidence, doc.lang_from_hint),
        (Lang::Fr, 1.0, true)
    );
    let doc = analyze(
        "The minister said the plan will start next year.",
        TextOptions::default(),
    );
    assert_eq!((doc.lang, doc.lang_from_hint), (Lang::En, false));
    assert_eq!(Lang::from_hint("ar-MA"), Some(Lang::Ar));
    assert_eq!(Lang::from_hint("es"), None);
}

#[test]
fn boilerplate_cases() {
    let text = "Accueil | Politique | Société | Sport\n\
        Le gouvernement a adopté jeudi un projet de loi sur l'eau, après un long débat au Parlement.\n\
        Lire aussi : Le barrage de Oued Makhazine atteint un niveau record\n\
        Le texte prévoit des sanctions contre le pompage illégal dans les nappes phréatiques.\n\
        Nous utilisons des cookies pour améliorer votre expérience sur notre site.\n\
        © 2025 Journal du Maroc. Tous droits réservés.\n\
        contact@journal.example\n";
    let doc = analyze(text, TextOptions::default());
    check_invariants(&doc);
    assert_eq!(doc.lang, Lang::Fr);
    assert_eq!(role_of(&doc, "Accueil"), [Role::Boilerplate]);
    assert_eq!(role_of(&doc, "Le gouvernement"), [Role::Body]);
    assert_eq!(role_of(&doc, "Lire aussi"), [Role::Boilerplate]);
    // "Lire aussi" is line-only: the article goes on
    assert_eq!(role_of(&doc, "Le texte prévoit"), [Role::Body]);
    assert_eq!(
        role_of(&doc, "Nous utilisons des cookies"),
        [Role::Boilerplate]
    );
    assert!(role_of(&doc, "©").iter().all(|r| *r == Role::Boilerplate));
    assert_eq!(role_of(&doc, "contact@"), [Role::Boilerplate]);

    let ar = "الحكومة تصادق على مشروع قانون الماء\n\
        صادق مجلس الحكومة، اليوم الخميس، على مشروع قانون يتعلق بالماء بعد نقاش طويل.\n\
        اقرأ أيضا: السدود تسجل نسبة ملء مرتفعة\n\
        وينص المشروع على عقوبات ضد الضخ غير القانوني للمياه الجوفية.\n\
        مقالات ذات صلة\n\
        ارتفاع أسعار الخضر في الأسواق\n\
        جميع الحقوق محفوظة 2025\n";
    let doc = analyze(ar, TextOptions::default());
    check_invariants(&doc);
    assert_eq!(doc.lang, Lang::Ar);
    assert_eq!(doc.sentences[0].role, Role::Title);
    assert_eq!(role_of(&doc, "صادق مجلس"), [Role::Body]);
    assert_eq!(role_of(&doc, "اقرأ أيضا"), [Role::Boilerplate]);
    assert_eq!(role_of(&doc, "وينص المشروع"), [Role::Body]);
    assert_eq!(role_of(&doc, "مقالات ذات صلة"), [Role::Boilerplate]);
    assert_eq!(role_of(&doc, "ارتفاع أسعار"), [Role::Boilerplate]);
    assert_eq!(role_of(&doc, "جميع الحقوق"), [Role::Boilerplate]);

    // a word of a boilerplate phrase inside running text is not boilerplate
    let en = "Comments by the minister were welcome.\nThe comments of the minister, who spoke to reporters on Monday, drew criticism from the opposition and from several unions.\n";
    let doc = analyze(en, TextOptions::default());
    assert!(
        doc.sentences.iter().all(|s| s.role != Role::Boilerplate),
        "{:?}",
        roles(&doc)
    );
}

#[test]
fn bylines() {
    for (line, lang) in [
        ("By Sarah Miller, Reuters | October 3, 2024", Lang::En),
        ("Published on 12/03/2025 at 14:20", Lang::En),
        ("Par la rédaction - Mis à jour le 4 mars 2025", Lang::Fr),
        ("بقلم: محمد العلوي - الخميس 3 أكتوبر 2024", Lang::Ar),
        ("الرباط - 12 دجنبر 2024", Lang::Ar),
    ] {
        let text = format!(
            "Titre de test\n{line}\nThe body of the article follows here, with a full sentence.\n"
        );
        let doc = analyze(
            &text,
            TextOptions {
                title: None,
                lang_hint: Some(lang),
            },
        );
        check_invariants(&doc);
        assert_eq!(doc.sentences[1].role, Role::Byline, "{line}");
    }
}

#[test]
fn paragraphs_and_blank_lines() {
    let text = "Title\r\n\r\nFirst para. Still first.\r\n\n\nSecond para.\n   \n\u{200B}\n";
    let doc = analyze(text, TextOptions::default());
    check_invariants(&doc);
    let p: Vec<u32> = doc.sentences.iter().map(|s| s.paragraph).collect();
    assert_eq!(p, [0, 1, 1, 2]);
    assert_eq!(doc.sentence_text(&doc.sentences[2]), "Still first.");
}

#[test]
fn hostile_shapes_small() {
    let cases: Vec<String> = vec![
        String::new(),
        "\0\0\u{1}\u{7f}".into(),
        "a\0b. c\u{0}d.".into(),
        "\u{0301}\u{0301}e\u{0301}\u{0651}".into(),
        "👩\u{200D}👩\u{200D}👧\u{200D}👦 🇲🇦🇫🇷 👍🏽".into(),
        "\u{202E}abc\u{202C} \u{2067}مرحبا\u{2069} \u{200F}".into(),
        "中文文本。日本語のテキスト！한국어 텍스트?".into(),
        "...!!!???؟؟؛؛۔".into(),
        "a.b.c.d.e.f.g.h".into(),
        "U.S.A.B.C.D.E.F".into(),
        "http://x".into(),
        "@@@ a@b @.com www.".into(),
        "'s 's'''' l'l'l'".into(),
        "--- -- - ‐‑".into(),
        "١٢٣٫٤٥٦٬٧٨٩ ۱۲۳".into(),
        "ـــــ ً ٌ".into(),
        "\u{FEFF}\u{FEFF}".into(),
        "x".repeat(1000) + "." + &"y".repeat(1000),
    ];
    for c in &cases {
        let doc = analyze(c, TextOptions::default());
        check_invariants(&doc);
        let _ = debug::render(&doc);
    }
    let doc = analyze("标题\n中文文本。日本語のテキスト！", TextOptions::default());
    assert_eq!(doc.lang, Lang::Und);
    assert_eq!(doc.sentences.len(), 3);
}

#[test]
fn hostile_shapes_large() {
    // 1 MB without punctuation or newline: cut into bounded sentences.
    let mut big = String::new();
    while big.len() < 1 << 20 {
        big.push_str("كلمة word ");
    }
    let doc = analyze(&big, TextOptions::default());
    check_invariants(&doc);
    assert!(doc
        .sentences
        .iter()
        .all(|s| s.tokens.len() <= sentences::MAX_TOKENS));
    // 200,000 one-word sentences
    let many = "Yes. ".repeat(200_000);
    let doc = analyze(&many, TextOptions::default());
    assert_eq!(doc.sentences.len(), 200_000);
    check_invariants(&doc);
    // a 100,000-character word, and one made of initials
    let word = "ب".repeat(100_000);
    let doc = analyze(&word, TextOptions::default());
    check_invariants(&doc);
    assert_eq!(doc.tokens.len(), 1);
    let initials = "A.".repeat(50_000);
    let doc = analyze(&initials, TextOptions::default());
    check_invariants(&doc);
    // 1 MB of a single URL-like run and of dots
    let url = format!("https://{}", "a/".repeat(500_000));
    check_invariants(&analyze(&url, TextOptions::default()));
    let dots = ".a".repeat(500_000);
    check_invariants(&analyze(&dots, TextOptions::default()));
    let lines = "\n".repeat(1 << 20);
    let doc = analyze(&lines, TextOptions::default());
    assert!(doc.sentences.is_empty());
}

/// Characters that exercise every branch: scripts, digits, marks,
/// invisible controls, punctuation, symbols, newlines.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("المغرب".to_string()),
        Just("وبالمغرب".to_string()),
        Just("أ.د.".to_string()),
        Just("Mr.".to_string()),
        Just("U.S.".to_string()),
        Just("l'État".to_string()),
        Just("Morocco's".to_string()),
        Just("www.x.ma".to_string()),
        Just("a@b.co".to_string()),
        Just("٣٫٥".to_string()),
        Just("1,000.5".to_string()),
        Just("...".to_string()),
        Just("«".to_string()),
        Just("»".to_string()),
        Just("\"".to_string()),
        Just("اترك تعليق".to_string()),
        Just("Leave a Reply".to_string()),
        Just("\n".to_string()),
        Just("\n\n".to_string()),
        Just(" ".to_string()),
        Just("\u{200D}".to_string()),
        Just("\u{202E}".to_string()),
        Just("\u{0301}".to_string()),
        Just("\u{064E}".to_string()),
        Just("ـ".to_string()),
        Just("👩\u{200D}💻".to_string()),
        Just("中文".to_string()),
        Just("\0".to_string()),
        "[a-zA-Z]{1,8}".prop_map(|s| s),
        "[.!?؟؛,،:;'’\\-]".prop_map(|s| s),
        any::<char>().prop_map(|c| c.to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn invariants_on_arbitrary_strings(s in any::<String>()) {
        let doc = analyze(&s, TextOptions::default());
        check_invariants(&doc);
    }

    #[test]
    fn invariants_on_article_like_strings(parts in prop::collection::vec(piece(), 0..120), title in proptest::option::of("[a-z ]{0,12}")) {
        let s: String = parts.concat();
        let doc = analyze(&s, TextOptions { title: title.as_deref(), lang_hint: None });
        check_invariants(&doc);
        let _ = debug::render(&doc);
    }

    #[test]
    fn token_forms_agree_with_pipeline(parts in prop::collection::vec(piece(), 0..40)) {
        let s: String = parts.join(" ");
        for lang in [Lang::Ar, Lang::Fr, Lang::En] {
            let doc = analyze(&s, TextOptions { title: None, lang_hint: Some(lang) });
            for t in &doc.tokens {
                let mut buf = String::new();
                let f = tokens::token_forms(doc.token_text(t), lang, &mut buf);
                prop_assert_eq!(&buf[f.norm.start as usize..f.norm.end as usize], doc.norm(t));
                if t.kind == TokenKind::Word {
                    prop_assert_eq!(&buf[f.stem.start as usize..f.stem.end as usize], doc.stem(t));
                    prop_assert_eq!(f.proclitic_chars, t.proclitic_chars);
                }
            }
        }
    }

    #[test]
    fn normalize_is_idempotent(s in any::<String>()) {
        let once = normalize::fold(&s);
        prop_assert_eq!(normalize::fold(&once), once);
    }
}

/// A document built after another one was recycled on the same thread is
/// the document a fresh build gives (the reused buffers are cleared), and
/// it does reuse the recycled token buffer; a buffer over the keep limit
/// is not kept.
#[test]
fn recycled_buffers_give_the_same_document() {
    let texts = [
        "عنوان الخبر\nقال الوزير في الرباط إن الحكومة ستعلن خطة جديدة. وأضاف أن الخطة تشمل المدارس.\nالمصدر: وكالة",
        "Le ministre a annoncé un plan.\nIl sera présenté lundi à Paris, a-t-il dit.",
        "x",
        "The council voted. The mayor said the vote was close!\n\nRelated: more news",
    ];
    let fresh: Vec<_> = texts
        .iter()
        .map(|t| {
            let d = analyze(t, TextOptions::default());
            (
                d.tokens.clone(),
                d.sentences.clone(),
                d.norm_buf.clone(),
                d.lang,
            )
        })
        .collect();
    for round in 0..3 {
        for (t, want) in texts.iter().zip(&fresh) {
            let d = analyze(t, TextOptions::default());
            assert_eq!(
                (&d.tokens, &d.sentences, &d.norm_buf, d.lang),
                (&want.0, &want.1, &want.2, want.3),
                "round {round}: {t}"
            );
            d.recycle();
        }
    }
    let d = analyze(texts[0], TextOptions::default());
    let p = d.tokens.as_ptr();
    d.recycle();
    let d = analyze(texts[1], TextOptions::default());
    assert_eq!(d.tokens.as_ptr(), p, "the recycled token buffer is reused");
    d.recycle();
    // A monster text: its buffers (> 1 MiB) are given back, not kept.
    let big = "كلمة ".repeat(300_000);
    // (The allocator may hand the freed block's address out again, so the
    // check is on the capacity, which a kept buffer would carry over.)
    let d = analyze(&big, TextOptions::default());
    assert!(d.tokens.capacity() * std::mem::size_of::<Token>() > 1 << 20);
    d.recycle();
    let d = analyze(texts[1], TextOptions::default());
    assert!(d.tokens.capacity() * std::mem::size_of::<Token>() <= 1 << 20);
}
