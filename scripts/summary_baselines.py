#!/usr/bin/env python3
"""Classic extractive baselines on exactly our sentence units and tokens.

The published baseline table (shared/data/summarisation/SOURCES.md) ran sumy
and lead-k with *its own* sentence splitter. On EASC that splitter does not
cut at a stop glued to the next word ("...الخاصة.في سنة"), ours does, so its
units are longer and "k sentences" means more words. To compare like with
like, this script takes our segmentation and tokens from

    nutgraf eval summarize FILE.jsonl --dump DUMP.jsonl

and writes, per system, one jsonl of summaries `{"id", "sentences": [...]}`
that `nutgraf eval summarize FILE.jsonl --external NAME=OUT.jsonl` scores
with the same ROUGE code as our own summariser:

- sumy LexRank / TextRank / Luhn / LSA, each asked for k sentences (k from
  the dump = our count of the reference length), on our body sentences,
  with our normalised word tokens, sumy's Snowball stemmer and sumy's stop
  words folded like our normaliser (as in SOURCES.md, sumy 0.13.0);
- lead-k with a simple splitter (`--simple-split FILE.jsonl`, lines then
  `[.!?؟]` + whitespace, no cut at glued stops): the SOURCES.md-style
  segmentation, to show how much of the published lead-k is segmentation.

Deterministic (sumy's algorithms have no randomness here). Not used by the
service or the tests; needs `pip install sumy` (0.13.0 measured).

Usage:
    python3 scripts/summary_baselines.py DUMP.jsonl OUTDIR [--simple-split DEV.jsonl]
"""

import argparse
import json
import os
import re
import sys
import unicodedata

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.lsa import LsaSummarizer
from sumy.summarizers.luhn import LuhnSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words

LANGS = {"ar": "arabic", "en": "english", "fr": "french"}

_DROP = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u0640]")
_MAP = str.maketrans({
    "\u0622": "\u0627", "\u0623": "\u0627", "\u0625": "\u0627", "\u0671": "\u0627",
    "\u0672": "\u0627", "\u0673": "\u0627", "\u0649": "\u064a", "\u06cc": "\u064a",
    "\u0629": "\u0647", "\u06c1": "\u0647", "\u06c3": "\u0647", "\u06d5": "\u0647",
    "\u06a9": "\u0643",
})


def fold(w):
    """Approximation of our token normaliser (enough for stop-word lookup)."""
    w = unicodedata.normalize("NFC", w).lower()
    return _DROP.sub("", w).translate(_MAP)


class OurTokens:
    """sumy tokenizer that returns our precomputed word tokens of a sentence."""

    def __init__(self, words_of):
        self.words_of = words_of

    def to_words(self, text):
        return self.words_of.get(text, [])

    def to_sentences(self, text):  # not used: sentences come from the dump
        return [text]


def summarizers(lang):
    name = LANGS.get(lang, "english")
    stem = Stemmer(name)
    stops = frozenset(fold(w) for w in get_stop_words(name))
    out = {}
    for sys_name, cls in (("lexrank", LexRankSummarizer), ("textrank", TextRankSummarizer),
                          ("luhn", LuhnSummarizer), ("lsa", LsaSummarizer)):
        s = cls(stem)
        s.stop_words = stops
        out[sys_name] = s
    return out


def simple_split(text):
    out = []
    for line in text.split("\n"):
        for piece in re.split(r"(?<=[.!?\u061f])\s+", line.strip()):
            if re.search(r"\w", piece):
                out.append(piece)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("outdir")
    ap.add_argument("--simple-split", help="original dev jsonl, for lead-k with a simple splitter")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    arts = [json.loads(l) for l in open(a.dump, encoding="utf-8") if l.strip()]
    cache = {}
    files = {n: open(os.path.join(a.outdir, n + ".jsonl"), "w", encoding="utf-8")
             for n in ("lexrank", "textrank", "luhn", "lsa")}
    for art in arts:
        lang = art["lang"]
        if lang not in cache:
            cache[lang] = summarizers(lang)
        sents = art["sentences"]
        words_of = {s["text"]: [n for n, _ in s["words"]] for s in sents}
        tok = OurTokens(words_of)
        doc = ObjectDocumentModel([Paragraph([Sentence(s["text"], tok) for s in sents])])
        for name, summ in cache[lang].items():
            try:
                chosen = [str(x) for x in summ(doc, art["k"])] if sents else []
            except Exception as e:  # e.g. LSA on a degenerate matrix
                print(f"{art['id']} {name}: {e}", file=sys.stderr)
                chosen = [s["text"] for s in sents[: art["k"]]]
            files[name].write(json.dumps({"id": art["id"], "sentences": chosen}, ensure_ascii=False) + "\n")
    for f in files.values():
        f.close()
    if a.simple_split:
        k_of = {art["id"]: art["k"] for art in arts}
        with open(os.path.join(a.outdir, "lead-simple.jsonl"), "w", encoding="utf-8") as f:
            n = 0
            units = 0
            for line in open(a.simple_split, encoding="utf-8"):
                if not line.strip():
                    continue
                r = json.loads(line)
                if r["id"] not in k_of:
                    continue
                parts = simple_split(r["text"])
                n += 1
                units += len(parts)
                f.write(json.dumps({"id": r["id"], "sentences": parts[: k_of[r["id"]]]}, ensure_ascii=False) + "\n")
        print(f"simple split: {units / max(n, 1):.1f} sentences per article", file=sys.stderr)


if __name__ == "__main__":
    main()
