//! Sentence segmentation of one block (a line of the article) over its
//! tokens. Newlines are already boundaries (blocks never span them), so this
//! only decides which stops inside a line end a sentence.
//!
//! Rules (ar/fr/en):
//! * `! ? ؟ … ۔ ؛` and CJK stops end a sentence, except `!`/`?`/ellipsis
//!   followed by a lowercase Latin word (French « Ah ! dit-il », "Yahoo! is");
//! * `.` ends a sentence unless followed by a lowercase Latin word, a
//!   comma-like mark, or (glued) a digit; decimals, thousands, URLs,
//!   e-mails and abbreviations never reach here as `.` tokens (the tokenizer
//!   keeps them inside their token);
//! * an abbreviation token (`Mr.`, `U.S.`, `د.`) does not end a sentence,
//!   except final-capable ones (`etc.`, `Inc.`) before a capitalised word;
//! * a stop glued to the next word ("américains.Au", "said.The",
//!   "المغرب.وقال") is a boundary when that word is capitalised or Arabic;
//! * closing quotes/brackets (and a further stop) after the stop belong to
//!   the sentence: `«...».`, `"...".`, `(...).`;
//! * a run without a stop is cut after [`MAX_TOKENS`] tokens or
//!   [`MAX_CHARS`] characters, at the last comma if there is one in the
//!   second half of the window, else at a token boundary.

use super::data::{word_flags, W_ABBR_FINAL};
use super::normalize::normalize_into;
use super::tokens::is_arabic_letter;
use super::{Token, TokenKind};
use std::ops::Range;

/// Longest sentence in tokens before a forced cut.
pub const MAX_TOKENS: usize = 80;
/// Longest sentence in code points before a forced cut.
pub const MAX_CHARS: u32 = 600;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Next {
    End,
    Lower,
    Upper,
    Arabic,
    OtherWord,
    Digit,
    CommaLike,
    Other,
}

fn first_char(text: &str, t: &Token) -> Option<char> {
    t.span.slice(text).chars().next()
}

fn next_kind(text: &str, t: Option<&Token>) -> Next {
    let Some(t) = t else { return Next::End };
    let Some(c) = first_char(text, t) else {
        return Next::Other;
    };
    match t.kind {
        TokenKind::Word => {
            if c.is_lowercase() {
                Next::Lower
            } else if c.is_uppercase() {
                Next::Upper
            } else if is_arabic_letter(c) {
                Next::Arabic
            } else {
                Next::OtherWord
            }
        }
        TokenKind::Number => Next::Digit,
        TokenKind::Punct if matches!(c, ',' | ';' | ':' | '\u{060C}' | ')' | ']') => {
            Next::CommaLike
        }
        _ => Next::Other,
    }
}

pub(crate) fn is_terminal_char(c: char) -> bool {
    matches!(
        c,
        '.' | '!'
            | '?'
            | '\u{2026}'
            | '\u{061F}'
            | '\u{06D4}'
            | '\u{061B}'
            | '\u{3002}'
            | '\u{FF01}'
            | '\u{FF1F}'
    )
}

/// Closing quote or bracket that belongs to the sentence before it.
fn is_closer(text: &str, prev_end: usize, t: &Token) -> bool {
    if t.kind != TokenKind::Punct {
        return false;
    }
    let s = t.span.slice(text);
    let glued = t.span.start == prev_end;
    match s {
        "»" | "›" | "”" | "’" | ")" | "]" | "}" | "」" | "』" | "﴿" => true,
        "\"" | "'" => glued,
        _ => false,
    }
}

fn is_terminal_punct(text: &str, t: &Token) -> bool {
    t.kind == TokenKind::Punct && t.span.slice(text).chars().any(is_terminal_char)
}

/// Does token `i` end a sentence?
fn is_boundary(text: &str, toks: &[Token], i: usize, scratch: &mut String) -> bool {
    let Some(t) = toks.get(i) else { return false };
    // Only stops and dotted abbreviations can end a sentence. (Most tokens
    // are words: a word whose last byte is not '.' leaves before its text
    // is sliced.)
    match t.kind {
        TokenKind::Punct => {}
        TokenKind::Word if text.as_bytes().get(t.span.end.wrapping_sub(1)) == Some(&b'.') => {}
        _ => return false,
    }
    let s = t.span.slice(text);
    if t.kind == TokenKind::Word && !s.ends_with('.') {
        return false;
    }
    let next_tok = toks.get(i + 1);
    let next = next_kind(text, next_tok);
    let glued = next_tok.is_some_and(|n| n.span.start == t.span.end);
    match t.kind {
        TokenKind::Punct => {
            let Some(c) = s.chars().next() else {
                return false;
            };
            if !is_terminal_char(c) && !s.chars().any(is_terminal_char) {
                return false;
            }
            if c == '\u{061B}' || c == '\u{06D4}' {
                return true;
            }
            let ellipsis = s.len() > 1 && s.bytes().all(|b| b == b'.') || c == '\u{2026}';
            if c == '.' && !ellipsis {
                match next {
                    Next::End | Next::Upper | Next::Arabic | Next::Other | Next::OtherWord => true,
                    Next::Lower | Next::CommaLike => false,
                    Next::Digit => !glued,
                }
            } else {
                !matches!(next, Next::Lower | Next::CommaLike)
            }
        }
        TokenKind::Word if s.ends_with('.') => {
            if next == Next::End {
                return true;
            }
            if !matches!(next, Next::Upper | Next::Arabic) {
                return false;
            }
            let w = s.strip_suffix('.').unwrap_or(s);
            if w.len() > 12 {
                return false;
            }
            scratch.clear();
            normalize_into(w, scratch);
            word_flags(scratch) & W_ABBR_FINAL != 0
        }
        _ => false,
    }
}

fn soft_break(text: &str, t: &Token) -> bool {
    t.kind == TokenKind::Punct
        && matches!(
            t.span.slice(text),
            "," | "\u{060C}" | ";" | ":" | "-" | "\u{2013}" | "\u{2014}"
        )
}

/// Split the tokens `range` of `toks` (one block) into sentence token ranges,
/// appended to `out` in order. Every token of the block ends up in exactly
/// one range; no range is empty.
pub fn split(text: &str, toks: &[Token], range: Range<usize>, out: &mut Vec<Range<usize>>) {
    let end = range.end.min(toks.len());
    let mut start = range.start.min(end);
    let mut last_soft: Option<usize> = None;
    let mut scratch = String::new();
    let mut i = start;
    while i < end {
        if is_boundary(text, &toks[..end], i, &mut scratch) {
            // Absorb closers and further stops: «...». / "...". / ?!»
            let mut j = i + 1;
            while j < end {
                let prev_end = toks[j - 1].span.end;
                if is_closer(text, prev_end, &toks[j])
                    || (is_terminal_punct(text, &toks[j]) && toks[j].span.start == prev_end)
                {
                    j += 1;
                } else {
                    break;
                }
            }
            out.push(start..j);
            start = j;
            last_soft = None;
            i = j;
            continue;
        }
        if soft_break(text, &toks[i]) {
            last_soft = Some(i + 1);
        }
        let n = i + 1 - start;
        let chars = toks[i].span.cend.saturating_sub(toks[start].span.cstart);
        if n >= MAX_TOKENS || chars >= MAX_CHARS {
            let cut = match last_soft {
                Some(s) if s > start && s - start >= n / 2 && s <= i + 1 => s,
                _ => i + 1,
            };
            out.push(start..cut);
            start = cut;
            last_soft = None;
            i = cut;
            continue;
        }
        i += 1;
    }
    if start < end {
        out.push(start..end);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tokens::tokenize;
    use super::*;

    fn sents(s: &str) -> Vec<String> {
        let toks = tokenize(s);
        let mut out = Vec::new();
        split(s, &toks, 0..toks.len(), &mut out);
        out.iter()
            .map(|r| s[toks[r.start].span.start..toks[r.end - 1].span.end].to_string())
            .collect()
    }

    #[test]
    fn english() {
        assert_eq!(
            sents("Mr. Smith went to the U.S. on Jan. 5 with Dr. Jones. He paid $3.5 million, e.g. 1,000 shares. Then he left!"),
            [
                "Mr. Smith went to the U.S. on Jan. 5 with Dr. Jones.",
                "He paid $3.5 million, e.g. 1,000 shares.",
                "Then he left!"
            ]
        );
        assert_eq!(sents("He said.The end"), ["He said.", "The end"]);
        assert_eq!(
            sents("\"We will win.\" The crowd cheered."),
            ["\"We will win.\"", "The crowd cheered."]
        );
        assert_eq!(
            sents("J. K. Rowling wrote it. Visit www.example.com. Or mail a@b.co. Done"),
            [
                "J. K. Rowling wrote it.",
                "Visit www.example.com.",
                "Or mail a@b.co.",
                "Done"
            ]
        );
        assert_eq!(
            sents("Wait... what? He left (quietly). Apple Inc. Was sold."),
            [
                "Wait... what?",
                "He left (quietly).",
                "Apple Inc.",
                "Was sold."
            ]
        );
    }

    #[test]
    fn french() {
        assert_eq!(
            sents("M. Dupont et Mme Martin sont arrivés. Les américains.Au total, 3,5 % etc. Fin."),
            [
                "M. Dupont et Mme Martin sont arrivés.",
                "Les américains.",
                "Au total, 3,5 % etc.",
                "Fin."
            ]
        );
        assert_eq!(
            sents("« C'est fini. » Il est parti."),
            ["« C'est fini. »", "Il est parti."]
        );
        assert_eq!(sents("Ah ! dit-il. Bon."), ["Ah ! dit-il.", "Bon."]);
    }

    #[test]
    fn arabic() {
        assert_eq!(
            sents("قال د. أحمد إن النسبة بلغت ٣٫٥ في المئة. هل هذا صحيح؟ نعم؛ «لقد انتهى».وأضاف المسؤول"),
            ["قال د. أحمد إن النسبة بلغت ٣٫٥ في المئة.", "هل هذا صحيح؟", "نعم؛", "«لقد انتهى».", "وأضاف المسؤول"]
        );
    }

    #[test]
    fn long_runs_are_cut() {
        let s = "word ".repeat(500);
        let toks = tokenize(&s);
        let mut out = Vec::new();
        split(&s, &toks, 0..toks.len(), &mut out);
        assert!(out.len() >= 6);
        assert!(out.iter().all(|r| r.len() <= MAX_TOKENS));
        let s = "mot, ".repeat(200);
        let toks = tokenize(&s);
        let mut out = Vec::new();
        split(&s, &toks, 0..toks.len(), &mut out);
        // cut after a comma
        assert!(out.iter().all(|r| toks[r.end - 1].span.slice(&s) == ","));
    }
}
