//! CoNLL files (`token<TAB>tag`, blank line between sentences) and the
//! token forms the tagger needs for them.

use super::features::TokView;
use super::model::tag_from_str;
use crate::text::Lang;
use std::path::Path;

/// One token of a CoNLL sentence with the text pipeline's forms.
#[derive(Clone, Debug)]
pub struct CTok {
    pub raw: String,
    pub norm: String,
    pub stem: String,
}

#[derive(Clone, Debug)]
pub struct CSent {
    pub toks: Vec<CTok>,
    pub tags: Vec<u8>,
}

impl CSent {
    pub fn views(&self) -> Vec<TokView<'_>> {
        self.toks
            .iter()
            .map(|t| TokView {
                raw: &t.raw,
                norm: &t.norm,
                stem: &t.stem,
            })
            .collect()
    }
}

/// Normalised form and light stem of a standalone token, computed by the
/// text pipeline's own public functions so that training tokens get exactly
/// the forms that [`crate::text::Document`] tokens get at inference.
pub fn token_forms(lang: Lang, raw: &str) -> (String, String) {
    let mut buf = String::new();
    let f = crate::text::tokens::token_forms(raw, lang, &mut buf);
    let get = |r: std::ops::Range<u32>| {
        buf.get(r.start as usize..r.end as usize)
            .unwrap_or("")
            .to_string()
    };
    (get(f.norm), get(f.stem))
}

/// Parse CoNLL text. Unknown tags are an error (a silent `O` would hide a
/// data problem); a third column, if any, is ignored.
pub fn parse(text: &str, lang: Lang) -> anyhow::Result<Vec<CSent>> {
    let mut out = Vec::new();
    let mut cur = CSent {
        toks: Vec::new(),
        tags: Vec::new(),
    };
    for (ln, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !cur.toks.is_empty() {
                out.push(std::mem::replace(
                    &mut cur,
                    CSent {
                        toks: Vec::new(),
                        tags: Vec::new(),
                    },
                ));
            }
            continue;
        }
        if line.starts_with("-DOCSTART-") {
            continue;
        }
        let mut parts = line.split('\t');
        let tok = parts.next().unwrap_or("");
        let tag = parts.next_back().unwrap_or("O").trim();
        let Some(t) = tag_from_str(tag) else {
            anyhow::bail!("line {}: unknown tag {tag:?}", ln + 1);
        };
        let (norm, stem) = token_forms(lang, tok);
        cur.toks.push(CTok {
            raw: tok.to_string(),
            norm,
            stem,
        });
        cur.tags.push(t);
    }
    if !cur.toks.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

pub fn read(path: &Path, lang: Lang) -> anyhow::Result<Vec<CSent>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    parse(&text, lang).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Entity spans `(start, end, type)` of a BIO tag sequence (CoNLL convention:
/// an I- without a matching open entity starts a new one).
pub fn spans(tags: &[u8]) -> Vec<(usize, usize, u8)> {
    let mut out = Vec::new();
    let mut open: Option<(usize, u8)> = None;
    for (i, &t) in tags.iter().enumerate() {
        let ty = t.div_ceil(2);
        let is_b = t % 2 == 1;
        match open {
            Some((s, oty)) if t != 0 && !is_b && oty == ty => {
                let _ = s;
            }
            _ => {
                if let Some((s, oty)) = open.take() {
                    out.push((s, i, oty));
                }
                if t != 0 {
                    open = Some((i, ty));
                }
            }
        }
    }
    if let Some((s, oty)) = open {
        out.push((s, tags.len(), oty));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_spans() {
        let s = parse(
            "Abdellatif\tB-PER\nHammouchi\tI-PER\nin\tO\nRabat\tB-LOC\n\nX\tO\n",
            Lang::En,
        )
        .unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].toks[0].norm, "abdellatif");
        assert_eq!(spans(&s[0].tags), vec![(0, 2, 1), (3, 4, 2)]);
        // stray I- opens an entity; type change closes one
        assert_eq!(spans(&[2, 2, 4, 0]), vec![(0, 2, 1), (2, 3, 2)]);
        assert!(parse("a\tB-FOO\n", Lang::En).is_err());
    }
}
