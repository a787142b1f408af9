"""What a question asks for: cleaned text, expected answer type, and follow-up detection."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from index.errors import NewsbotError

MAX_QUESTION_CHARS = 2000


# Shown wherever a question is missing; the shipped seed article answers it (tested).
EXAMPLE_QUESTION = "Who is Sebghatullah Selab?"


class BadQuestion(NewsbotError):
    """The question cannot be answered as given (empty, too long)."""


# Slack markup: <!channel>, <!here>, <@U123>, <#C123|name>, <https://x|label>, <https://x>.
_SLACK_MARKUP = re.compile(r"<(?:([!@#])|(?=(?:https?|mailto):))([^<>|\s]*)(?:\|([^<>]*))?>")


def _unmark(m: re.Match[str]) -> str:
    kind, target, label = m.group(1), m.group(2), m.group(3)
    if kind in ("!", "@"):
        return " "  # pings and user mentions carry no question
    return f" {label or target} " if kind is None or label else f" {target} "


def clean_question(raw: str) -> str:
    """Strip control characters, Slack markup and surrounding space; reject empty or overlong questions."""
    text = "".join(ch if ch in "\t\n" or unicodedata.category(ch)[0] != "C" else " " for ch in raw)
    text = _SLACK_MARKUP.sub(_unmark, text)
    text = " ".join(text.split())
    if not text:
        raise BadQuestion(f"the question is empty: ask something like `newsbot ask {EXAMPLE_QUESTION}`")
    if len(text) > MAX_QUESTION_CHARS:
        raise BadQuestion(f"the question is {len(text):,} characters; the limit is {MAX_QUESTION_CHARS:,}")
    return text


# What people put around a question in chat: a greeting or "please" ("Hi, please, who...?"), a
# request ("Can you tell me", "I'd like to know:", "Do you know", "According to the articles,")
# before a question word, and "please"/"thanks" after it. Left in, the question's kind is missed
# (every kind is read from its first word) and "like" or "please" count as topic words.
# A question word, and one with a preposition before it ("by when", "in which"): where a question
# starts inside what was typed.
WH = r"(?:who|whom|whose|what|when|where|which|why|how)"
_ASKS = rf"(?:(?:by|until|since|from|in|at|for|to|with|of)\s+)?{WH}\b"
# Greetings, thanks and nods: around a question here; a whole message in bot/small_talk.py.
GREETINGS = r"(?:hi|hello|hey|hiya|yo|howdy|greetings|good\s+(?:morning|afternoon|evening|day))"
THANKS = (
    r"(?:thanks?(?:\s+you)?(?:\s+(?:so|very)\s+much|\s+a\s+lot|\s+again)?|thx|ty|cheers|"
    r"(?:much\s+)?appreciated)"
)
NODS = (
    r"(?:ok(?:ay)?|great|cool|nice|perfect|awesome|brilliant|excellent|good|sure|understood|"
    r"got\s+it|makes\s+sense)"
)
_GREETING = re.compile(
    rf"^(?:{GREETINGS}\b"
    r"(?:\s+[\w@-]+\s*[,:!])?|(?:ok|okay|so|please|pls|quick question|question)\b|@[\w.-]*\w"
    # "Thanks, who is...?": thanks or a nod before the next question, set off by punctuation
    # ("Great Britain..." is a name).
    rf"|(?:{THANKS}|{NODS})\s*[,:;!.])"
    r"[\s,:;!.]*(?=\w)",
    re.I,
)
_REQUEST = re.compile(
    r"^(?:(?:can|could|would|will)\s+(?:you|someone|anyone)\s+(?:please\s+)?(?:tell|show|let)\s+(?:me|us)"
    r"(?:\s+know)?|(?:please\s+)?(?:tell|show)\s+(?:me|us)|let\s+(?:me|us)\s+know"
    r"|(?:can|could|would|will)\s+you\s+(?:please\s+)?(?:find\s+out|check|look\s+up|say|explain)"
    r"|(?:do\s+you\s+(?:have\s+)?|(?:does\s+)?anyone\s+(?:have\s+)?)?any\s+idea"
    r"|(?:do|does)\s+(?:you|anyone|someone|the\s+articles?|the\s+news)\s+(?:know|say|mention|tell\s+(?:me|us))"
    r"|i(?:'d|’d|\s+would)\s+like\s+to\s+know|i\s+(?:want|need)\s+to\s+know|i\s+wonder"
    r"|i(?:'m|’m|\s+am|\s+was)\s+(?:curious|wondering)"
    r"|(?:according\s+to|based\s+on|in)\s+the\s+(?:articles?|news|stories|story|reports?|coverage)"
    r"|what\s+(?:does|do|did)\s+(?:the\s+)?(?:articles?|news|stor(?:y|ies)|reports?)"
    r"\s+say\s+about)[\s,:;-]*"
    rf"(?={_ASKS})",
    re.I,
)
_THANKS = re.compile(r"[\s,;-]*\b(?:please|thanks|thank\s+you|thx|pls)\W*$", re.I)
# After one of these, "please" is the verb: "...allowed to vote as they please?".
_PLEASES = re.compile(r"\b(?:they|you|we|he|she|one|i)$", re.I)
# "whats the population...", "whos X": the contraction typed without its apostrophe.
_BARE_CONTRACTION = re.compile(r"^(what|who|where|when|how)s\b", re.I)
# "who the spokesman is", "what the population of Kunduz was": a question put inside a request
# keeps statement order; put back as asked ("who is the spokesman").
_EMBEDDED = re.compile(
    r"^(?P<wh>(?:which|what)\s+(?!(?:the|a|an)\b)(?-i:[a-z]+)|how\s+(?:many|much)\s+[a-z]+|how\s+(?:old|long|far)"
    r"|who|whom|where|when|what)\s+(?P<rest>.+?)"
    r"\s+(?P<verb>is|are|was|were)(?P<end>\W*)$",
    re.I,
)

# "how the outposts are resupplied", "why air support was reduced": "how are the outposts resupplied".
_EMBEDDED_PASSIVE = re.compile(
    r"^(?P<wh>how|why|when|where)\s+(?P<rest>.+?)"
    r"\s+(?P<verb>is|are|was|were)\s+(?P<done>[a-z]+(?:ed|en|wn|ht|lt|nt))(?P<end>\W*)$",
    re.I,
)

# A lead-in before a question, set off by a colon, a dash or a full stop: "One more thing - when
# did...?", "I read the Kunduz story. Who is...?" (a comma is not enough: "In 2015, who led...?").
_LEAD_IN = re.compile(
    r"^[^?]{2,120}?(?:\s*[:;—–]\s*|\s+-\s+|[.!]\s+)"
    rf"(?={_ASKS})",
    re.I,
)
_POINTS_BACK = re.compile(r"\b(?:he|she|it|they|him|her|them|his|its|their)\b", re.I)
# "According to the AAA, what is the percentage...": a question after its source.
_ACCORDING = re.compile(
    r"^according\s+to\s+(?P<source>[^,?]{2,80}),\s*"
    rf"(?P<question>{_ASKS}.*)$",
    re.I,
)

# "What is Amruddin Wali's job?", "What position does Wali hold?": asked as "who is Amruddin Wali?",
# the role question (the named person's job is not a word the article need use).
_NAMED = r"(?P<name>(?:[A-Z][\w’'.-]*\s+){0,3}[A-Z][\w’'.-]*?)"
_JOB = r"(?:job|position|role|title|post|occupation|profession|office)"
_ROLE_ASKED = (
    re.compile(rf"^what(?:'s|’s|\s+is|\s+was)\s+{_NAMED}(?:'s|’s|')\s+{_JOB}(?P<end>\W*)$", re.I),
    re.compile(
        rf"^(?:what|which)\s+{_JOB}\s+(?:does|did)\s+{_NAMED}\s+(?:hold|have|occupy|fill)(?P<end>\W*)$", re.I
    ),
)


def core_question(text: str) -> str:
    """The question inside what was typed: "Hi, can you tell me who the defense ministry
    spokesman is, please?" -> "who is the defense ministry spokesman?". Anything else is kept."""
    # Typed in capitals throughout: every word would read as a name. Read as lower case, which
    # the answerer matches against the articles' own spelling.
    core = text.lower() if not any(ch.islower() for ch in text) else text
    # "Question about the Kunduz story: who is ...?"; not "U.S. forces: when did they leave?", whose
    # question names no one of its own and points back into the lead-in.
    lead = _LEAD_IN.match(core)
    if lead:
        rest = core[lead.end() :]
        if not _POINTS_BACK.search(rest) or re.search(r"(?<=\s)[A-Z]", rest):
            core = rest
    for _ in range(3):  # "Hi, please, can you tell me..."
        stripped = _REQUEST.sub("", _GREETING.sub("", core), count=1)
        if stripped == core:
            break
        core = stripped
    if core.lower() != text.lower():
        m = _EMBEDDED.match(core)
        if m:
            core = f"{m['wh']} {m['verb']} {m['rest']}{m['end']}"
        else:
            m = _EMBEDDED_PASSIVE.match(core)
            if m:
                core = f"{m['wh']} {m['verb']} {m['rest']} {m['done']}{m['end']}"
    for pattern in _ROLE_ASKED:
        m = pattern.match(core)
        if m and (m["name"][0].isupper() or not any(ch.isupper() for ch in core)):
            was = re.search(r"\b(?:was|did)\b", m[0], re.I)
            core = f"who {'was' if was else 'is'} {m['name']}{m['end']}"
    m = _ACCORDING.match(core)
    if m:  # the question first, where its kind is read; the source's words still count
        question = m["question"].rstrip(" ?.!")
        core = f"{question} (according to {m['source']}){m['question'][len(question) :]}"
    core = _BARE_CONTRACTION.sub(r"\1's", core)
    end = "?" if text.rstrip().endswith("?") else ""
    trimmed = _THANKS.sub("", core)
    if _PLEASES.search(trimmed):
        trimmed = core
    core = trimmed + end if trimmed != core and trimmed else core
    return core if core.strip(" ?.!,") else text


# Nouns that make "which/what <noun>" a question about a place.
_PLACE_NOUNS = (
    r"part|country|countries|city|cities|capital|capitals|province|provinces|region|regions|state|states|"
    r"town|towns|area|areas|continent|village|villages|district|districts|island|islands|county|counties|"
    r"nation|nations|location|neighbou?rhoods?"
)
# "What is the population of...": nouns whose value is a number.
_MEASURES = (
    r"population|budget|cost|price|salary|size|area|height|length|width|depth|weight|age|value|revenue|"
    r"income|toll|rate|amount|total|capacity|distance|speed|temperature|turnout|margin|debt|deficit"
)
# Nouns that make "which/what <noun>" a question about a person: an office and its holder.
# Not bot/candidates.py's _OFFICES, which finds offices in a sentence: here no word that is also an
# adjective after "which/what" ("what chief reason", "which general plan", "what official language").
_OFFICE_NOUNS = (
    r"commander|commanders|minister|ministers|leader|leaders|president|presidents|spokesman|spokeswoman|"
    r"governor|governors|mayor|king|kings|queen|emperor|pope|bishop|chancellor|"
    r"senator|senators|officials|ambassador|envoy|director|chairman"
)
_AUX = r"(?:did|do|does|are|were|is|was|have|has|had|will|would|can|could|should|may|might)"
# "What two provincial capitals...?", "Which 3 treaties...?": how many items the question expects,
# between the question word and its noun.
_HOW_MANY = r"(?:two|three|four|five|six|seven|eight|nine|ten|\d+)\s+"
_ITEM_COUNT = re.compile(rf"^\W*(?:in\s+)?(?:which|what)\s+(?P<count>{_HOW_MANY})", re.I)
# "Which ministers...?", "Which Taliban commander...?": a question about an office (its holder,
# or which one); bot/candidates.py answers it with a qualified office where no one is named.
WHICH_OFFICE = re.compile(
    rf"^\W*(?:which|what)\s+(?:(?!{_AUX}\b)[\w’'-]+\s+){{0,2}}?(?:{_OFFICE_NOUNS})\b", re.I
)
_AN_OFFICE = re.compile(rf"^the\s.*\b(?:{_OFFICE_NOUNS}|prime|chief|head|secretary|general|deputy)\b", re.I)
# Expected answer types, checked in order; the first match wins.
_TYPES: list[tuple[str, re.Pattern[str]]] = [
    ("frequency", re.compile(r"\bhow often\b|\bhow frequently\b", re.I)),
    (
        "number",
        re.compile(
            r"\bhow (many|much|far|old|long(?! ago))\b|\bwhat (number|percentage|proportion|amount)\b"
            # "What is the population of Kunduz?", and with its owner first: "What is Kunduz's population?"
            rf"|\bwhat(?:'s|’s|\s+is|\s+was|\s+are|\s+were)\s+(?:the|[\w.-]+(?:'s|’s))\s+(?:[\w’'-]+\s+)?(?:{_MEASURES})\b"
            # Typed as a search: "number of districts in Afghanistan".
            r"|^\W*(?:the\s+)?(?:number|amount|count)\s+of\b",
            re.I,
        ),
    ),
    (
        "date",
        re.compile(
            r"^\W*(?:(?:by|until|till|from|since)\s+)?when\b|\bsince when\b|\bhow long ago\b"
            r"|\bwhat (year|date|day|month|time|decade|century)\b"
            # Typed as a search: "date of the withdrawal", "withdrawal date".
            rf"|^\W*(?:the\s+)?date\s+of\b|^(?!\W*{WH}\b)[^?]*\bdate\W*$",
            re.I,
        ),
    ),
    (
        "place",
        re.compile(
            rf"^\W*where\b|\b(?:in which|in what|which|what) (?:{_HOW_MANY})?(?:\w+ )?(?:{_PLACE_NOUNS})\b"
            # "What is the capital of Afghanistan?": a place, as "which city" is.
            r"|\bwhat(?:'s|’s|\s+is|\s+was|\s+are|\s+were)\s+the\s+(?:\w+\s+)?capitals?\s+of\b",
            re.I,
        ),
    ),
    # "Who is Amruddin Wali?" asks what the named person is: a role, not a name.
    # "Who are the Taliban?": a group named with its article.
    (
        "role",
        re.compile(
            r"^\W*(?i:who)(?:\s+(?:is|was|are|were)|'s|’s)\s+(?:(?i:the)\s+)?(?:[A-Z][\w’'.-]*\s*){1,4}\W*$"
        ),
    ),
    (
        "person",
        re.compile(
            r"^\W*(who|whom|whose)\b|\bwhat is the name\b|\bwhat's the name\b|\bname of the\b"
            # "Which Taliban commander led the assault?": an office asks for its holder.
            rf"|{WHICH_OFFICE.pattern}",
            re.I,
        ),
    ),
    (
        "reason",
        re.compile(r"^\W*why\b|\bfor what reason\b|\bwhat (?:is|was) the reason\b|\bhow come\b", re.I),
    ),
    # "How are the outposts resupplied?": the means or manner ("how many/much/often" were taken above).
    ("means", re.compile(r"^\W*how\s+(?:is|are|was|were|do|does|did|can|could|will|would|has|have)\b", re.I)),
]
# Kinds whose answer is a recognisable thing (a name, a date...): an answer must hold one.
TYPED_KINDS = frozenset({"person", "date", "place", "number", "frequency", "role"})

# "Which provincial capitals...", "What groups make up...", "Name the cities...": a plural
# head noun asks for every item, not one. Not a verb with its object: "Which country supplies the
# Taliban...".
_LIST = re.compile(
    r"^\W*(?:(?:which|what)\s+(?!(?:does|happens|means|seems|goes|comes|remains|makes|looks)\b)"
    rf"(?:{_HOW_MANY})?(?:\w+\s+)?(?P<noun>[a-z]{{3,}}(?<![su]s)s)\s+"
    r"(?!(?:of|the|a|an|its|their|his|her|our|this|these|those)\b)"
    r"|(?:name|list)\s+(?:the|all|every)\b|what\s+(?:are|were)\s+the\s+(?:\w+\s+)?[a-z]{3,}(?<![su]s)s\b)",
    re.I,
)
# Words that shape a question rather than name its subject ("how much", "what is the name").
QUESTION_WORDS = frozenset(
    "much many often name named called kind type sort happen happens happened describe described "
    "mean meaning according article articles report reported get gets got make makes made take takes took "
    "give gives gave go goes went come comes came use used tell told know known want wants wanted "
    "time date".split()
)
# A question that asks about what did not happen; evidence must say so too.
# "with out" is "without" misspelt, as a synonym spinner writes it ("left with out the kind of
# combat support").
NEGATION = re.compile(
    r"\b(?:not|never|no|none|nobody|nothing|without|with\s+out(?![\w-])|neither|nor|cannot)\b|n[’']t\b", re.I
)
# The noun a typed question is about: "how many [elite government] forces did...", "who is the
# [defense ministry] spokesman of...", "what is the [annual] budget of...". An answer must
# speak of it: a number of something else, or a person in another role, does not answer.
_FOCUS = [
    re.compile(rf"^\W*how\s+(?:many|much)\s+((?:[\w’'-]+\s+){{0,3}}?[\w’'-]+)\s+{_AUX}\b", re.I),
    re.compile(r"^\W*how\s+(?:many|much)\s+((?:[\w’'-]+\s+){0,3}?[\w’'-]+)\W*$", re.I),
    re.compile(r"^\W*how\s+many\s+((?:[\w’'-]+\s+){0,3}?(?!us\b)[\w’'-]+(?-i:s))\b", re.I),
    re.compile(
        r"^\W*(?:who|what)(?:'s|’s|\s+is|\s+was|\s+are|\s+were|\s+will\s+be|\s+has\s+been)\s+"
        r"(?:the|a|an|[\w.-]+(?:'s|’s))\s+((?:[\w’'-]+\s+){0,3}?[\w’'-]+?)"
        r"(?:\s+(?:of|in|at|for|from|on|to|who|that)\b|\W*$)",
        re.I,
    ),
    # "What is the name of the Taliban's leader?": the holder named, not "name".
    re.compile(
        r"\bname\s+of\s+(?:the|a|an|its|their|this|that)?\s*(?:[\w’'-]+(?:'s|’s)\s+)?"
        r"((?:[\w’'-]+\s+){0,2}?[\w’'-]+?)(?:\s+(?:of|in|at|for|from|on|to|who|that)\b|\W*$)",
        re.I,
    ),
    # "When was the movement founded?": the event a date question dates (a lower-case participle:
    # "When is Ghani meeting Biden?" dates no "Biden").
    re.compile(
        r"^\W*when\s+(?:was|were|is|are|will\s+be|has\s+been|had\s+been)\s+.+?\s+"
        r"((?-i:[a-z]+(?:ed|en))|built|born|made|held|won|begun|set|shut|led|sold|bought|found|fought|brought|"
        r"sent|spent|lost|paid|struck|run|seen|known|shown|drawn|grown|thrown|flown|signed)\W*$",
        re.I,
    ),
]
_NAME_IN_ROLE = re.compile(r"^\W*(?i:who)(?:\s+(?:is|was|are|were)|'s|’s)\s+(?P<name>.+?)\W*$")

_FOLLOW_UP_START = re.compile(
    r"^\W*(and|also|but|what about|how about|and what|and who|and where|and when)\b", re.I
)
_PRONOUN = re.compile(
    r"\b(it|its|it's|they|them|their|he|him|his|she|her|that|there|this|those|these)\b", re.I
)


def item_count(text: str) -> str:
    """How many items a list question expects ("What two capitals...?" -> "two"): a count of
    answers, not a word that the sentence naming one of them must hold."""
    m = _ITEM_COUNT.match(text)
    return m.group("count").strip().lower() if m and _LIST.search(text) else ""


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # person | role | date | place | number | frequency | reason | means | other
    is_list: bool = False  # asks for every item ("which cities...")
    subject: str = ""  # the name a role question asks about ("Amruddin Wali")
    negated: bool = False  # "which districts were not retaken?"
    focus: str = ""  # what a typed question counts, names the holder of, or dates ("forces", "founded")

    @classmethod
    def parse(cls, text: str) -> Question:
        is_list = bool(_LIST.search(text))
        negated = bool(NEGATION.search(text))
        for kind, pattern in _TYPES:
            if pattern.search(text):
                subject = ""
                if kind == "role":
                    m = _NAME_IN_ROLE.match(text)
                    subject = m.group("name").strip() if m else ""
                    if _AN_OFFICE.search(subject):
                        continue  # "Who is the President?" asks for a name, not a role
                focus = _focus(text, kind) if kind in ("number", "person", "date") else ""
                return cls(text, kind, is_list, subject, negated, focus)
        return cls(text, "other", is_list, negated=negated)

    @property
    def typed(self) -> bool:
        return self.kind in TYPED_KINDS


def _focus(text: str, kind: str) -> str:
    for n, pattern in enumerate(_FOCUS):
        m = pattern.search(text)
        if not m:
            continue
        words = []
        for w in m.group(1).lower().split():
            if w in _PREPOSITIONS:
                break  # "how many votes in total": the noun comes before
            if w not in _NOT_FOCUS:
                words.append(w)
        # The counted noun is usually plural ("how many more troops arrived"); else the last word.
        # Not "US" ("how many US soldiers").
        plural = [w for w in words if n < 3 and len(w) > 3 and w.endswith("s") and not w.endswith("ss")]
        word = plural[0] if plural else (words[-1] if words else "")
        if n == 3 and kind == "number" and not re.fullmatch(_MEASURES, word):
            return ""  # "what is the speed limit set to...": no measure named
        if word == "name":
            continue  # "what is the name of the leader?": the holder comes after
        # No office in particular: "the Faryab official who was quoted" may be its deputy governor.
        generic = ("one", "ones", "person", "people", "man", "woman", "official", "officials")
        return "" if word in generic else word
    return ""


# Words around the counted noun that are not it: "how many votes in total", "how many more".
_NOT_FOCUS = frozenset("total more less fewer exactly approximately roughly about original".split())
_PREPOSITIONS = frozenset("in of for on at to with from by into during".split())


def is_follow_up(text: str) -> bool:
    """'and who is its deputy?' leans on an earlier turn; 'who is the deputy minister?' does not."""
    return bool(_FOLLOW_UP_START.search(text) or _BARE_WH.match(text)) or (
        bool(_PRONOUN.search(text)) and len(text.split()) <= 8
    )


def rewrite_follow_up(text: str, previous: str, answered: tuple[str, str] = ("", "")) -> str | None:
    """A follow-up written out in full from the question before it, when that can be done
    without guessing; None otherwise (then both are searched together). `answered` is what the
    answer before gave, and its kind: ("place", "Takhar"), ("person", "Rohullah Ahmadzai").

    "where?" after "When will Ghani meet Biden?" -> "where will Ghani meet Biden?"; "what did he
    say?" after "Who is Amruddin Wali?" -> "what did Amruddin Wali say?" (one person named before,
    or given by the answer); "what is its capital?" after "Which province neighbors Kunduz?",
    answered with Takhar -> "what is Takhar’s capital?"."""
    bare = _BARE_WH.match(text)
    if bare:
        asked = _LEADING_WH.match(previous)
        if asked:
            return f"{bare['wh'].lower()} {previous[asked.end() :].strip()}"
        # "how many districts have fallen...?" -> "where have districts fallen...?"
        counted = _COUNT_WITH_AUX.match(previous)
        if counted and not re.search(r"\b(?:many|much)\b", bare["wh"], re.I):
            return (
                f"{bare['wh'].lower()} {counted['aux']} {counted['noun']} {counted['rest'].strip()}".strip()
            )
        return None
    other = _AND_NAME.match(text)
    if other:
        # "and Selab?" after "what did Amruddin Wali say?" -> "what did Selab say?": the one name
        # asked about before, swapped for this one.
        before = list(dict.fromkeys(_ANY_NAME.findall(previous)))
        if len(before) != 1:
            return None
        return previous.replace(before[0], other["name"].strip(), 1)
    kind, thing = answered
    people = list(_PERSON_PRONOUN.finditer(text))
    places = list(_PLACE_PRONOUN.finditer(text))
    if len(people) + len(places) != 1:  # none, or "what did he tell her?": not one thing to put back
        return None
    if places:
        if kind != "place" or not thing:
            return None
        m, owner = places[0], places[0].group().lower() == "its"
        name = thing if owner else f"in {thing}"  # "what happened there?" -> "...in Takhar?"
    else:
        role = _NAME_IN_ROLE.match(previous)
        names = (
            [role["name"].strip()]
            if role
            else list(dict.fromkeys(m.group() for m in _FULL_NAME.finditer(previous)))
        )
        if not names and kind == "person" and thing:
            names = [thing]  # "Who is the spokesman?" -> Rohullah Ahmadzai; "what did he say?"
        if len(names) != 1:
            return None
        m, name, owner = people[0], names[0], bool(people[0]["owner"])
    rewritten = f"{text[: m.start()]}{name}{'’s' if owner else ''}{text[m.end() :]}"
    return re.sub(r"^\W*(?:and|also|but|so)\s+", "", rewritten, flags=re.I)


# "where?", "and when?", "how many?": the question before, asked another way.
_BARE_WH = re.compile(
    rf"^\W*(?:(?:and|also|but|so|what about|how about)\s+)?(?P<wh>{WH}(?:\s+(?:many|much|long|often))?)\W*$",
    re.I,
)
# "How many districts have fallen...?": the counted noun, then its auxiliary and the rest.
_COUNT_WITH_AUX = re.compile(
    rf"^\W*how\s+(?:many|much)\s+(?P<noun>(?:[\w’'-]+\s+){{0,3}}?[\w’'-]+)\s+(?P<aux>{_AUX})\b(?P<rest>.*)$",
    re.I,
)
# ...whose wh-word comes right before its verb: "When will...", "Where did...", "Who is...".
_LEADING_WH = re.compile(rf"^\W*(?:when|where|why|how|who|what)\s+(?={_AUX}\b|'s\b|’s\b)", re.I)
_PERSON_PRONOUN = re.compile(
    r"\b(?:(?P<owner>his|her(?=\s+(?!(?:and|or|to|in|on|at|of|for|with|about|from)\b)[a-z]))|he|him|she|her)\b",
    re.I,
)
# "its", and "there" as a place, not as in "is there fighting?" or "there were deaths".
_PLACE_PRONOUN = re.compile(
    r"\bits\b|(?<!\bis\s)(?<!\bare\s)(?<!\bwas\s)(?<!\bwere\s)\bthere\b"
    r"(?!\s+(?:is|are|was|were|be|been|has|have|had|will|would|may|might|must|seems?)\b|’s|'s)",
    re.I,
)
# A person's full name: two or more capitalised words ("Amruddin Wali", "Ashraf Ghani").
# "and Selab?", "what about Maimana?": another name, the same question.
_AND_NAME = re.compile(
    r"^\W*(?i:and|also|what about|how about)\s+(?i:(?:for|in|of|about)\s+)?"
    r"(?P<name>[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){0,3})\W*$"
)
# Any name in a question, one word or more, not its first word ("Kunduz", "Amruddin Wali").
_ANY_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*")
_FULL_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][a-z’'-]+(?:\s+[A-Z][a-z’'-]+)+")
