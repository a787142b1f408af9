"""The numbers a text states, however written: what a question asks about and a sentence must
state ("every 3 months" is not "each six months"; "the 1990s" is the spinner's "Nineteen Nineties").
"""

from __future__ import annotations

import re

ORDINALS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()
DECADES = "twenties thirties forties fifties sixties seventies eighties nineties".split()
_NUMBER_WORDS = {
    w: str(n)
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80"}
_NUMBER_WORDS |= {
    "ninety": "90",
    "hundred": "100",
    "thousand": "1000",
    "dozen": "12",
    "twice": "2",
    "both": "2",
}
# A question's "one" or "both" is seldom a count ("What is one example...?"); a text's may answer one.
_TOLD_ONLY = frozenset({"one", "both"})
# Words and numbers, as numbers are written: "1,500", "18th", "1990s", "'90s", "twenty-first",
# "7n2" (its 7), not the "25" of "X.25". Read token by token: one regular expression for every
# way of writing a number cost 0.1 ms a sentence.
_TOKEN = re.compile(r"(?<![\w.])['’]?\d[\d,.]*(?:st\b|nd\b|rd\b|th\b|['’]?s\b)?|[a-z]+(?:-[a-z]+)*")
_DIGITS = re.compile(r"['’]?(\d(?:[\d,.]*\d)?)[.,]*(st|nd|rd|th|['’]?s)?")
_HUNDREDS = re.compile(r"\d\d00")
_DECADE_DIGITS = re.compile(r"(?:\d\d)?[1-9]0")
_CENTURY = frozenset({"century", "centuries"})
_ORDINAL_SUFFIXES = frozenset({"st", "nd", "rd", "th"})
_NUMBER_START = frozenset("0123456789'’")
_NUMBERISH = frozenset(_NUMBER_WORDS) | frozenset(ORDINALS) | frozenset(DECADES)  # the rest are skipped


def numbers_in(text: str, asked: bool = False) -> frozenset[str]:
    """The numbers a text states, written one way: "1,500" and "1500" -> "1500", "three" -> "3",
    "1990s" and "Nineteen Nineties" -> "90s", "1700s" and "eighteenth century" -> "c18".
    `asked`: a question's, without the words that seldom count there."""
    tokens = _TOKEN.findall(text.lower())
    out: set[str] = set()
    for k in [k for k, t in enumerate(tokens) if t[0] in _NUMBER_START or t in _NUMBERISH or "-" in t]:
        token, after = tokens[k], tokens[k + 1] if k + 1 < len(tokens) else ""
        # "the 18th century", "the 10th and 11th centuries"
        century = after in _CENTURY or (after == "and" and k + 3 < len(tokens) and tokens[k + 3] in _CENTURY)
        if token[0] in _NUMBER_START:
            m = _DIGITS.fullmatch(token)
            if m is None:
                continue
            number, suffix = m[1].replace(",", ""), m[2] or ""
            if suffix in _ORDINAL_SUFFIXES:
                out.add(f"c{number}" if century else number)
            elif suffix and _HUNDREDS.fullmatch(number):  # "the 1700s": the 18th century
                out.add(f"c{int(number[:2]) + 1}")
            elif suffix and _DECADE_DIGITS.fullmatch(number):  # "1990s", "'90s"
                out.add(f"{number[-2:]}s")
            else:
                out.add(number)
            continue
        *tens, unit = token.split("-")
        if unit in ORDINALS:  # an ordinal is no count: only "the eighteenth century" says a time
            if century:
                twenty = tens == ["twenty"] or (k > 0 and tokens[k - 1] == "twenty")
                out.add(f"c{20 * twenty + ORDINALS.index(unit) + 1}")
            continue
        if unit in DECADES:  # "the nineties", "Nineteen Nineties"
            out.add(f"{(DECADES.index(unit) + 2) * 10}s")
            continue
        if after.split("-")[-1] in DECADES or after.split("-")[-1] in ORDINALS:
            continue  # "Nineteen Nineties", "twenty first century": part of a decade or a century
        for word in token.split("-"):  # "twenty-five", "two-cylinder", "Six-Day"
            if word in _NUMBER_WORDS and not (asked and word in _TOLD_ONLY):
                out.add(_NUMBER_WORDS[word])
    return frozenset(out)
