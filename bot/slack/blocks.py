"""Answer -> Block Kit. Every piece of article or user text is escaped for mrkdwn, so a passage
holding `<!channel>` or `<@U123>` shows as text and pings nobody."""

from __future__ import annotations

from typing import Any

from bot import prompts

PASSAGE_CHARS = 300
SECTION_CHARS = 2900  # Slack rejects section text over 3000 characters


def escape(text: str) -> str:
    """Slack's three control characters; nothing else can form a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def answer_mrkdwn(text: str, highlights: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for start, end in sorted(highlights):
        if start < pos:
            continue
        out += [escape(text[pos:start]), "*", escape(text[start:end]).replace("*", ""), "*"]
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _source(c: dict[str, Any], full: bool) -> str:
    title = escape(c["title"] or c["article"])
    url = c.get("url") or ""
    head = f"*[{c['n']}]* " + (
        f"<{escape(url)}|{title}>" if url.startswith(("http://", "https://")) else f"*{title}*"
    )
    if c.get("published_at"):
        head += f" · {escape(c['published_at'])}"
    passage = c["text"] if full else _trim(" ".join(c["text"].split()), PASSAGE_CHARS)
    quoted = "\n".join("> " + line for line in escape(passage).splitlines() if line.strip())
    return _trim(f"{head}\n{quoted}", SECTION_CHARS)


def answer_blocks(answer: dict[str, Any], answer_id: str, *, shareable: bool = False) -> list[dict[str, Any]]:
    """`answer` is Answer.to_json() plus "highlights"; buttons carry only the stored answer's id."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": _trim(answer_mrkdwn(answer["answer"], answer.get("highlights", [])), SECTION_CHARS),
            },
        }
    ]
    if answer["found"]:
        blocks.append(_context("*Sources*"))
        blocks += [
            {"type": "section", "text": {"type": "mrkdwn", "text": _source(c, False)}}
            for c in answer["citations"]
        ]
    elif answer.get("closest"):
        c = answer["closest"]
        closest = prompts.load("closest_match").render(
            text=_trim(" ".join(c["text"].split()), 200), title=c["title"] or c["article"]
        )
        blocks.append(_context(escape(closest)))
    buttons = [
        {
            "type": "button",
            "action_id": "feedback_up",
            "text": {"type": "plain_text", "text": "👍"},
            "value": answer_id,
        },
        {
            "type": "button",
            "action_id": "feedback_down",
            "text": {"type": "plain_text", "text": "👎"},
            "value": answer_id,
        },
    ]
    if answer["found"]:
        buttons.append(
            {
                "type": "button",
                "action_id": "show_passages",
                "text": {"type": "plain_text", "text": "Show full passages"},
                "value": answer_id,
            }
        )
    if shareable:
        buttons.append(
            {
                "type": "button",
                "action_id": "share_answer",
                "style": "primary",
                "text": {"type": "plain_text", "text": "Share in channel"},
                "value": answer_id,
            }
        )
    blocks.append({"type": "actions", "elements": buttons})
    return blocks


def passages_blocks(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": _source(c, True)}} for c in answer["citations"]
    ]


def fallback_text(answer: dict[str, Any]) -> str:
    """The notification text: plain, escaped, short."""
    return _trim(escape(answer["answer"]), 300)


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def home_view(articles: int, newest: list[tuple[str, str]], updated_at: str) -> dict[str, Any]:
    lines = "\n".join(f"• {escape(title)}" + (f" ({escape(date)})" if date else "") for title, date in newest)
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "newsbot"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{articles}* articles indexed."}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Newest*\n" + (lines or "none yet")}},
            _context(f"Index last changed: {escape(updated_at or 'never')}"),
            _context("Mention me with a question, DM me, or use `/ask`."),
        ],
    }
