//! Human-readable dump of a [`Document`] (`nutgraf debug segment FILE`):
//! language, then one line per sentence with its paragraph, role,
//! code-point span and text, so segmentation and role errors are easy to
//! eyeball.

use super::{Document, Role};
use std::fmt::Write;

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Title => "TITLE",
        Role::Byline => "BYLINE",
        Role::Heading => "HEADING",
        Role::Body => "BODY",
        Role::Boilerplate => "BOILER",
    }
}

/// Render `doc` for humans. Sentence text is shown on one line (newlines
/// inside a sentence, if any, are shown as ⏎).
pub fn render(doc: &Document<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "lang={} confidence={:.2}{} sentences={} tokens={} chars={}",
        doc.lang.code(),
        doc.lang_confidence,
        if doc.lang_from_hint { " (hint)" } else { "" },
        doc.sentences.len(),
        doc.tokens.len(),
        doc.text.chars().count(),
    );
    if let Some(t) = doc.extra_title {
        let _ = writeln!(out, "title field: {t}");
    }
    let mut last_par = u32::MAX;
    for (i, s) in doc.sentences.iter().enumerate() {
        if s.paragraph != last_par {
            if last_par != u32::MAX {
                out.push('\n');
            }
            last_par = s.paragraph;
        }
        let text = doc.sentence_text(s).replace('\n', "⏎");
        let _ = writeln!(
            out,
            "[p{:<3} s{:<4} {:<7} {:>6}..{:<6} {:>3}t] {}",
            s.paragraph,
            i,
            role_name(s.role),
            s.span.cstart,
            s.span.cend,
            s.tokens.len(),
            text
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{analyze, TextOptions};
    use super::*;

    #[test]
    fn renders_roles() {
        let doc = analyze(
            "Title here\n\nBody sentence one. Body two.",
            TextOptions::default(),
        );
        let r = render(&doc);
        assert!(r.contains("TITLE"));
        assert!(r.contains("BODY"));
        assert!(r.lines().count() >= 4);
    }
}
