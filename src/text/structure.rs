//! Article structure (STUB: one body sentence per non-empty line, whitespace tokens).
use super::*;

pub fn build_document<'a>(text: &'a str, opts: TextOptions<'a>) -> Document<'a> {
    let mut sentences = Vec::new();
    let mut tokens = Vec::new();
    let mut norm_buf = String::new();
    let mut byte = 0usize;
    let mut cp = 0u32;
    for (p, line) in text.split_inclusive('\n').enumerate() {
        let trimmed = line.trim();
        if !trimmed.is_empty() {
            let lead = line.len() - line.trim_start().len();
            let s0 = byte + lead;
            let c0 = cp + line[..lead].chars().count() as u32;
            let c1 = c0 + trimmed.chars().count() as u32;
            let t0 = tokens.len();
            let mut off = s0;
            let mut coff = c0;
            for w in trimmed.split(' ') {
                if !w.is_empty() {
                    let n0 = norm_buf.len() as u32;
                    norm_buf.push_str(&w.to_lowercase());
                    let n1 = norm_buf.len() as u32;
                    let wc = w.chars().count() as u32;
                    tokens.push(Token {
                        span: Span { start: off, end: off + w.len(), cstart: coff, cend: coff + wc },
                        kind: TokenKind::Word,
                        norm: n0..n1,
                        stem: n0..n1,
                        proclitic_chars: 0,
                    });
                    coff += wc;
                }
                off += w.len() + 1;
                coff += 1;
            }
            sentences.push(Sentence {
                span: Span { start: s0, end: s0 + trimmed.len(), cstart: c0, cend: c1 },
                role: Role::Body,
                tokens: t0..tokens.len(),
                paragraph: p as u32,
            });
        }
        byte += line.len();
        cp += line.chars().count() as u32;
    }
    Document {
        text,
        extra_title: opts.title,
        lang: opts.lang_hint.unwrap_or(Lang::Und),
        lang_confidence: if opts.lang_hint.is_some() { 1.0 } else { 0.0 },
        lang_from_hint: opts.lang_hint.is_some(),
        sentences,
        tokens,
        norm_buf,
    }
}
