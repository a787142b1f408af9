"""Hybrid search and the offline answerer on real Chroma (fast fake embedder)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from bot import quote
from bot.candidates import find_candidate
from bot.evidence import Evidence
from bot.extractive import ExtractiveAnswerer
from bot.question import (
    NEGATION,
    BadQuestion,
    Question,
    clean_question,
    core_question,
    is_follow_up,
    rewrite_follow_up,
)
from index.articles import read_article_text
from index.passage import Passage
from index.search import Searcher, term_cosines
from index.store import ChunkStore, open_client
from index.sync import sync_folder
from index.times import time_marks
from tests.conftest import synced, write_news
from tests.fakes import HashEmbedder

STORY = (
    "Harbour council backs ferry link\n\n"
    "The Harbour council voted 9 to 4 on Tuesday to fund a new ferry link to Gull Island. "
    "The project will cost about $12 million over three years.\n\n"
    "Deputy mayor Ruth Adeyemi, who led the campaign, said islanders had waited decades. "
    "Opponents said the money should repair the sea wall first.\n\n"
    "Construction is expected to start in March 2027, the transport office said. "
    "The council also appointed a new harbour master to oversee the work.\n"
)
OTHER = (
    "Library extends opening hours\n\n"
    "The central library will open until 9 p.m. on weekdays from next month. "
    "Librarians said evening visits had doubled since the spring.\n"
)


@pytest.fixture
def answerer(articles: Path, data: Path) -> ExtractiveAnswerer:
    (articles / "ferry.txt").write_text(STORY, encoding="utf-8")
    (articles / "library.txt").write_text(OTHER, encoding="utf-8")
    (articles / "feed.jsonl").write_text(
        json.dumps(
            {"title": "Bakery wins prize", "body": "A bakery on Quay Street won the regional bread prize."}
        )
        + "\n",
        encoding="utf-8",
    )
    sync_folder(articles, open_client(data, write=True), HashEmbedder(), max_bytes=5_000_000)
    store = ChunkStore(open_client(data), HashEmbedder.name, HashEmbedder.dim, create=False)
    return ExtractiveAnswerer(Searcher(store, HashEmbedder()))


def test_search_returns_passages_that_slice_from_their_files(
    answerer: ExtractiveAnswerer, articles: Path
) -> None:
    passages = answerer.searcher.search("ferry link cost", 5)
    assert passages and passages[0].article == "ferry.txt"
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    for p in passages:
        if p.offset_base == "file":
            assert read_article_text(articles / p.path)[p.start : p.end] == p.text


def test_bm25_side_follows_a_sync_without_restart(
    answerer: ExtractiveAnswerer, articles: Path, data: Path
) -> None:
    assert not any(p.article == "zoo.txt" for p in answerer.searcher.search("zebra enclosure", 3))
    (articles / "zoo.txt").write_text("Zoo opens zebra enclosure\n\nThe zoo opened a zebra enclosure.\n")
    sync_folder(articles, open_client(data, write=True), HashEmbedder(), max_bytes=5_000_000)
    assert answerer.searcher.search("zebra enclosure", 3)[0].article == "zoo.txt"
    (articles / "zoo.txt").unlink()
    sync_folder(articles, open_client(data, write=True), HashEmbedder(), max_bytes=5_000_000)
    assert not any(p.article == "zoo.txt" for p in answerer.searcher.search("zebra enclosure", 3))


@pytest.mark.parametrize(
    ("question", "expected", "bold"),
    [
        ("How much will the ferry project cost?", "$12 million", "$12 million"),
        ("Who led the ferry campaign?", "Ruth Adeyemi", "Ruth Adeyemi"),
        ("When is construction expected to start?", "March 2027", "March 2027"),
        ("Until what time will the library open?", "9 p.m.", None),
        ("What prize did the bakery win?", "regional bread prize", None),
    ],
)
def test_answers_quote_the_sentence_and_cite_it(
    answerer: ExtractiveAnswerer, question: str, expected: str, bold: str | None
) -> None:
    answer = answerer.answer(question)
    assert answer.found, answer.text
    assert expected in answer.text
    assert "[1]" in answer.text and answer.citations[0].n == 1
    assert all(f"[{c.n}]" in answer.text for c in answer.citations)
    quoted = answer.text.split("“", 1)[1].split("”", 1)[0]
    assert quoted in answer.citations[0].text, "the quote is verbatim from the cited passage"
    if bold is not None:
        assert answer.text[slice(*answer.highlights[0])] == bold


@pytest.mark.parametrize(
    "question",
    [
        "Who is the police chief of Harbour?",
        "What is the population of Gull Island?",
        "What is the name of the new harbour master?",  # the appointment is there, the name is not
        "How many ferries does the island own?",
    ],
)
def test_questions_the_articles_do_not_answer_are_refused(
    answerer: ExtractiveAnswerer, question: str
) -> None:
    answer = answerer.answer(question)
    assert not answer.found, answer.text
    assert answer.text == "I couldn't find that in the indexed articles."
    assert answer.citations == [] and answer.closest is not None


def test_follow_up_uses_the_conversation(answerer: ExtractiveAnswerer) -> None:
    first = answerer.answer("Who led the ferry campaign?")
    follow = answerer.answer("and what did opponents want?", [first])
    assert follow.found and "sea wall" in follow.text
    assert "ferry" in follow.standalone


def test_a_question_for_what_is_lacking_matches_without_however_spelt() -> None:
    assert Question.parse("What will Afghan troops be left without?").negated
    # The spun seed's "left with out the kind of combat support" says it; "with out-of-town
    # visitors" does not.
    assert NEGATION.search("Afghan troops shall be left with out the form of fight assist.")
    assert not NEGATION.search("The city filled with out-of-town visitors.")
    assert not NEGATION.search("They went with outside help.")


def test_bad_questions_are_named() -> None:
    with pytest.raises(BadQuestion, match="empty"):
        clean_question(" \t\n ")
    with pytest.raises(BadQuestion, match="limit is 2,000"):
        clean_question("why " * 600)
    assert clean_question("who\x00 won\x1b the\x07 vote?") == "who won the vote?"


def test_question_types_and_follow_ups() -> None:
    assert Question.parse("How many districts fell?").kind == "number"
    assert Question.parse("When did it start?").kind == "date"
    assert Question.parse("By when will the war end?").kind == "date"
    assert Question.parse("Until when is the road closed?").kind == "date"
    assert Question.parse("In which part of the country is Helmand?").kind == "place"
    assert Question.parse("Who is the president?").kind == "person"
    assert Question.parse("What is the name of the new minister?").kind == "person"
    assert Question.parse("What did the council decide?").kind == "other"
    # "Which <office>" asks for its holder; "what is the president's job?" and "what did the
    # spokesman say?" do not.
    assert Question.parse("Which Taliban commander led the assault on Kunduz?").kind == "person"
    assert Question.parse("What president signed the act?").kind == "person"
    assert Question.parse("What is the president's job?").kind == "other"
    assert Question.parse("What did the spokesman say?").kind == "other"
    assert Question.parse("Which provincial capitals did the Taliban enter?").is_list
    assert not Question.parse("Which country supplies the Taliban with weapons?").is_list  # a verb
    # "What does/happens ..." asks what something does or means, not for several things.
    assert not Question.parse("What does the current situation mean for government forces?").is_list
    assert not Question.parse("What happens to the lead plugs if the water drops?").is_list
    assert Question.parse("What towns did the Taliban enter?").is_list
    assert Question.parse("When was the movement founded?").focus == "founded"
    assert Question.parse("How many US soldiers remain?").focus == "soldiers"  # not "US"
    # The holder a name is asked of: its answer must speak of a leader, not name anyone.
    assert Question.parse("What is the name of the Taliban's leader?").focus == "leader"
    assert Question.parse("What is the name of the new interior minister?").focus == "minister"
    # Typed as a search, not as a question.
    assert Question.parse("U.S. withdrawal date").kind == "date"
    assert Question.parse("number of districts in Afghanistan").kind == "number"
    assert Question.parse("Who set the date?").kind == "person"
    assert Question.parse("how many us soldiers remain").focus == "soldiers"
    assert Question.parse("How many Huguenots emigrated?").focus == "huguenots"
    assert Question.parse("When is President Ghani meeting Biden?").focus == ""  # a name, not an event
    assert is_follow_up("and who is its deputy?") and not is_follow_up(
        "Who is the deputy defence minister now?"
    )
    assert is_follow_up("where?") and is_follow_up("and when?")


@pytest.mark.parametrize(
    ("follow_up", "before", "written_out"),
    [
        ("where?", "When will Ghani meet Biden?", "where will Ghani meet Biden?"),
        ("and how many?", "When did the Taliban enter Kunduz?", "how many did the Taliban enter Kunduz?"),
        ("what did he say?", "Who is Amruddin Wali?", "what did Amruddin Wali say?"),
        ("and what is his job?", "What did Amruddin Wali say?", "what is Amruddin Wali’s job?"),
        ("who is her deputy?", "When did Jane Smith resign?", "who is Jane Smith’s deputy?"),
        # The answer before gave the place or the person the pronoun stands for.
        ("what is its capital?", "Which province neighbors Kunduz?", "what is Takhar’s capital?"),
        ("what happened there?", "Which province neighbors Kunduz?", "what happened in Takhar?"),
        ("and is there fighting?", "Which province neighbors Kunduz?", None),  # "there" points nowhere
        ("what did he say next?", "Who announced the end of the war?", "what did Biden say next?"),
        # A count asked before: its noun and auxiliary put in question order.
        ("where?", "How many districts have fallen this week?", "where have districts fallen this week?"),
        ("where?", "How many districts fell?", None),  # no auxiliary to move
        # Another name, the same question: the one name asked about before is swapped for it.
        ("and Selab?", "what did Amruddin Wali say?", "what did Selab say?"),
        (
            "And in Maimana?",
            "Who is the deputy governor of Kunduz?",
            "Who is the deputy governor of Maimana?",
        ),
        ("what about Selab?", "Who is Amruddin Wali?", "Who is Selab?"),
        ("and Maimana?", "When will Ghani meet Biden?", None),  # two names: which one?
        ("and Selab?", "Who is the defense spokesman?", None),  # none to swap
        # Not without guessing: two people named before, two pronouns, no wh-word to swap.
        ("what did he say?", "When will Ghani meet Biden?", None),
        ("what did he tell her?", "Who is Amruddin Wali?", None),
        ("where?", "Which province neighbors Kunduz?", None),
        ("and the budget?", "Who is Amruddin Wali?", None),
    ],
)
def test_a_follow_up_is_written_out_from_the_question_before(
    follow_up: str, before: str, written_out: str | None
) -> None:
    answered = {"Which province": ("place", "Takhar"), "Who announced": ("person", "Biden")}
    given = next((v for k, v in answered.items() if before.startswith(k)), ("", ""))
    assert rewrite_follow_up(follow_up, before, given) == written_out
    if given != ("", "") and written_out:  # without the answer's mark (a log keeps none), no rewrite
        assert rewrite_follow_up(follow_up, before) is None


@pytest.mark.parametrize(
    ("typed", "core"),
    [
        ("Can you tell me who the defense ministry spokesman is?", "who is the defense ministry spokesman?"),
        ("Hi, please, who is Amruddin Wali?", "who is Amruddin Wali?"),
        ("I'd like to know: by when will the war end?", "by when will the war end?"),
        ("Do you know what the population of Kunduz is", "what is the population of Kunduz"),
        ("According to the articles, how many districts fell?", "how many districts fell?"),
        ("Why was air support reduced, thanks!", "Why was air support reduced"),
        ("Who is the mayor of Kabul, please?", "Who is the mayor of Kabul?"),
        ("whats the population of kunduz", "what's the population of kunduz"),
        ("Any idea who Sebghatullah Selab is?", "who is Sebghatullah Selab?"),
        ("Could you find out when the withdrawal began?", "when the withdrawal began?"),
        ("hey, whos amruddin wali", "who's amruddin wali"),
        ("hey bot, who is Amruddin Wali?", "who is Amruddin Wali?"),  # a greeting with its addressee
        ("Good morning team! When did it begin?", "When did it begin?"),
        # Addressed by handle, as in a chat (Slack's own <@U123> mentions are cut by the gate).
        ("@newsbot Who is Amruddin Wali?", "Who is Amruddin Wali?"),
        ("@newsbot, when did it begin?", "when did it begin?"),
        ("I was wondering when the withdrawal began.", "when the withdrawal began."),
        # Typed in capitals: read in lower case, as every word would otherwise be a name.
        ("WHO IS AMRUDDIN WALI?", "who is amruddin wali?"),
        ("What does the article say about who Amruddin Wali is?", "who is Amruddin Wali?"),
        ("I wonder why air support was reduced.", "why was air support reduced."),
        # A lead-in set off by a colon, dash or full stop; kept when the question points back into it.
        ("Question about the Kunduz story: who is Amruddin Wali?", "who is Amruddin Wali?"),
        ("One more thing - when did the withdrawal begin?", "when did the withdrawal begin?"),
        ("U.S. forces: when did they leave?", "U.S. forces: when did they leave?"),
        ("Also - what did the Taliban do once they got in?", "what did the Taliban do once they got in?"),
        ("one more thing - who is the interior minister", "who is the interior minister"),
        ("One more thing - how many districts are there?", "how many districts are there?"),
        ("In 2015, who led the city?", "In 2015, who led the city?"),
        # A named person's job is asked as the role question.
        ("What's Amruddin Wali's job?", "who is Amruddin Wali?"),
        ("Which office did Ghani hold?", "who was Ghani?"),
        ("What is the president's job?", "What is the president's job?"),  # no name: left as typed
        # The source after the question, where the question's kind is read from its first word.
        ("According to the NYT, when did it begin?", "when did it begin (according to the NYT)?"),
        ("Hey Siri what is the time", "Siri what is the time"),  # no comma: no addressee to drop
        # Left as typed: nothing around a question, or no question inside.
        ("Who is the defense ministry spokesman?", "Who is the defense ministry spokesman?"),
        ("Tell me about Kunduz", "Tell me about Kunduz"),
        ("May members vote as they please?", "May members vote as they please?"),  # the verb
        ("What did the so-called council decide?", "What did the so-called council decide?"),
        ("please", "please"),
    ],
)
def test_the_question_inside_a_chat_request_is_what_is_asked(typed: str, core: str) -> None:
    assert core_question(typed) == core


def span_of(sentence: str, found: tuple[int, int] | None) -> str | None:
    return sentence[found[0] : found[1]] if found else None


def test_a_count_given_without_a_figure_answers_how_many() -> None:
    asked = "How many districts have been retaken?"
    for sentence, count in (
        ("Only a small number of districts have been retaken by government forces.", "a small number"),
        ("Only a handful of districts had changed hands.", "a handful"),
        ("Scores of districts fell.", "Scores of"),
    ):
        assert span_of(sentence, find_candidate(sentence, asked, "number")) == count
    # ...but not a share of a group named before, nor a time.
    warlords = "The militias answer to power brokers, a few of whom are warlords."
    assert find_candidate(warlords, "How many troops are still there?", "number") is None
    assert find_candidate("They left after a few days.", "How many troops left?", "number") is None


def test_answer_candidates_skip_what_the_question_already_says() -> None:
    sentence = "President Ashraf Ghani met Gen. Miller in Kabul on May 1."

    def span(question: str, kind: str) -> str | None:
        found = find_candidate(sentence, question, kind)
        return sentence[found[0] : found[1]] if found else None

    assert span("Who is the president?", "person") == "Ashraf Ghani"
    assert span("Who met Ashraf Ghani?", "person") == "Miller"
    assert span("When did they meet?", "date") == "May 1"
    assert span("Where did they meet?", "place") == "Kabul"
    assert find_candidate("The council met.", "Who met?", "person") is None
    # Capitalised only because it starts the sentence: not part of the name.
    spokesman = "However Rohullah Ahmadzai, a ministry spokesman, said so."
    found = find_candidate(spokesman, "Who is the ministry spokesman?", "person")
    assert found is not None and spokesman[found[0] : found[1]] == "Rohullah Ahmadzai"
    # A month after "in" is a time, not a place: the spinner's "In Could," (May) neither.
    lashkar = "In Could, Taliban forces entered Lashkar Gah, the capital of Helmand."
    found = find_candidate(lashkar, "Which capitals did the Taliban enter?", "place")
    assert found is not None and lashkar[found[0] : found[1]] == "Lashkar Gah"
    # Of several names, the one where the question's words sit.
    taliqan = "Fighting close to the gate of Taliqan, capital of Takhar, a province that neighbors Kunduz."
    near = [taliqan.index("province"), taliqan.index("neighbors")]
    found = find_candidate(taliqan, "Which province neighbors Kunduz?", "place", anchors=near)
    assert span_of(taliqan, found) == "Takhar"
    # "on the White House" is where they meet; "On Friday" is when.
    meeting = "On Friday, Afghanistan’s president is to meet President Biden on the White House."
    assert span_of(meeting, find_candidate(meeting, "Where will they meet?", "place")) == "the White House"
    found = find_candidate("In May, they entered Kunduz.", "Where did they go?", "place")
    assert found is not None and found[0] == len("In May, they entered ")
    # A name written before a day is the name alone: "told Al Jazeera Saturday".
    told = "The spokesman told Al Jazeera Saturday that the plan works."
    assert span_of(told, find_candidate(told, "Which channel did he talk to?", "person")) == "Al Jazeera"
    lead = "The Taliban entered two capitals in northern Afghanistan Sunday, officials said."
    assert span_of(lead, find_candidate(lead, "Which country is it?", "place")) == "Afghanistan"
    # "Who commands the Taliban?" asks for a holder's name: a people's adjective is none.
    pushed = "They were pushed back by American airstrikes."
    assert find_candidate(pushed, "Who commands the Taliban in Kunduz?", "person") is None
    assert span_of(pushed, find_candidate(pushed, "Who pushed them back?", "person")) == "American"
    # No name: an office answers a who-question that asks for no holder's name.
    appointed = "On Saturday, the authorities appointed a new acting minister of defense and an army chief."
    found = find_candidate(appointed, "Who did the government appoint on Saturday?", "person")
    assert found is not None and appointed[found[0] : found[1]] == "a new acting minister of defense"
    for asks_a_name in (
        "Who is the police chief?",
        "Who leads the army?",
        "What is the name of the minister?",
    ):
        assert find_candidate(appointed, asks_a_name, "person") is None
    # "Which ministers...?" asks which office, answered by one qualified in other words than the
    # question's; never by the office the question itself names.
    found = find_candidate(appointed, "Which ministers did the government appoint on Saturday?", "person")
    assert span_of(appointed, found) == "a new acting minister of defense"
    commander = "On Sunday a Taliban commander led the assault."
    assert find_candidate(commander, "Which Taliban commander led the assault?", "person") is None
    assert find_candidate("A new minister was appointed.", "Which minister was appointed?", "person") is None
    # "Who appointed a minister?" asks who did it: the clause's end before the question's verb.
    by = "On Saturday, in a sign of trouble, the Afghan authorities appointed a new minister of defense."
    assert span_of(by, find_candidate(by, "Who appointed a new interior minister?", "person")) == (
        "the Afghan authorities"
    )
    assert find_candidate(by, "Who is the new interior minister?", "person") is None  # a name is asked
    # "Who said...?" asks for the speaker, never a name inside the quotation.
    quoted = "“The Taliban have appeared in Kunduz, and there is panic,” said Amruddin Wali."
    assert span_of(quoted, find_candidate(quoted, "Who said there is panic?", "person")) == "Amruddin Wali"
    assert find_candidate(quoted[: quoted.index("”") + 1], "who said there is panic", "person") is None
    assert span_of(quoted, find_candidate(quoted, "Who has appeared in Kunduz?", "person")) == "Taliban"
    # An institution is no one: "The Ministry of Defence" does not name the minister.
    ministry = "The Ministry of Defence said it acts properly."
    assert find_candidate(ministry, "What is the name of the new defense minister?", "person") is None
    assert span_of(ministry, find_candidate(ministry, "Who said it acts properly?", "person")) == (
        "Ministry of Defence"
    )
    # A holder's name is not the name of what is held: "Scotland's Army" has no chief's name.
    army = "On Monday, Scotland's Army met."
    assert find_candidate(army, "Who is the new army chief?", "person") is None
    assert span_of(army, find_candidate(army, "Who met?", "person")) == "Scotland's Army"
    # ...nor the name before the office: "a Pentagon spokesman" is not the spokesman's name.
    pentagon = "About 900,000 staff are affected, according to a Pentagon spokesman."
    assert find_candidate(pentagon, "Who is the defense ministry spokesman?", "person") is None
    chiefs = "Military chiefs are expected to meet on Monday."
    assert find_candidate(chiefs, "Who is the new army chief?", "person") is None
    # No name and no office: a group of people, the one where the question's words sit.
    besieged = "Even with militia forces nearby, government troops are often besieged in outposts."
    found = find_candidate(
        besieged, "Who is besieged in outposts?", "person", anchors=[besieged.index("besieged")]
    )
    assert span_of(besieged, found) == "government troops"
    assert find_candidate(besieged, "Who leads the government troops?", "person") is None  # a holder's name
    left = "The town was left to dozens of troops."
    assert span_of(left, find_candidate(left, "Who held the town?", "person")) == "troops"  # not "of troops"
    # "Who was killed?" asks who it was done to: after the verb, not the one who did it.
    battle = "In one battle, the Taliban killed more than 20 of the government’s most elite forces."
    assert span_of(battle, find_candidate(battle, "who was killed in maimana", "person")) == "elite forces"
    assert span_of(battle, find_candidate(battle, "Who killed the elite forces?", "person")) == "Taliban"
    assert (
        span_of(battle, find_candidate(battle, "Who was killed by the Taliban?", "person")) == "elite forces"
    )
    said_so = "Three soldiers were killed near the base, said Ahmad Khan."
    assert span_of(said_so, find_candidate(said_so, "Who was killed?", "person")) == "soldiers"
    # A place is no one: not "Faryab Province", not the town after "west of".
    west = "To the west of Kunduz in Maimana, the capital of Faryab Province, fighters appeared."
    assert span_of(west, find_candidate(west, "Who appeared?", "person")) == "fighters"
    # A capitalised stopword is never a name on its own ("About 900,000 staff...").
    assert find_candidate("About 900,000 staff are affected.", "Who is affected?", "person") is None
    assert find_candidate("Under the plan, staff are affected.", "Who is affected?", "person") is None
    # A day of a month is no count, and a number ends before the comma or full stop after it.
    since = "Since Could 1, when U.S. forces began to leave, they held Kabul by Sept 11."
    assert find_candidate(since, "How many soldiers remain?", "number") is None
    # ...nor is a year after a word of time, even right after the noun counted.
    taken = "Kunduz was taken by the Taliban in 2015 and 2016 before airstrikes pushed them back."
    at = [taken.index("Taliban")]
    assert find_candidate(taken, "How many Taliban were killed in 2016?", "number", counted=at) is None
    arrived = "In 1685 about 2000 Huguenots arrived."
    found = find_candidate(arrived, "How many Huguenots arrived?", "number", counted=[arrived.index("Hug")])
    assert span_of(arrived, found) == "2000"
    presidents = "Its alumni include eight U.S. presidents."  # an abbreviation's dots end no clause
    found = find_candidate(
        presidents, "How many presidents?", "number", counted=[presidents.index("presidents")]
    )
    assert found is not None and presidents[found[0] : found[1]] == "eight"
    # "How long did it go on?" is answered by when it ended as well as by a number of days.
    clashed = "The Taliban clashed with security forces into Sunday night, officials said."
    assert span_of(clashed, find_candidate(clashed, "How long did the fighting go on?", "number")) == (
        "into Sunday night"
    )
    assert find_candidate(clashed, "How many forces clashed?", "number") is None
    cost = "It cost 1,200, more than the 950."
    found = find_candidate(cost, "How much did it cost?", "number")
    assert found is not None and cost[found[0] : found[1]] == "1,200"


def test_who_did_it_is_the_subject_of_the_questions_verb() -> None:
    ask = "Who pushed the Taliban out of Lashkar Gah?"
    # Not the Taliban's own forces, nor the spinner's month ("In Could," is May), nor the place.
    entered = "In Could, Taliban forces entered Lashkar Gah, the capital of Helmand Province."
    assert find_candidate(entered, ask, "person") is None
    # The name or group before the verb, not the one it was done to...
    pushed = "Afghan forces and U.S. airstrikes managed to push the insurgents back."
    assert span_of(pushed, find_candidate(pushed, ask, "person")) == "Afghan forces"
    troops = "Then government troops pushed the insurgents back."
    assert span_of(troops, find_candidate(troops, ask, "person")) == "government troops"
    # ...and said passively, the one after "by".
    taken = "Kunduz was taken by the Taliban before they were pushed back by American airstrikes."
    assert span_of(taken, find_candidate(taken, ask, "person")) == "American"
    # A question that is not about a deed keeps the nearest name.
    fighting = find_candidate(pushed, "Who is fighting in Afghanistan?", "person")
    assert span_of(pushed, fighting) == "Afghan forces"


def test_the_times_a_sentence_is_pinned_to() -> None:
    assert time_marks("Kunduz was taken in 2015 and 2016.") == {"2015", "2016"}
    assert time_marks("Which city did they enter in May?") == {"may"}
    assert time_marks("There may be panic.") == set()  # the verb
    # A spinner's "May" -> "Could": a capitalised modal after a word of time is the month.
    assert time_marks("In Could, Taliban forces entered Lashkar Gah.") == {"may"}
    assert time_marks("Since Could 1, when U.S. forces started") == {"may"}
    assert time_marks("He said they could enter in time.") == set()
    # Typed in lower case: the month after a word of time, the verb anywhere else.
    assert time_marks("which city did they enter in may?") == {"may"}
    assert time_marks("what happened since march 3") == {"march"}
    assert time_marks("in may we will see") == set()
    assert time_marks("they may march in protest") == set()


def test_a_sentence_without_a_date_is_pinned_to_its_passages_times(
    articles: Path, data: Path, hash_embedder: HashEmbedder
) -> None:
    # "...pushed them back" says no time, but its passage is about 2015: not the May the question asks.
    write_news(articles, "old.txt", "Kunduz", "Rebels took Kunduz city in 2015. Airstrikes pushed them.")
    write_news(articles, "may.txt", "Helmand", "In May, rebels entered Lashkar Gah. Airstrikes pushed them.")
    write_news(articles, "none.txt", "Faryab", "Rebels reached Maimana. Airstrikes pushed them.")
    index = synced(articles, data, hash_embedder)
    answerer = ExtractiveAnswerer(index.searcher())
    question = "Which city did airstrikes defend in May?"
    analysis = answerer.analyze(question, question, answerer.searcher.search(question, 3))
    pushed = {ev.passage.article: ev.features for ev in analysis.evidence if "pushed" in ev.text}
    assert pushed["old.txt"]["time_conflict"] == 0.0 and pushed["old.txt"]["passage_time_conflict"] == 1.0
    assert pushed["may.txt"]["passage_time_conflict"] == 0.0
    assert pushed["none.txt"]["passage_time_conflict"] == 0.0  # a passage with no time conflicts with none


def test_a_number_counts_a_noun_that_starts_like_a_preposition() -> None:
    # "forces" begins with "for": the noun's own letters are not a preposition between the two.
    sentence = "The rebels killed more than 20 of the government’s most elite forces."
    forces = sentence.index("forces") + 3  # anchors sit mid-word
    found = find_candidate(sentence, "How many elite forces did they kill?", "number", counted=[forces])
    assert found is not None and sentence[found[0] : found[1]] == "20"
    # ...while a real preposition between them still breaks the count.
    ferry = "They voted 9 to 4 to fund a ferry."
    assert find_candidate(ferry, "How many ferries?", "number", counted=[ferry.index("ferry") + 2]) is None


def test_proximity_counts_question_phrases_kept_together() -> None:
    from bot.evidence import _proximity
    from index.search import QueryTerm

    terms = [
        QueryTerm("kunduz", "kunduz", 2.0, True, True, (0, 6)),
        QueryTerm("citi", "city", 3.0, True, False, (7, 11)),
    ]
    # "Kunduz metropolis": "city" found as its nearest word, right after the name.
    kept = ["kunduz", "metropoli", "capit", "provinc"]
    near = np.array([[0.1, 0.2, 0.1, 0.1], [0.1, 0.6, 0.2, 0.1]], dtype=np.float32)
    assert _proximity(terms, np.array([1.0, 1.0]), kept, near) == 1.0
    # "To the west of Kunduz in Maimana, ... the metropolis": both words there, far apart.
    scattered = ["west", "kunduz", "maimana", "capit", "faryab", "provinc", "taliban", "metropoli"]
    near = np.zeros((2, len(scattered)), dtype=np.float32)
    near[1, 7] = 0.6
    assert _proximity(terms, np.array([1.0, 1.0]), scattered, near) == 0.0


def test_what_is_asked_of_a_name_is_covered_apart_from_the_name() -> None:
    # "What is the weather like in Kabul?" among many articles: the rare name outweighs "weather",
    # so the passage that names Kabul covers most of the question's weight and none of what it asks.
    from bot.answerability import question_features
    from bot.evidence import Evidence
    from index.passage import Passage
    from index.search import QueryTerm

    text = "KABUL, Afghanistan - The Taliban entered two provincial capitals."
    passage = Passage("c1", "a.txt", "Title", "", "", text, 0, len(text), 1.0)
    weather = QueryTerm("weather", "weather", 7.0, True, False, (12, 19))
    kabul = QueryTerm("kabul", "kabul", 9.3, True, True, (28, 33))
    signals = {"cos": 0.5, "soft": 0.6, "lexical": 0.5, "missing": 0.4, "lacks_candidate": 0.0}
    signals |= {"polarity_mismatch": 0.0, "names_missing": 0.0, "numbers_missing": 0.0}

    def evidence(matches: list[float]) -> Evidence:
        return Evidence(passage, 0, 0, 0, len(text), None, np.array(matches, dtype=np.float32), signals, 0.3)

    asked = evidence([0.03, 1.0])
    features = question_features([weather, kabul], [asked], asked)
    assert features["passage_coverage"] > 0.5 and features["passage_content_coverage"] < 0.05
    # "Who is Sebghatullah Selab?" asks nothing but the name: nothing else to cover.
    named = evidence([1.0])
    assert question_features([kabul], [named], named)["passage_content_coverage"] == 1.0


def test_a_question_with_nothing_to_search_for_gets_no_closest_match(answerer: ExtractiveAnswerer) -> None:
    # A refusal's "closest match" was any passage for "?" or a first "what about it?".
    for question in ("?", "What about it?", "🙂🙂"):
        answer = answerer.answer(question)
        assert not answer.found and answer.closest is None, question
    assert answerer.answer("How many ferries does the island own?").closest is not None


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("thanks!", "thanks"),
        ("Thank you so much 🙏", "thanks"),
        ("ok, thanks", "thanks"),
        ("great thx bot", "thanks"),
        ("got it", "thanks"),
        ("hi", "greeting"),
        ("Good morning team!", "greeting"),
        ("@newsbot hello", "greeting"),
        ("help", "help"),
        ("What can you do?", "help"),
        ("thanks, bye!", "bye"),
        ("see you later", "bye"),
        ("Goodbye", "bye"),
        ("Who is Amruddin Wali?", None),
        ("thanks, who is Amruddin Wali?", None),  # a question after the thanks
        ("Great Britain", None),
        ("thanks to whom did the Taliban retreat?", None),
        ("help with what?", None),
    ],
)
def test_small_talk_is_told_from_questions(message: str, kind: str | None) -> None:
    from bot.small_talk import small_talk

    assert small_talk(message) == kind


def test_small_talk_gets_its_own_reply_and_questions_after_it_are_read_as_questions(
    answerer: ExtractiveAnswerer,
) -> None:
    asked = answerer.answer("Who led the ferry campaign?")
    thanks = answerer.answer("thanks!", history=[asked])
    assert thanks.text.startswith("Glad to help") and thanks.mode == "small_talk"
    assert not thanks.found and thanks.citations == [] and thanks.closest is None
    assert thanks.standalone == asked.standalone  # the conversation's last question stays the one followed
    assert answerer.answer("help").text.startswith("Ask a question about the indexed articles")
    # "Thanks, who...?" is the question, its kind read from "who".
    assert core_question("Thanks, who led the ferry campaign?") == "who led the ferry campaign?"
    assert answerer.answer("Thanks, who led the ferry campaign?").found


def test_slack_markup_in_questions_is_reduced_to_words() -> None:
    assert clean_question("<!channel> <@U123|ann> who won?") == "who won?"
    assert clean_question("see <https://e.org/a|the report> in <#C1|general>") == "see the report in general"
    assert clean_question("is <https://e.org/a> right?") == "is https://e.org/a right?"
    assert clean_question("is a < b and c > d?") == "is a < b and c > d?"  # not markup: left alone


def test_analyzer_joins_word_forms_a_stemmer_alone_splits() -> None:
    from index.search import Analyzer

    terms = Analyzer().terms
    assert terms("buses") == terms("bus")  # Snowball alone: "buse" / "bus"
    assert terms("fled") == terms("flee") and terms("built") == terms("build")  # irregular forms
    assert terms("Hervé") == terms("Herve")  # accents folded
    assert terms("US") == ["us"]  # a lemma that is a stopword ("we") keeps the word
    # Dotted abbreviations are words too (their single letters were dropped): "U.S." is "US".
    assert terms("the U.S. and the U.N.") == terms("the US and the UN") == ["us", "un"]
    # The order of two events is no topic: "after reaching" is answered by "seized ... before dispersing".
    assert terms("after reaching the entrance") == terms("reaching the entrance before")
    assert terms("not against") == ["not", "against"]  # negations stay
    # "American airstrikes" are the article's "U.S. airstrikes"; "British" is "UK".
    assert terms("American Americans America USA") == terms("U.S.") * 4
    assert terms("British Britain Britons") == terms("UK") * 3
    assert terms("Afghan") != terms("Afghanistan")  # "the Afghan army" is not "war in Afghanistan"


def test_a_dotted_abbreviation_in_a_question_is_a_name_it_must_match(answerer: ExtractiveAnswerer) -> None:
    terms = answerer.searcher.question_terms("By when will the U.S. war end?")
    us = next(t for t in terms if t.word == "us")
    assert us.name and (us.span[0], us.span[1]) == (17, 21)  # "U.S." in the question, for its tokens


def test_question_words_the_corpus_spells_differently_still_match(answerer: ExtractiveAnswerer) -> None:
    lexical = answerer.searcher.lexical()
    assert lexical.resolve("councel") == "council"  # a one-letter slip
    assert lexical.resolve("zeppelin") == "zeppelin"  # nothing close: stays unseen
    assert lexical.resolve("mayor") == "mayor"  # too short to guess at ("major")
    answer = answerer.answer("Who led the ferry campagin?")
    assert answer.found and "Ruth Adeyemi" in answer.text


def test_how_often_quotes_the_sentence_that_holds_a_frequency(articles: Path, data: Path) -> None:
    (articles / "bus.txt").write_text(
        "Night buses approved\n\nThe council voted 7 to 2 to run night buses on three routes. "
        "The night buses will run every 30 minutes between midnight and 5 a.m.\n",
        encoding="utf-8",
    )
    sync_folder(articles, open_client(data, write=True), HashEmbedder(), max_bytes=5_000_000)
    store = ChunkStore(open_client(data), HashEmbedder.name, HashEmbedder.dim, create=False)
    answer = ExtractiveAnswerer(Searcher(store, HashEmbedder())).answer("How often will the night bus run?")
    assert answer.found and "every 30 minutes" in answer.text, answer.text
    assert answer.text[slice(*answer.highlights[0])] == "every 30 minutes"
    assert "voted 7 to 2" not in answer.text


def test_candidates_for_old_years_centuries_and_names_with_particles() -> None:
    def span(sentence: str, question: str, kind: str) -> str | None:
        found = find_candidate(sentence, question, kind)
        return sentence[found[0] : found[1]] if found else None

    assert span("In 1066, Duke William conquered England.", "When was the conquest?", "date") == "In 1066"
    centuries = "They settled there in the 10th and 11th centuries."
    assert span(centuries, "When?", "date") == "10th and 11th centuries"
    named = "Edward made Robert of Jumièges archbishop."
    assert span(named, "Who did Edward make archbishop?", "person") == "Robert of Jumièges"
    assert span("Sweden rationed heating gas.", "Which country rationed gas?", "place") == "Sweden"
    # A place already named in the question is no answer.
    assert span("Sweden rationed heating gas.", "Did Sweden ration gas?", "place") is None
    assert Question.parse("How often do the buses run?").kind == "frequency"
    assert Question.parse("How long will the review take?").kind == "number"
    assert Question.parse("How long ago did it start?").kind == "date"


class SynonymEmbedder(HashEmbedder):
    """The hashed bag of words, after mapping synonyms to one word: meaning the words don't share."""

    name = "fake-synonym-64"
    SAME: ClassVar[dict[str, str]] = {
        "automobile": "car",
        "factory": "plant",
        "close": "shut",
        "closed": "shut",
    }

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        canon = [" ".join(self.SAME.get(w.lower(), w.lower()) for w in t.split()) for t in texts]
        return super().embed(canon)


class SynonymWordsEmbedder(SynonymEmbedder):
    """...whose word vectors know the synonyms too (MiniLM's word embeddings stand in for this)."""

    def word_vectors(self, words: Sequence[str]) -> np.ndarray:
        return super().word_vectors([self.SAME.get(w.lower(), w.lower()) for w in words])


def test_soft_coverage_ranks_a_chunk_that_says_every_question_word_in_other_words(
    articles: Path, data: Path
) -> None:
    question = "When did the automobile factory close?"
    write_news(articles, "answer.txt", "Gates shut", "The car plant shut its gates in March.")
    write_news(articles, "strong.txt", "Show", "Automobile factory close: automobile factory close.")
    write_news(articles, "one.txt", "Library", "The library will close early on Sundays, the council said.")
    write_news(articles, "two.txt", "Jobs", "A new factory opened downtown, the mayor said.")
    index = synced(articles, data, SynonymWordsEmbedder())
    store, embedder = index.searcher().store, index.searcher().embedder
    # BM25 alone (no dense side): the chunks with one exact word outrank the one that says all
    # three in other words, unless soft coverage counts.
    soft = Searcher(store, embedder, bm25_weight=1.0, soft_weight=0.4)
    assert [p.article for p in soft.search(question, 2)] == ["strong.txt", "answer.txt"]
    exact = Searcher(store, embedder, bm25_weight=1.0, soft_weight=0.0)
    assert [p.article for p in exact.search(question, 4)][-1] == "answer.txt"


def test_soft_coverage_matches_a_month_only_where_it_is_written_as_one(
    articles: Path, data: Path, hash_embedder: HashEmbedder
) -> None:
    # The question's "May" is the month: the verb "may" (three times) is not it, and a spinner's
    # "In Could," is (BM25 alone sees it the other way round).
    question = "Which city did rebel forces enter in May?"
    write_news(articles, "spun.txt", "Offensive", "In Could, rebel forces entered Lashkar Gah.")
    write_news(articles, "verb.txt", "Panic", "There may be panic: rebel forces may enter, and may stay.")
    index = synced(articles, data, hash_embedder)
    store = index.searcher().store
    soft = Searcher(store, hash_embedder, bm25_weight=1.0, soft_weight=1.0)
    assert [p.article for p in soft.search(question, 2)] == ["spun.txt", "verb.txt"]
    lexical = Searcher(store, hash_embedder, bm25_weight=1.0, soft_weight=0.0)
    assert [p.article for p in lexical.search(question, 2)] == ["verb.txt", "spun.txt"]


def test_word_vectors_longer_than_their_cache_are_each_words_own(
    articles: Path, data: Path, hash_embedder: HashEmbedder
) -> None:
    write_news(articles, "a.txt", "Title", "Some text.")
    index = synced(articles, data, hash_embedder)
    searcher = Searcher(index.searcher().store, hash_embedder, word_cache=8)
    words = [f"word{i}" for i in range(20)]
    assert np.array_equal(searcher.word_vectors(words), hash_embedder.word_vectors(words))


def test_a_question_word_is_also_matched_by_its_dictionary_form(
    articles: Path, data: Path, hash_embedder: HashEmbedder
) -> None:
    # The hash embedder's words are near only themselves: "meeting" finds "meet" through its
    # dictionary form, and a word with no other form stands twice.
    write_news(articles, "a.txt", "Talks", "The leaders meet on Friday.")
    index = synced(articles, data, hash_embedder)
    searcher = index.searcher()
    terms = searcher.question_terms("When is the meeting in Kabul?")
    assert [t.word for t in terms] == ["meeting", "kabul"]
    vectors = searcher.term_vectors(terms)
    cosines = term_cosines(vectors, searcher.word_vectors(["meet", "kabul", "friday"]))
    assert cosines.round(3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert (vectors[0] @ searcher.word_vectors(["meet"]).T).round(3).tolist() == [[0.0], [0.0]]


def test_dense_side_finds_what_shares_no_word_with_the_question(articles: Path, data: Path) -> None:
    question = "When did the automobile factory close?"
    write_news(articles, "answer.txt", "Gates shut", "The car plant shut its gates in March.")
    write_news(articles, "strong.txt", "Show", "Automobile factory close: automobile factory close in town.")
    write_news(
        articles,
        "weak1.txt",
        "Library",
        "The library will close early on Sundays during the summer months for cleaning and repairs "
        "of the old reading rooms, the council said on Monday.",
    )
    write_news(
        articles,
        "weak2.txt",
        "Jobs",
        "A new factory opened downtown, bringing jobs to hundreds of workers in the riverside "
        "neighbourhood and beyond, the mayor said.",
    )
    embedder = SynonymEmbedder()
    index = synced(articles, data, embedder)
    hybrid = index.searcher()
    found = [p.article for p in hybrid.search(question, 3)]
    assert "answer.txt" in found, found  # only the dense side can see it
    # The same search with BM25 alone never reaches it: the dense weight is what finds it.
    lexical_only = Searcher(hybrid.store, embedder, bm25_weight=1.0)
    assert "answer.txt" not in [p.article for p in lexical_only.search(question, 3)]


def test_passages_from_articles_that_never_name_who_is_asked_about_are_set_aside(
    articles: Path, data: Path
) -> None:
    write_news(
        articles,
        "biden.txt",
        "Troops to leave",
        "Troops are set to leave within weeks.",
        "President Biden made his announcement in April.",
        "The war will end by September.",
    )
    write_news(
        articles,
        "blair.txt",
        "Election call",
        "Tony Blair seems certain to end weeks of phoney war on Monday and announce an election.",
    )
    write_news(articles, "ferry.txt", "Ferry", "The ferry will end its winter service on Monday.")
    searcher = synced(articles, data, HashEmbedder()).searcher()
    scorer = ExtractiveAnswerer(searcher).scorer
    question = "When did Biden announce the end of the war on Monday?"
    passages = searcher.search(question, 5)
    assert {p.article for p in passages} == {"biden.txt", "blair.txt", "ferry.txt"}
    terms = scorer.terms(question)
    # "Monday" is said in many stories; Biden only in his.
    assert {p.article for p in scorer.on_topic(terms, passages)} == {"biden.txt"}
    answer = ExtractiveAnswerer(searcher).answer(question)
    assert answer.found and [c.article for c in answer.citations] == ["biden.txt"]
    # A question naming no one the articles know is left to the ranker.
    unnamed = scorer.terms("When will the war end?")
    assert scorer.on_topic(unnamed, passages) == passages


def test_a_dated_sentence_well_below_an_undated_best_match_is_quoted_for_a_when_question() -> None:
    # "before the withdrawal started" matches best but dates nothing; the sentence that gives the
    # date scores lower (beyond the second-sentence margin) and must still be quoted, not refused.
    text = (
        "But before the U.S. withdrawal started, only a handful of districts changed hands. "
        "Since May 1, when U.S. forces formally started their withdrawal, the Taliban took 50 districts."
    )
    first = text.index("Since")
    passage = Passage(
        "c1", "a1", "T", "", "", text, 0, len(text), 1.0, sentences=((0, first - 1), (first, len(text)))
    )
    question = Question.parse("When did the U.S. withdrawal begin?")

    def sentence(i: int, score: float) -> Evidence:
        start, end = passage.sentences[i]
        found = find_candidate(text[start:end], question.text, question.kind)
        features = {"names_missing": 0.0}
        return Evidence(passage, 0, i, start, end, found, np.ones(2), features, score)

    undated, dated = sentence(0, 1.3), sentence(1, 1.3 - 1.5 - 0.5)
    assert undated.candidate is None and dated.candidate is not None
    quoted = quote.sentences_to_quote(question, [undated, dated], undated)
    assert [ev.index for ev in quoted] == [0, 1]
    assert not quote.lacks_what_was_asked(question, quoted)
    # Far below (beyond the list margin), only the sentence next to it still completes it...
    far = sentence(1, 1.3 - quote.LIST_MARGIN - 0.5)
    assert [ev.index for ev in quote.sentences_to_quote(question, [undated, far], undated)] == [0, 1]
    # ...one further off is not the same event: nothing is completed.
    apart = Evidence(passage, 0, 2, far.start, far.end, far.candidate, far.matches, far.features, far.score)
    assert quote.lacks_what_was_asked(question, quote.sentences_to_quote(question, [undated, apart], undated))


def test_a_why_question_gets_the_reason_beside_a_best_match_that_only_restates_it() -> None:
    text = (
        "Officials spoke in Kabul. "
        "The setbacks come at a harrowing moment for Afghanistan. "
        "International troops are set to leave the country in weeks. "
        "The talks resume on Friday."
    )
    bounds = [0]
    for mark in ("The setbacks", "International", "The talks"):
        bounds.append(text.index(mark))
    bounds.append(len(text))
    spans = tuple((a, b - 1 if b < len(text) else b) for a, b in itertools.pairwise(bounds))
    passage = Passage("c1", "a1", "T", "", "", text, 0, len(text), 1.0, sentences=spans)
    question = Question.parse("Why is this a harrowing moment for Afghanistan?")
    assert question.kind == "reason"

    def sentence(i: int, score: float) -> Evidence:
        start, end = spans[i]
        found = find_candidate(text[start:end], question.text, question.kind)
        return Evidence(passage, 0, i, start, end, found, np.ones(2), {"names_missing": 0.0}, score)

    before, restates, after, apart = sentence(0, -3.0), sentence(1, 2.0), sentence(2, -2.5), sentence(3, -2.0)
    assert restates.candidate is None
    # The better-scoring neighbour goes with it, not the better-scoring sentence further off.
    quoted = quote.sentences_to_quote(question, [before, restates, after, apart], restates)
    assert [ev.index for ev in quoted] == [1, 2]
    # A best match that gives a reason itself is quoted alone.
    because = "The setbacks come at a harrowing moment because troops are leaving."
    reason = Passage("c2", "a2", "T", "", "", because, 0, len(because), 1.0, sentences=((0, len(because)),))
    found = find_candidate(because, question.text, question.kind)
    alone = Evidence(reason, 0, 0, 0, len(because), found, np.ones(2), {"names_missing": 0.0}, 2.0)
    assert found is not None
    assert quote.sentences_to_quote(question, [alone, after], alone) == [alone]


class _RandomEmbedder(HashEmbedder):
    """A random unit vector per text: data on which an approximate (HNSW) search misses some of
    the nearest neighbours, so only an exact search returns all of them."""

    name = "fake-random-384"
    dim = 384

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.stack([np.random.default_rng(list(text.encode())).normal(size=self.dim) for text in texts])
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def test_the_dense_side_is_the_exact_nearest_chunks(articles: Path, data: Path) -> None:
    # Chroma's HNSW graph is approximate and differs between two builds of the same articles;
    # answers must not depend on it. Questions share no word with the articles, so every
    # candidate comes from the dense side, and with k = the candidate count all are returned.
    for i in range(1500):
        write_news(articles, f"a{i:04}.txt", f"Item {i}", f"Record number {i} of the ledger.")
    embedder = _RandomEmbedder()
    index = synced(articles, data, embedder)
    searcher = index.searcher()
    chunks = searcher.store.col.get(include=["embeddings"], limit=10_000)
    vectors = np.asarray(chunks["embeddings"])
    for question in ("Where did the zebras go?", "Who won the quiz?", "Why was it blue?", "What is a glyph?"):
        nearest = np.argsort(-(vectors @ embedder.embed_query(question)))[: searcher.candidates]
        found = {p.id for p in searcher.search(question, k=searcher.candidates)}
        assert found == {chunks["ids"][i] for i in nearest}, question
