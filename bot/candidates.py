"""Answer candidates: where in a sentence the kind of thing a question asks for sits.

A who-question wants a name the question does not already hold, a when-question a date, a
"Who is X?" question the role that describes X, a why-question a reason. `find_candidate`
returns that span, which the answerer both scores (a sentence that holds it can answer) and
highlights in the quote.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from bot.numbers import DECADES, ORDINALS
from bot.question import WHICH_OFFICE
from index.search import STOPWORDS
from index.times import SPUN_MAY, time_marks

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    "hundred|hundreds|thousand|thousands|million|millions|billion|dozen|dozens|half|several"
)
# A capitalised word, accented letters included ("Jumièges"), and the particles inside names
# ("Robert of Jumièges", "Guy de Lusignan").
_CAP = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ’'-]+"
_PARTICLE = r"(?:of|de|da|di|du|del|della|der|van|von|la|le|bin|ibn|al)"
_PATTERNS = {
    "frequency": re.compile(
        r"\bevery\s+(?:\d[\d,.]*|other|few|\w+)(?:\s+\w+)?|\b(?:daily|weekly|monthly|yearly|annually|hourly|"
        r"nightly|once|twice|thrice)\b|\b(?:\d+|\w+)\s+times\s+(?:a|an|per|each)\s+\w+|\b(?:a|per)\s+"
        r"(?:day|week|month|year|hour|night)\b",
        re.I,
    ),
    "number": re.compile(
        rf"(?:[$£€]\s?)?\b\d(?:[\d,.]*\d)?(?:\s?(?:%|percent|per cent|million|billion|thousand|bn|m)\b)?"
        rf"|\b(?:{_NUMBER_WORDS})\b"
        # A count the article gives without a figure: "only a handful of districts", "a small
        # number of", "a few", "scores of".
        # Not "a few of whom" (of a group named before) nor "a few days" (a time).
        r"|\ba\s+(?:handful|few|couple|small\s+number|large\s+number)\b"
        r"(?!\s+of\s+(?:whom|which|them|these|those|us)\b|\s+(?:more|times|days|weeks|months|years|hours)\b)"
        r"|\bscores\s+of\b",
        re.I,
    ),
    "date": re.compile(
        rf"\b(?:{_MONTHS})\.?(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s+\d{{4}})?\b"
        rf"|\b\d{{1,2}}\s+(?:{_MONTHS})\b(?:\s+\d{{4}})?|\b(?:{_DAYS})\b|\b(?:1[5-9]|20)\d\d(?:s)?\b"
        r"|\b(?i:in|since|by|until|from|after|before|around|circa|of|during)\s+(?:the\s+)?\d{3,4}s?\b"
        rf"|\b(?:\d{{1,2}}(?:st|nd|rd|th)|{'|'.join(ORDINALS)}|twenty-first)(?:\s+and\s+\w+)?\s+centur(?:y|ies)\b"
        r"|\b(?:last|next|this) (?:week|month|year|spring|summer|autumn|fall|winter)\b"
        r"|\byesterday\b|\btoday\b|\bmidnight\b|\bnoon\b"
        r"|\b\d{1,2}(?::\d\d)?\s?(?:a\.m\.|p\.m\.|am\b|pm\b|GMT\b)"
        # A day number after a capitalised word, after a word of time: a month whatever its
        # spelling ("since Could 1" in a synonym-spun article).
        rf"|\b(?i:since|on|by|until|from|after|before)\s+(?!(?:{_MONTHS})\b)[A-Z][a-z]+\s+\d{{1,2}}\b"
        r"(?!\s*(?:%|percent|per))"
        # ...and the month alone: "In Could, Taliban forces entered Lashkar Gah" (index/times.py).
        rf"|{SPUN_MAY.pattern}"
        rf"|\b(?:(?i:nineteen|twenty)\s+)?(?i:{'|'.join(DECADES)})\b"
        r"|\b(?i:ago|recent weeks|recent days|recent months|in the past (?:week|month|year|\d+ hours))\b",
    ),
    "place": re.compile(
        r"\b(?:north|south|east|west|northern|southern|eastern|western|central|northeast|northwest|southeast|"
        r"southwest)(?:ern)?\b|\b(?i:in|at|on|near|from|to|into|across|outside|inside)\s+((?:the\s+)?"
        r"[A-Z][\w’'-]+(?:\s+(?:of\s+)?[A-Z][\w’'-]+)*)"
    ),
    "person": re.compile(
        rf"\b{_CAP}(?:\s+(?:[A-Z]\.\s*|{_PARTICLE}\s+)?{_CAP})+(?![\w’'-])|\b(?:Mr|Mrs|Ms|Dr)\.?\s+{_CAP}"
    ),
}
# How far (in characters) a number may stand before the noun it counts.
COUNT_REACH = 60
# Between a number and the noun it counts there are adjectives and "of the": never a clause
# break or a preposition that starts another phrase ("voted 9 to 4 on Tuesday to fund a ferry").
_NOT_COUNTING = re.compile(
    r"[,;:.()]|\b(?:to|on|in|at|for|by|with|from|into|after|before|and|or|but|as)\b", re.I
)


def _counts(sentence: str, number: tuple[int, int], noun_at: int) -> bool:
    """The number counts the noun: "400 districts", "20 of the most elite forces", or after it in
    the same clause: "the Huguenots numbered about 200,000"."""
    if noun_at >= number[1]:
        # The anchor sits mid-word: the noun's own letters ("for" of "forces") are not between.
        # An abbreviation's dots end no clause: "eight U.S. presidents".
        between = _ABBREVIATION.sub("", re.sub(r"[\w’'-]+$", "", sentence[number[1] : noun_at]))
        return noun_at - number[1] <= COUNT_REACH and not _NOT_COUNTING.search(between)
    between = sentence[noun_at : number[0]]
    return number[0] - noun_at <= COUNT_REACH // 2 and not re.search(r"[,;:.()]", between)


_ABBREVIATION = re.compile(r"\b(?:[A-Za-z]\.){2,}")
# What comes after a cause or a means.
_REASON = re.compile(
    r"\b(?:because(?: of)?|due to|owing to|thanks to|as a result of|in order to|so that|caused by|"
    r"for fear|amid|since|after|as)\b[^.;:]*",
    re.I,
)
_MEANS = re.compile(r"\b(?:by|through|via|using|by means of|with the help of|by way of)\b[^.;:]*", re.I)
_TITLED_NAME = re.compile(
    r"\b(?:President|Minister|Gen|General|Gov|Governor|Sen|Senator|Mr|Mrs|Ms|Dr)\.?\s+([A-Z][\w’'-]+)"
)
_LEADING_TITLE = re.compile(
    r"(?:President|Prime Minister|Minister|General|Gen|Governor|Gov|Senator|Sen|Mayor|Deputy|Council member|"
    r"Mr|Mrs|Ms|Dr|Director|Chief|Judge|Justice)\.?\s+"
)
_PROPER = re.compile(rf"\b{_CAP}(?:\s+(?:{_PARTICLE}\s+)?{_CAP})*")
# Capitalised only because they start a sentence: never a place or a name. The index's stopwords
# too ("About 900,000 staff...", "Under the plan..."): a word that names no topic names no one.
_SENTENCE_STARTERS = STOPWORDS | frozenset(
    "there these those this that then thus however prior even still yet also only solely within since "
    "after before during despite although though while when once both each every many most some several "
    "such here according earlier later last next first finally meanwhile instead if as so because whether "
    "what which who how why where all any no not nor neither either one two three".split()
)
# "Afghan forces", "American troops", "Iraqi officials": a people's adjective, not a place.
_PEOPLE = r"[A-Z][a-z]+(?:an|ian|ese|ish|i)"  # "Afghan", "Iraqi", "Chinese", "British"
_DEMONYM = re.compile(
    _PEOPLE + r"\s+(?:forces|troops|soldiers|officials|authorities|government|army|"
    r"military|police|people|leaders|fighters|citizens|officers|president|minister|air|navy|workers)\b"
)
# ...and any such word before a noun: "American airstrikes", "Afghan commanders".
_PEOPLES_ADJECTIVE = re.compile(_PEOPLE + r"\s+[a-z]")
_DATE_WORD = re.compile(rf"\b(?:{_MONTHS}|{_DAYS})\b")
_HOW_LONG = re.compile(r"\bhow long\b(?! ago)")
_UNTIL = re.compile(
    rf"\b(?i:until|till|into|through|throughout)\s+(?:(?:the\s+)?(?i:early|late)\s+)?"
    rf"(?:(?:{_MONTHS}|{_DAYS})(?:\s+(?i:night|morning|afternoon|evening))?|\d{{4}}s?)\b"
)
_TRAILING_TIME = re.compile(rf"(?:\s+(?:{_MONTHS}|{_DAYS}))+$|^(?:{_MONTHS}|{_DAYS})$")
# "May 1", "1 May", and a spinner's "Could 1" after a word of time.
_DAY_OF_MONTH = re.compile(
    rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\b"
    rf"|\b(?i:since|on|by|until|from|after|before)\s+(?!(?:{_MONTHS})\b)[A-Z][a-z]+\s+\d{{1,2}}\b"
)
_YEARS = re.compile(
    r"\b(?i:in|since|by|until|till|during|before|after)\s+((?:1[5-9]|20)\d\d(?:\s+(?:and|or|to)\s+(?:1[5-9]|20)\d\d)?)"
    r"\b(?!\s*%)"
)
_NOT_NAMES = re.compile(rf"^(?:The|A|An|In|On|At|But|And|He|She|They|It|This|That|{_MONTHS}|{_DAYS})\b")


def find_candidate(
    sentence: str,
    question: str,
    kind: str,
    subject: str = "",
    anchors: Sequence[int] = (),
    counted: Sequence[int] = (),
) -> tuple[int, int] | None:
    """The span of `sentence` that could answer a `kind` question, not already in the question.

    `subject` is the name a role question asks about ("Who is Amruddin Wali?"). When the
    sentence holds several, the one nearest the `anchors` (where the question's own words sit
    in the sentence) wins: "...seen the north as their stronghold from the Taliban, a group that
    rose within the south" answers "where did the Taliban rise?" with "south". `counted` are
    where the noun a how-many question counts sits: a number must come shortly before it
    ("400 districts", "20 of the most elite forces"; not "voted 9 to 4 to fund a ferry link")."""
    if kind == "role":
        return find_role(sentence, subject)
    if kind == "person" and _ASKS_WHO_SAID.match(question):
        # "Who said there is panic in Kunduz?": not a name inside the quotation ("The Taliban
        # have appeared..."), the speaker outside it, here or in the sentence before.
        sentence = _QUOTATION.sub(lambda m: " " * len(m.group()), sentence)
    if kind in ("reason", "means"):
        m = (_REASON if kind == "reason" else _MEANS).search(sentence)
        return (m.start(), m.end()) if m else None
    pattern = _PATTERNS.get(kind)
    if pattern is None:
        return None
    asked = question.lower()
    if kind == "person":
        done = _done_to(sentence, question) or _done_by(sentence, question)
        if done:
            return done
    found = list(_matches(pattern, sentence, asked, kind))
    # "Who appointed a new interior minister?" asks who did it, not who holds the office.
    holder = kind == "person" and bool(_ASKS_HOLDER.search(asked)) and not _ASKS_AGENT.match(asked)
    if holder:
        found = [f for f in found if not _names_what_is_held(sentence, f, asked)]
    if kind == "number" and not found and _HOW_LONG.search(asked):
        # "How long did the fighting go on?" is also answered by when it ended: "into Sunday night".
        found = [m.span() for m in _UNTIL.finditer(sentence)]
    if kind == "number":
        # A day of a month is a date, not a count: "Since May 1, when U.S. forces..."; nor a
        # year after a word of time ("taken by the Taliban in 2015 and 2016").
        days = [m.span() for m in _DAY_OF_MONTH.finditer(sentence)]
        days += [(m.start(1), m.end(1)) for m in _YEARS.finditer(sentence)]
        found = [f for f in found if not any(a <= f[0] and f[1] <= b for a, b in days)]
        if counted:
            found = [f for f in found if any(_counts(sentence, f, c) for c in counted)]
            if not found:
                return None
    if found:
        return (kind == "person" and _agent(found, sentence, question)) or _nearest(found, anchors)
    if kind == "person":  # a single surname after a title: "President Biden", "Gen. Miller"
        for titled in _TITLED_NAME.finditer(sentence):
            if titled.group(1).lower() not in asked:
                return titled.start(1), titled.end(1)
    if kind in ("place", "person"):
        # A proper name with no preposition before it ("Sweden rationed petrol"), or for who: a
        # group or one name ("the Byzantines", "Rollo", "American airstrikes pushed them back").
        names: list[tuple[int, int]] = []
        months = _spun_month_ends(sentence)
        for proper in _PROPER.finditer(sentence):
            first = proper.group().split()[0].lower()
            if (
                not _NOT_NAMES.match(proper.group())
                and first not in _SENTENCE_STARTERS
                and not _DEMONYM.match(sentence, proper.start())
                and proper.end() not in months
                # "To the west of Kunduz in Maimana": where, not who.
                and not (
                    kind == "person"
                    and (
                        _PLACE_BEFORE.search(sentence, 0, proper.start())
                        or _PLACE_NAME.search(proper.group())
                    )
                )
                # "Who commands the Taliban?" asks for a holder's name: "American airstrikes" has none.
                and not (
                    holder
                    and (
                        _PEOPLES_ADJECTIVE.match(sentence, proper.start())
                        or _names_what_is_held(sentence, proper.span(), asked)
                    )
                )
            ):
                # "told Al Jazeera Saturday": the name without the day after it; never one the
                # question holds ("Afghanistan Sunday" for "What is the capital of Afghanistan?").
                name = _TRAILING_TIME.sub("", proper.group())
                if name and name.lower() not in asked:
                    names.append((proper.start(), proper.start() + len(name)))
        if names:  # the one where the question's words sit: "Taliqan, the capital of Takhar, a
            # province that neighbors Kunduz" -> Takhar; for "who did it", the verb's subject.
            agent = _agent(names, sentence, question) if kind == "person" else None
            return agent or _nearest(names, anchors)
    if kind == "person" and not holder:
        # No name, and none asked for: an office answers "who did they appoint?" ("a new acting
        # minister of defense"). Never "who is the police chief?" or "who leads the Taliban?":
        # those ask for a holder's name.
        office = _OFFICE.search(sentence)
        if office:
            return office.start(), office.end()
        # ...or a group of people: "Who surrendered?" -> "dozens of government troops surrendered".
        groups = [_qualified_group(sentence, g.span()) for g in _GROUP.finditer(sentence)]
        groups = [g for g in groups if not _asked_group(sentence, g, asked)]
        if groups:
            return _agent(groups, sentence, question) or _nearest(groups, anchors)
    if kind == "person" and WHICH_OFFICE.match(asked):
        # "Which ministers did the government appoint?" is answered by which office, where the
        # sentence names none holding it: "a new acting minister of defense". Not by the office
        # the question already names ("a Taliban commander" for "Which Taliban commander...?").
        for office in _OFFICE.finditer(sentence):
            if _qualified(office.group(), asked):
                return office.start(), office.end()
    return None


_ASKS_WHO_SAID = re.compile(
    r"^\W*who\s+(?:had\s+|has\s+|have\s+)?(?:said|says|say|told|tells|warned|warns|stated|states|"
    r"claimed|claims|added|described|describes|mentioned|wrote|writes|declared|insisted|argued)\b",
    re.I,
)
# A quotation, to its closing mark or to the end of a sentence it runs on past.
_QUOTATION = re.compile(r"“[^”]*(?:”|$)|\"[^\"]*(?:\"|$)")


def _done_to(sentence: str, question: str) -> tuple[int, int] | None:
    """ "Who was killed in Maimana?" asks who it was done to: where the sentence says it actively
    ("the Taliban killed more than 20 of the government’s most elite forces"), the name or group
    after the verb, not the one before it that did it; where it says it passively ("Three
    soldiers were killed ..., said Ahmad Khan"), the one before the verb, not who said so."""
    asked = _PASSIVE_WHO.match(question)
    if not asked:
        return None
    for verb in re.finditer(rf"\b{re.escape(asked['verb'].lower())}\b", sentence):
        be = _BE_BEFORE.search(sentence, 0, verb.start())
        if be:  # said passively too ("Three soldiers were killed"): the last one before the verb
            offset = max(0, be.start() - 80)
            clause = re.split(r"[.;:,]", sentence[offset : be.start()])[-1]
            offset = be.start() - len(clause)
        else:
            offset = verb.end()
            clause = re.split(r"[.;:]|,\s+(?:and|but|while|after|before)\b", sentence[offset : offset + 80])[
                0
            ]
        spans = [m.span() for m in _PATTERNS["person"].finditer(clause)] or [
            m.span() for m in _GROUP.finditer(clause)
        ]
        if spans:
            a, b = spans[-1] if be else spans[0]
            return offset + a, offset + b
    return None


def _done_by(sentence: str, question: str) -> tuple[int, int] | None:
    """ "Who appointed a new interior minister?" asks who did it: where the sentence uses the
    question's verb, the words that end its clause before it ("..., the Afghan authorities
    appointed a new acting minister"), not the office appointed."""
    asked = _ASKS_AGENT.match(question)
    if not asked:
        return None
    verb = re.search(rf"\b{re.escape(asked['verb'].lower())}\b", sentence)
    if not verb:
        return None
    clause = re.split(r"[,;:—–(]", sentence[: verb.start()])[-1]
    subject = re.search(r"(?:(?:the|a|an|its|their)\s+)?[\w’'.-]+(?:\s+[\w’'.-]+){0,4}\s*$", clause, re.I)
    if not subject or not subject.group().strip():
        return None
    start = verb.start() - len(clause) + subject.start()
    return start, start + len(subject.group().rstrip())


def _spun_month_ends(sentence: str) -> set[int]:
    """Where a spinner's month ends ("In Could, Taliban forces entered..."): a time, not a name."""
    return {m.end() for m in SPUN_MAY.finditer(sentence)}


def _qualified_group(sentence: str, span: tuple[int, int]) -> tuple[int, int]:
    """A group with the name that qualifies it: "Afghan forces", "Taliban fighters"."""
    name = re.search(rf"{_CAP}\s+$", sentence[: span[0]])
    if not name or name.group().strip().lower() in STOPWORDS | _SENTENCE_STARTERS:
        return span  # "The forces", "However troops"
    return name.start(), span[1]


def _asked_group(sentence: str, span: tuple[int, int], asked: str) -> bool:
    """The group is the question's own: "Taliban forces" when the question asks who pushed the
    Taliban out, not who did it."""
    words = sentence[span[0] : span[1]].lower().split()
    if " ".join(words) in asked:
        return True
    qualifier = words[0] if len(words) == 2 and words[0] not in STOPWORDS else ""
    return bool(qualifier) and re.search(rf"\b{re.escape(qualifier)}\b", asked) is not None


# "Who pushed the Taliban out of Lashkar Gah?" asks who did it: the verb, to find its subject.
_ACTIVE_WHO = re.compile(
    r"^\W*who\s+(?:[a-z]+ly\s+)?(?!(?:is|was|has|does|says|said|told|tells)\b)(?P<verb>[a-z]{3,}?)(?:ed|es|s)\b",
    re.I,
)


def _agent(spans: Sequence[tuple[int, int]], sentence: str, question: str) -> tuple[int, int] | None:
    """For "Who VERBed ...?", the name or group nearest before the sentence's own VERB, in its
    clause ("Afghan forces and U.S. airstrikes managed to push the insurgents back": not "the
    insurgents"); None where the sentence lacks the verb or nothing stands before it."""
    asked = _ACTIVE_WHO.match(question)
    verb = asked and re.search(rf"\b{re.escape(asked['verb'])}\w*", sentence, re.I)
    if not verb:
        return None
    by = re.match(r"\W+(?:\w+\W+){0,3}?by\b", sentence[verb.end() :])
    if by and _BE_BEFORE.search(sentence, 0, verb.start()):
        # Said passively: "...before they were pushed back by American airstrikes".
        after = [span for span in spans if span[0] >= verb.end()]
        return min(after) if after else None
    clause = max(sentence.rfind(mark, 0, verb.start()) for mark in ';:—–(“"')
    before = [span for span in spans if clause < span[0] and span[1] <= verb.start()]
    return max(before, key=lambda span: span[1]) if before else None


# "Who was killed (by the Taliban)?", "Who were arrested?": not "Who was it defeated by?", which
# asks who did it.
_PASSIVE_WHO = re.compile(
    r"^\W*who\s+(?:was|were|is|are|has\s+been|have\s+been|had\s+been|will\s+be|got|get|gets)\s+"
    r"(?:[a-z]+ly\s+)?(?P<verb>[a-z]+(?:ed|en))\b(?!.*\bby\W*$)",
    re.I,
)
_BE_BEFORE = re.compile(r"\b(?:was|were|is|are|be|been|being|get|got|gets)\s+(?:[a-z]+ly\s+)?$", re.I)


def _nearest(spans: Sequence[tuple[int, int]], anchors: Sequence[int]) -> tuple[int, int]:
    """The span nearest where the question's words sit in the sentence; the first without them."""
    if not anchors:
        return spans[0]
    return min(spans, key=lambda span: min(abs((span[0] + span[1]) // 2 - a) for a in anchors))


_OFFICES = re.compile(
    r"\b(?:minister|chief|spokesman|spokeswoman|spokesperson|governor|commander|president|mayor|leader|"
    r"director|secretary|ambassador|judge|deputy|chairman|chairwoman|envoy)s?\b",
    re.I,
)
_ASKS_HOLDER = re.compile(
    rf"{_OFFICES.pattern}|\bname\b|\b(?:lead|leads|led|head|heads|headed|run|runs|ran|command|commands|"
    r"commanded|govern|governs|governed|chair|chairs|chaired)\b",
    re.I,
)
# "Who appointed/fired/met the minister?": the office is what was acted on, not whose holder is
# asked ("Who is/became/leads the minister...?", "Who was appointed minister?" still ask).
_ASKS_AGENT = re.compile(
    r"^\W*who\s+(?:[a-z]+ly\s+)?(?!(?:is|was|are|were|will|would|has|have|had|did|does|do|can|could|"
    r"should|may|might|must|became|becomes|become|serves|served|lead|leads|led|head|heads|headed|run|"
    r"runs|ran|command|commands|commanded|govern|governs|governed|chair|chairs|chaired|holds|held|"
    r"replaced|replaces|succeeded|succeeds)\b)(?P<verb>[a-z]+(?:ed|s))\s+(?:the|a|an|its|their|his|her)\s+"
    rf"(?:[\w’'-]+\s+){{0,3}}?{_OFFICES.pattern}",
    re.I,
)
_GROUP = re.compile(
    r"\b(?:(?!(?:of|the|a|an|and|or|to|by|for|with|from|in|on|at|as|its|their|his|her)\b)[a-z][\w’'-]*\s+)?"
    r"(?:troops|forces|soldiers|officers|officials|fighters|militants|insurgents|rebels|"
    r"militias|police|workers|students|farmers|peasants|residents|civilians|villagers|pilots|contractors|"
    r"citizens|refugees|protesters|voters|commanders|experts|settlers|immigrants|nobles|monks|priests)\b"
)
_OFFICE = re.compile(
    rf"\b(?:a|an|the|its|their)\s+(?:[a-z][\w’'-]*\s+){{0,3}}?{_OFFICES.pattern}(?:\s+of\s+[a-z][\w’'-]*)?"
)


def _names_what_is_held(sentence: str, span: tuple[int, int], asked: str) -> bool:
    """For a question asking for a holder's name: the name is of what is held, not of who holds
    it. "Who is the new army chief?": "Scotland's Army"; "Who is the defense ministry spokesman?":
    "a Pentagon spokesman"; an institution is no one ("The Ministry of Defence" for "What is the
    name of the new defense minister?")."""
    name = sentence[span[0] : span[1]]
    return bool(
        _content_words(name) & _content_words(asked)
        or _INSTITUTION.match(name)
        or _BEFORE_AN_OFFICE.match(sentence, span[1])
    )


_INSTITUTION = re.compile(
    r"(?:the\s+)?(?:ministry|department|office|council|parliament|party|agency|committee|commission|"
    r"university|college|court|bank|army|navy|police|government|assembly|senate|congress|institute|"
    r"corporation|company|board|authority|foundation|union)\b",
    re.I,
)
# Words before an office that do not say which one it is ("a new acting minister").
_UNQUALIFYING = frozenset("a an the its their new acting former current interim senior top brand".split())


def _qualified(office: str, asked: str) -> bool:
    """The office says which one it is, in words the question does not hold: "minister of
    defense", "defense minister"; not "a new minister" or the question's own "Taliban commander"."""
    words = re.findall(r"[\w’'-]+", office.lower())
    held = _content_words(asked)
    i = next((n for n, w in enumerate(words) if _OFFICES.fullmatch(w)), len(words) - 1)
    after = words[i + 2] if i + 2 < len(words) and words[i + 1] == "of" else ""
    before = words[i - 1] if i else ""
    return bool(after and after not in held) or bool(
        before and before not in _UNQUALIFYING and before not in held
    )


_BEFORE_AN_OFFICE = re.compile(rf"(?:’s|'s)?\s+(?:[a-z][\w-]*\s+){{0,2}}?{_OFFICES.pattern}")


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 1 and w not in STOPWORDS}


def all_candidates(sentence: str, question: str, kind: str) -> list[str]:
    """Every asked-for thing the sentence holds (lower-cased): the items a list question counts."""
    pattern = _PATTERNS.get(kind)
    if pattern is None:
        return []
    return [sentence[a:b].lower() for a, b in _matches(pattern, sentence, question.lower(), kind)]


def _matches(pattern: re.Pattern[str], sentence: str, asked: str, kind: str) -> Iterator[tuple[int, int]]:
    # "north" answers "where" or "which part", not "which capitals".
    directions = kind != "place" or bool(re.search(r"\bwhere\b|\b(?:part|region|area)s?\b", asked))
    months = _spun_month_ends(sentence) if kind == "person" else set()
    for m in pattern.finditer(sentence):
        group = 1 if kind == "place" and m.group(1) else 0
        if kind == "place" and not group and not directions:
            continue
        text = m.group(group)
        start = m.start(group)
        if kind == "place" and group and (_DATE_WORD.match(text) or time_marks(m.group())):
            continue  # "in May", "on Sunday", a spinner's "In Could,": a time, not a place
        if kind == "person":
            head = text.split(maxsplit=1)
            if len(head) == 2 and head[0].lower() in _SENTENCE_STARTERS:
                # "However Rohullah Ahmadzai": capitalised only because it starts the sentence.
                start += text.index(head[1], len(head[0]))
                text = head[1]
            titled = _LEADING_TITLE.match(text)
            if titled:  # "President Ashraf Ghani" -> "Ashraf Ghani"
                text = text[titled.end() :]
                if not text or (len(text.split()) < 2 and not text[0].isupper()):
                    continue
                if text.lower() not in asked:
                    yield start + titled.end(), m.end()
                continue
            if (_NOT_NAMES.match(text) and len(text.split()) < 3) or _DATE_WORD.search(text):
                continue  # "The Taliban", "Afghanistan Sunday"
            if m.end() in months:
                continue  # "In Could, Taliban forces entered...": a spinner's month
            if _PLACE_NAME.search(text):
                continue  # "Faryab Province", "Gull Island": a place, whoever is asked for
        if text.lower() in asked:
            continue
        yield start, m.end(group)


_PLACE_BEFORE = re.compile(
    r"\b(?:in|at|near|into|inside|outside|across|(?:north|south|east|west)\s+of)\s+(?:the\s+)?$", re.I
)
_PLACE_NAME = re.compile(
    r"\b(?:Province|City|County|District|Island|Islands|River|Lake|Sea|Ocean|Bay|Valley|Mountains?|"
    r"Street|Square|Airport|Airfield|Base|Harbour|Harbor|Bridge|Canal|Peninsula|Desert)$"
)


def find_role(sentence: str, name: str) -> tuple[int, int] | None:
    """What the sentence says `name` is: "Amruddin Wali, a member of Kunduz’s provincial council",
    "Afghanistan’s president, Ashraf Ghani", "President Biden", "Wali is the council's deputy"."""
    if not name:
        return None
    # The full name, or its last word ("Biden" for "Joe Biden", "Selab" for a later mention).
    for form in dict.fromkeys((name, name.split()[-1])):
        for m in re.finditer(rf"\b{re.escape(form)}\b", sentence):
            after = _APPOSITIVE_AFTER.match(sentence, m.end())
            if after:
                return after.start(1), after.end(1)
            before = _APPOSITIVE_BEFORE.search(sentence, 0, m.start())
            if before and before.end() == m.start():
                return before.start(1), before.end(1)
            title = _LEADING_TITLE_BEFORE.search(sentence, 0, m.start())
            if title and title.end() == m.start():
                return title.start(1), title.end(1)
    return None


# ", a member of the council," / " is the deputy of ...": up to the next clause break.
_APPOSITIVE_AFTER = re.compile(
    r"(?:,\s*|\s+(?:is|was|has been|had been|became|remains)\s+)"
    r"((?:a|an|the|his|her|their|its|[A-Z][\w’'-]*’s|[A-Z][\w’'-]*'s)\s+[^,.;:“”\"()]{3,120}?)"
    r"(?=\s*(?:[,.;:“”\"()]|$|\s+(?:told|said|says|mentioned|stated|added)\b))"
)
# "Afghanistan’s president, " right before the name.
_APPOSITIVE_BEFORE = re.compile(r"((?:[A-Z][\w’'-]*(?:’s|'s)\s+|the\s+)?[a-z][\w -]{2,60}),\s*$")
_LEADING_TITLE_BEFORE = re.compile(
    r"((?:President|Prime Minister|Minister|General|Gen\.|Governor|Senator|Mayor|Deputy|Judge|Chief|"
    r"Director|Secretary|Chancellor|King|Queen|Prince|Princess|Pope|Bishop|Archbishop|Duke|Count|Emperor|"
    r"Sultan|Sheikh|Colonel|Captain|Commander|Ambassador|Professor|Dr\.)(?:\s+[A-Z][\w’'-]+)*)\s+$"
)
