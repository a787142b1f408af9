"""LLM-written answers over the same retrieved passages, with citations held to a contract.

- The offline check runs first, and skips the call only when retrieval found nothing the
  question is about (the topic check): the LLM reads the passages and decides the rest, even
  where the offline answerer would refuse.
- After generation every [n] must name a passage that was provided; others are removed and
  the rest renumbered 1..k in order of first use. No valid citation left: the offline answer.
- Any failure (timeout, HTTP error, malformed reply) gives the offline answer with a note.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from bot import prompts
from bot.answer import Answer, BriefingGroup, Citation, timings
from bot.briefing import Request
from bot.extractive import ExtractiveAnswerer
from bot.message import read_message
from bot.question import is_follow_up
from bot.small_talk import small_talk_answer
from index.search import Passage, Searcher

log = logging.getLogger(__name__)
_MARKERS = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
REFUSAL = "I couldn't find that in the indexed articles."


def source_block(passages: Sequence[Passage]) -> str:
    """Numbered sources; article text can never close the <sources> fence it sits in."""
    parts = []
    for i, p in enumerate(passages, start=1):
        date = f" ({p.published_at})" if p.published_at else ""
        text = p.text.replace("<sources>", "<source s>").replace("</sources>", "</source s>")
        parts.append(f"[{i}] {p.title or p.article}{date}\n{text}")
    return "\n".join(parts)


def renumber(raw: str, passages: Sequence[Passage]) -> tuple[str, list[Citation]]:
    """Drop markers that name no provided passage; renumber the rest by first use."""
    mapping: dict[int, int] = {}
    citations: list[Citation] = []

    def replace(match: re.Match[str]) -> str:
        out = []
        for number in (int(x) for x in match.group(1).split(",")):
            if 1 <= number <= len(passages):
                if number not in mapping:
                    mapping[number] = len(mapping) + 1
                    citations.append(Citation.of(mapping[number], passages[number - 1]))
                out.append(f"[{mapping[number]}]")
        return "".join(dict.fromkeys(out))

    text = _MARKERS.sub(replace, raw)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip(), citations


class LLMAnswerer:
    mode = "llm"

    def __init__(self, extractive: ExtractiveAnswerer, llm: Any, *, top_k: int = 5):
        self.extractive = extractive
        self.llm = llm
        self.top_k = top_k
        # Load the templates now: a broken one stops start-up instead of posing as an LLM outage.
        self.system_prompt = prompts.load("llm_system").render()
        for name in (
            "llm_user",
            "llm_condense",
            "llm_unavailable",
            "llm_briefing_system",
            "llm_briefing_user",
        ):
            prompts.load(name)

    @property
    def searcher(self) -> Searcher:
        return self.extractive.searcher

    def answer(
        self,
        question: str,
        history: Sequence[Answer] = (),
        top_k: int | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        t0 = time.perf_counter()
        message = read_message(question, history)
        if message.small_talk is not None:  # "thanks!", "hi", "help": a reply of its own, no search
            return small_talk_answer(message.asked, message.small_talk, history)
        if message.briefing is not None:
            return self._briefing(message.briefing, message.asked, history, on_token)
        asked = message.asked
        text = message.question  # what retrieval and the offline check read; the LLM reads `asked`
        standalone = self.condense(text, history) if history and is_follow_up(text) else text
        passages = self.searcher.search(standalone, top_k or self.top_k)
        t1 = time.perf_counter()
        analysis = self.extractive.analyze(text, standalone, passages)
        offline = self.extractive.decide(analysis, standalone)
        relevant = self.extractive.relevant(analysis)
        result = self._generate(asked, standalone, passages, offline, on_token) if relevant else offline
        result.question = asked
        result.timings_ms = timings(t0, t1, time.perf_counter())
        return result

    def _briefing(
        self,
        request: Request,
        question: str,
        history: Sequence[Answer],
        on_token: Callable[[str], None] | None,
    ) -> Answer:
        """The LLM writes the briefing from the sentences the offline briefing gathered; the
        citation contract holds as for any answer, and the grouping follows what it cites."""
        offline, sources = self.extractive.briefer.brief(request, question, history)
        if not offline.found or not sources:
            return offline
        t0 = time.perf_counter()
        user = prompts.load("llm_briefing_user").render(sources=source_block(sources), request=question)
        messages = [("system", prompts.load("llm_briefing_system").render()), ("user", user)]
        try:
            raw, usage = self._call(messages, on_token)
        except Exception:
            log.warning("the LLM failed; giving the quoted briefing", exc_info=True)
            offline.text = f"{offline.text}\n\n{prompts.load('llm_unavailable').render()}"
            return offline
        text, citations = renumber(raw, sources)
        if not citations:
            log.info("LLM briefing had no valid citation; using the quoted one")
            offline.usage = usage
            return offline
        groups: dict[str, BriefingGroup] = {}
        for c in citations:
            group = groups.setdefault(
                c.article, BriefingGroup(c.article, c.title, c.published_at, c.url or c.article, c.url, [])
            )
            group.quotes.append((c.text, c.n))
        answer = Answer(
            question,
            text,
            True,
            citations,
            mode=self.mode,
            standalone=offline.standalone,
            usage=usage,
            briefing=list(groups.values()),
            more_articles=offline.more_articles,
        )
        answer.timings_ms = {**offline.timings_ms, "llm": round((time.perf_counter() - t0) * 1000, 2)}
        return answer

    def messages(self, question: str, passages: Sequence[Passage]) -> list[tuple[str, str]]:
        user = prompts.load("llm_user").render(sources=source_block(passages), question=question)
        return [("system", self.system_prompt), ("user", user)]

    def condense(self, question: str, history: Sequence[Answer]) -> str:
        turns = "\n".join(f"User: {h.question}\nAssistant: {h.text}" for h in history[-3:])
        prompt = prompts.load("llm_condense").render(history=turns, question=question)
        try:
            reply, _ = self._call([("user", prompt)], None)
        except Exception:
            log.warning("condensing the follow-up failed; using the conversation as is", exc_info=True)
            reply = ""
        lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
        return lines[0][:500] if lines else f"{history[-1].standalone} {question}"

    def _generate(
        self,
        question: str,
        standalone: str,
        passages: list[Passage],
        offline: Answer,
        on_token: Callable[[str], None] | None,
    ) -> Answer:
        try:
            raw, usage = self._call(self.messages(question, passages), on_token)
        except Exception:
            log.warning("the LLM failed; answering from the articles directly", exc_info=True)
            note = prompts.load("llm_unavailable").render()
            offline.text = f"{offline.text}\n\n{note}"
            return offline
        text, citations = renumber(raw, passages)
        if REFUSAL.lower() in raw.lower() and not citations:
            refusal = self.extractive.compose(question, standalone, [])
            refusal.closest, refusal.mode, refusal.usage = Citation.of(0, passages[0]), self.mode, usage
            return refusal
        if not citations:
            log.info("LLM answer had no valid citation; using the offline answer")
            offline.usage = usage
            return offline
        return Answer(question, text, True, citations, mode=self.mode, standalone=standalone, usage=usage)

    def _call(
        self, messages: list[tuple[str, str]], on_token: Callable[[str], None] | None
    ) -> tuple[str, dict[str, int]]:
        from llama_index.core.llms import ChatMessage

        chat = [ChatMessage(role=role, content=content) for role, content in messages]
        if on_token is None:
            response = self.llm.chat(chat)
            return str(response.message.content or ""), _usage(response.raw)
        parts: list[str] = []
        last: Any = None
        for chunk in self.llm.stream_chat(chat):
            if chunk.delta:
                parts.append(chunk.delta)
                on_token(chunk.delta)
            last = chunk
        return "".join(parts), _usage(getattr(last, "raw", None))


def _usage(raw: Any) -> dict[str, int]:
    usage = raw.get("usage") if isinstance(raw, dict) else getattr(raw, "usage", None)
    if usage is None:
        return {}
    get = usage.get if isinstance(usage, dict) else lambda k: getattr(usage, k, None)
    out = {k: get(k) for k in ("prompt_tokens", "completion_tokens")}
    return {k: int(v) for k, v in out.items() if isinstance(v, int)}
