"""The offline answerer: quote the sentences that answer the question, cite them, or say
plainly that the articles don't contain it.

    question -> bot/question.py      what it asks for (a name, a date, a role, a reason...)
             -> index/search.py      the top passages (hybrid BM25 + dense)
             -> bot/evidence.py      every sentence of them, scored
             -> bot/answerability.py the ranker picks the sentence; the model decides to answer
             -> bot/quote.py         the verbatim quote with [n] citations, or the refusal
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot import quote
from bot.answer import Answer, timings
from bot.answerability import AnswerModel, load_model, question_features
from bot.briefing import Briefer
from bot.evidence import Evidence, EvidenceScorer, Term
from bot.message import read_message
from bot.question import Question, core_question, is_follow_up, rewrite_follow_up
from bot.small_talk import small_talk_answer
from index.search import Passage, Searcher


def answered(previous: Answer) -> tuple[str, str]:
    """What an earlier answer gave, as it was marked in it: a place or a person's name ("Which
    province neighbors Kunduz?" -> ("place", "Takhar")); ("", "") when it marked neither, or when
    the turn comes from a log that keeps no marks."""
    parsed = Question.parse(previous.standalone or previous.question)
    if not previous.found or not previous.highlights or parsed.kind not in ("place", "person"):
        return "", ""
    start, end = previous.highlights[0]
    thing = re.sub(r"^the\s+", "", previous.text[start:end])
    return (parsed.kind, thing) if thing[:1].isupper() else ("", "")


@dataclass
class Analysis:
    """Everything the decision rests on, for one question: kept for training and debugging."""

    question: Question
    terms: list[Term]
    evidence: list[Evidence]
    chosen: Evidence | None = None
    features: dict[str, float] = field(default_factory=dict)
    probability: float = 0.0  # that the chosen sentence answers the question


class ExtractiveAnswerer:
    mode = "extractive"

    def __init__(self, searcher: Searcher, *, top_k: int = 5, model: AnswerModel | None = None):
        self.searcher = searcher
        self.top_k = top_k
        self.model = model or load_model()
        self.scorer = EvidenceScorer(searcher)
        self.briefer = Briefer(searcher)

    def answer(
        self,
        question: str,
        history: Sequence[Answer] = (),
        top_k: int | None = None,
        on_token: Callable[[str], None] | None = None,  # nothing streams offline; kept for one interface
    ) -> Answer:
        t0 = time.perf_counter()
        message = read_message(question, history)
        if message.small_talk is not None:  # "thanks!", "hi", "help": a reply of its own, no search
            return small_talk_answer(message.asked, message.small_talk, history)
        if message.briefing is not None:  # "what did the articles say about X?"
            return self.briefer.answer(message.briefing, message.asked, history)
        asked = message.asked
        text = standalone = message.question  # "Can you tell me who X is, please?" -> "who is X?"
        if history and is_follow_up(text):
            # "what did he say?" -> "what did Amruddin Wali say?"; else both turns are searched.
            rewritten = rewrite_follow_up(text, history[-1].standalone, answered(history[-1]))
            if rewritten:
                text = standalone = core_question(rewritten)
            else:
                standalone = f"{history[-1].standalone} {text}"
        passages = self.searcher.search(standalone, top_k or self.top_k)
        t1 = time.perf_counter()
        answer = self.compose(text, standalone, passages)
        answer.question = asked
        answer.timings_ms = timings(t0, t1, time.perf_counter())
        return answer

    def analyze(self, question: str, standalone: str, passages: list[Passage]) -> Analysis:
        """Score every sentence of `passages`, choose one, and ask the model whether it answers."""
        parsed = Question.parse(question)
        terms = self.scorer.terms(question)
        passages = self.scorer.on_topic(terms, passages)
        # A follow-up's earlier turn helps find the sentence, at half weight.
        extra = [t for t in self.scorer.terms(standalone) if t.stem not in {u.stem for u in terms}]
        analysis = Analysis(parsed, terms, self.scorer.score(parsed, terms, passages, extra))
        if not analysis.evidence:
            return analysis
        for ev in analysis.evidence:
            ev.score = self.model.ranker.logit(ev.features)
        analysis.chosen = quote.choose(parsed, analysis.evidence)
        analysis.features = question_features(terms, analysis.evidence, analysis.chosen)
        analysis.probability = self.model.probability(analysis.features)
        return analysis

    def relevant(self, analysis: Analysis) -> bool:
        """Did retrieval find anything the question is about? False only when the passages speak
        of too little of it (the topic check): then even an LLM has nothing to read."""
        return analysis.chosen is not None and (
            analysis.features["passage_coverage"] >= self.model.coverage_threshold
        )

    def compose(self, question: str, standalone: str, passages: list[Passage]) -> Answer:
        return self.decide(self.analyze(question, standalone, passages), standalone)

    def decide(self, analysis: Analysis, standalone: str) -> Answer:
        """The quoted answer, or the refusal, for an analysed question."""
        question = analysis.question.text
        chosen = analysis.chosen
        if chosen is None or not self.model.answers(analysis.features, analysis.probability):
            # A closest match needs something to be close to: not for "?" or "what about it?"
            # asked first, whose passages share no word with them.
            near = chosen if chosen is not None and analysis.features["passage_coverage"] > 0.0 else None
            return quote.refused(question, standalone, near.passage if near else None)
        quoted = quote.sentences_to_quote(analysis.question, analysis.evidence, chosen)
        if quote.lacks_what_was_asked(analysis.question, quoted):
            return quote.refused(question, standalone, chosen.passage)
        return quote.found(question, standalone, quoted)
