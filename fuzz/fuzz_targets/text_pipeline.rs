//! Fuzz the text pipeline (`nutgraf::text::analyze`) on arbitrary input.
//!
//! Byte 0 picks the language hint and whether a separate title is given;
//! the rest is the article (invalid UTF-8 is made valid the way a caller's
//! bytes never could be: lossily, so the fuzzer still explores the text).
//! Beyond "never panics", the spans the API depends on are checked: byte
//! and code-point offsets agree, lie on char boundaries, are ordered, and
//! tokens stay inside their sentence.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nutgraf::text::{self, Lang, Span, TextOptions};

fn check_span(text: &str, sp: &Span) {
    assert!(
        sp.start <= sp.end && sp.end <= text.len(),
        "span {sp:?} out of bounds"
    );
    assert!(
        text.is_char_boundary(sp.start) && text.is_char_boundary(sp.end),
        "span {sp:?} splits a char"
    );
    let cs = text[..sp.start].chars().count() as u32;
    let ce = cs + text[sp.start..sp.end].chars().count() as u32;
    assert_eq!(
        (sp.cstart, sp.cend),
        (cs, ce),
        "code points disagree with bytes for {sp:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let owned;
    let text = match std::str::from_utf8(rest) {
        Ok(s) => s,
        Err(_) => {
            owned = String::from_utf8_lossy(rest).into_owned();
            owned.as_str()
        }
    };
    let hint = match ctl & 3 {
        0 => None,
        1 => Some(Lang::Ar),
        2 => Some(Lang::Fr),
        _ => Some(Lang::En),
    };
    // Bit 2: split the first line off as a separate title.
    let (title, body) = if ctl & 4 != 0 {
        match text.split_once('\n') {
            Some((t, b)) => (Some(t), b),
            None => (None, text),
        }
    } else {
        (None, text)
    };
    let doc = text::analyze(
        body,
        TextOptions {
            title,
            lang_hint: hint,
        },
    );
    if let Some(h) = hint {
        assert_eq!(doc.lang, h, "hint ignored");
    }
    let mut prev = 0;
    for s in &doc.sentences {
        check_span(body, &s.span);
        assert!(s.span.start >= prev, "sentences overlap or go backwards");
        prev = s.span.end;
        assert!(s.tokens.start <= s.tokens.end && s.tokens.end <= doc.tokens.len());
        for t in &doc.tokens[s.tokens.clone()] {
            assert!(
                t.span.start >= s.span.start && t.span.end <= s.span.end,
                "token outside its sentence"
            );
        }
    }
    let mut prev = 0;
    for t in &doc.tokens {
        check_span(body, &t.span);
        assert!(
            t.span.start >= prev && t.span.start < t.span.end,
            "token empty or out of order"
        );
        prev = t.span.end;
        let _ = (doc.norm(t), doc.stem(t));
    }
    let _ = text::debug::render(&doc);
});
