"""Briefings in Slack (one message within Block Kit's limits, "Show more" when cut) and written
by an LLM (through tests/fake_llm.py, its citations held to the contract)."""
# ruff: noqa: F811  (the `fake` and `env` fixtures are imported from tests/test_slack.py)

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from bot.slack.blocks import MAX_BLOCKS, briefing_blocks
from tests.fake_slack import FakeSlack
from tests.test_slack import (  # noqa: F401  (fixtures)
    Env,
    _llm_answerer,
    env,
    fake,
    mention,
    until,
)

SECTION_LIMIT = 3000


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def _within_limits(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= MAX_BLOCKS
    assert all(len(t) <= SECTION_LIMIT for t in _texts(blocks))


async def test_a_briefing_is_one_message_with_a_section_per_article(env: Env) -> None:
    await env.event(mention("What did the articles say about the ferry link?", "8000.1"), "EvBr1")
    [post] = await env.fake.wait_for("chat.postMessage")
    blocks = post["blocks"]
    _within_limits(blocks)
    texts = _texts(blocks)
    assert texts[0].startswith("What the articles say about the ferry link")
    [group] = [t for t in texts if "Harbour council backs ferry link" in t]
    assert "> “The Harbour council voted 9 to 4" in group and "[1]" in group
    assert "Notice board" not in json.dumps(blocks)  # the other article says nothing about it
    kinds = [b["type"] for b in blocks]
    assert kinds[-2:] == ["actions", "context_actions"]  # Show full passages, then 👍/👎
    assert "show_more" not in json.dumps(blocks)  # nothing was cut


def _long_briefing() -> dict[str, Any]:
    quotes = [
        {"text": f"Sentence {i} " + "about the ferry link and its cost " * 20, "n": i} for i in range(1, 7)
    ]
    group = {
        "article": "ferry.txt",
        "title": "Harbour council backs ferry link <!channel>",
        "published_at": "2026-11-30",
        "source": "Example Gazette",
        "url": "",
        "citations": list(range(1, 7)),
        "quotes": quotes,
    }
    return {
        "question": "What did the articles say about the ferry link?",
        "answer": "What the articles say about the ferry link, newest first:\n\n(the groups)",
        "found": True,
        "citations": [],
        "mode": "extractive",
        "briefing": [group] * 3,
        "more_articles": 0,
    }


async def test_a_briefing_cut_to_slacks_limits_offers_the_rest(env: Env) -> None:
    payload = _long_briefing()
    answer_id = await asyncio.to_thread(env.service.state.save_answer, payload, "C1")
    blocks = briefing_blocks(payload, answer_id)
    _within_limits(blocks)
    buttons = {e["action_id"]: e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]}
    assert buttons["show_more"] == answer_id
    assert "<!channel>" not in json.dumps(blocks)  # a headline pings nobody
    assert await env.click("show_more", answer_id, "more") == 200
    await until(lambda: bool(env.fake.responses))
    [more] = env.fake.responses
    assert more["response_type"] == "ephemeral"
    _within_limits(more["blocks"])
    whole = "".join(_texts(more["blocks"]))
    assert all(q["text"] in whole for g in payload["briefing"] for q in g["quotes"])


async def test_an_llm_briefing_is_written_from_the_quoted_sentences_and_checked(
    fake: FakeSlack, tmp_path: Path
) -> None:
    from tests.fake_llm import FakeLLM

    llm_server = FakeLLM().start()
    try:
        answerer = _llm_answerer(tmp_path, llm_server)
        llm_server.script = [
            {
                "reply": "Harbour council backs ferry link (undated): the council voted 9 to 4 to fund "
                "the link [1]. It opened last year [9]."
            }
        ]
        answer = answerer.answer("What did the articles say about the ferry link?")
        assert answer.mode == "llm" and answer.briefing is not None
        [request] = llm_server.requests
        prompt = json.dumps(request["messages"])
        assert "briefing" in prompt.lower() and "The Harbour council voted 9 to 4" in prompt
        # The one gathered sentence was the one source; [9] named none and is gone.
        assert request["messages"][-1]["content"].count("\n[") == 1
        assert "[9]" not in answer.text and [c.n for c in answer.citations] == [1]
        assert answer.citations[0].text == (
            "The Harbour council voted 9 to 4 on Tuesday to fund a new ferry link to Gull Island."
        )
        articles = tmp_path / "articles"
        for c in answer.citations:
            assert (articles / c.article).read_text(encoding="utf-8")[c.start : c.end] == c.text
        [group] = answer.briefing
        assert group.article == "ferry.txt" and group.citations == [1]
    finally:
        llm_server.stop()
