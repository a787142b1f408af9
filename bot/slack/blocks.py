"""Answer -> Block Kit. Every piece of article or user text is escaped for mrkdwn, so a passage
holding `<!channel>` or `<@U123>` shows as text and pings nobody."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextActionsBlock,
    ContextBlock,
    FeedbackButtonObject,
    FeedbackButtonsElement,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot import prompts, small_talk
from bot.briefing import quoted
from index.sync import counted

PASSAGE_CHARS = 300
SECTION_CHARS = 2900  # Slack rejects section text over 3000 characters
MAX_BLOCKS = 50  # and messages of more blocks
MAX_GROUPS = 40  # articles in one briefing message (with its other blocks, under MAX_BLOCKS)


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


def _source(c: dict[str, Any], full: bool) -> str:
    title = escape(c["title"] or c["article"])
    url = c.get("url") or ""
    head = f"*[{c['n']}]* " + (
        f"<{escape(url)}|{title}>" if url.startswith(("http://", "https://")) else f"*{title}*"
    )
    if c.get("published_at"):
        head += f" · {escape(c['published_at'])}"
    passage = c["text"] if full else prompts.clip(" ".join(c["text"].split()), PASSAGE_CHARS)
    quoted = "\n".join("> " + line for line in escape(passage).splitlines() if line.strip())
    return prompts.clip(f"{head}\n{quoted}", SECTION_CHARS)


def answer_blocks(answer: dict[str, Any], answer_id: str, *, shareable: bool = False) -> list[dict[str, Any]]:
    """`answer` is Answer.to_json() plus "highlights"; buttons carry only the stored answer's id."""
    if answer.get("briefing"):
        return briefing_blocks(answer, answer_id, shareable=shareable)
    text = answer_mrkdwn(answer["answer"], answer.get("highlights", []))
    blocks: list[Block] = [_section(prompts.clip(text, SECTION_CHARS))]
    if answer["found"]:
        blocks.append(_context("*Sources*"))
        blocks += [_section(_source(c, False)) for c in answer["citations"]]
    elif answer.get("closest"):
        c = answer["closest"]
        blocks.append(_context(escape(prompts.closest_match(c["text"], c["title"] or c["article"]))))
    buttons = []
    if answer["found"]:
        buttons.append(_button("show_passages", "Show full passages", answer_id))
    if shareable:
        buttons.append(_button("share_answer", "Share in channel", answer_id, style="primary"))
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    if answer.get("mode") != small_talk.MODE:  # no thumbs under "Glad to help"
        blocks.append(feedback_block(answer_id))
    return [b.to_dict() for b in blocks]


def briefing_blocks(
    answer: dict[str, Any], answer_id: str, *, shareable: bool = False
) -> list[dict[str, Any]]:
    """A briefing as one message: its opening (or the LLM's text), then a section per article
    (headline, date, source, its quotes), newest first. A section cut to Slack's 3,000
    characters gets a "Show more" button that sends the whole briefing."""
    llm = answer.get("mode") == "llm"
    intro = answer["answer"] if llm else answer["answer"].split("\n\n")[0]
    clipped = prompts.clip(escape(intro), SECTION_CHARS)
    cut = clipped != escape(intro)
    blocks: list[Block] = [_section(clipped)]
    if llm:
        blocks.append(_context("*Sources*"))
    for group in answer["briefing"][:MAX_GROUPS]:
        text = _group(group)
        cut |= len(text) > SECTION_CHARS
        blocks.append(_section(prompts.clip(text, SECTION_CHARS)))
    cut |= len(answer["briefing"]) > MAX_GROUPS
    if answer.get("more_articles"):
        blocks.append(_context(escape(answer["answer"].split("\n\n")[-1]) if not llm else _more(answer)))
    buttons = [_button("show_passages", "Show full passages", answer_id)]
    if cut:
        buttons.append(_button("show_more", "Show more", answer_id))
    if shareable:
        buttons.append(_button("share_answer", "Share in channel", answer_id, style="primary"))
    blocks += [ActionsBlock(elements=buttons), feedback_block(answer_id)]
    return [b.to_dict() for b in blocks]


def more_blocks(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The whole briefing, uncut: as many sections as its text needs."""
    parts = [escape(answer["answer"] if answer.get("mode") == "llm" else answer["answer"].split("\n\n")[0])]
    parts += [_group(g) for g in answer.get("briefing") or []]
    sections = [chunk for part in parts for chunk in _pieces(part, SECTION_CHARS)]
    return [_section(text).to_dict() for text in sections[:MAX_BLOCKS]]


def _group(group: dict[str, Any]) -> str:
    title = escape(group["title"] or group["article"])
    source = group.get("source") or ""
    head = f"<{escape(source)}|{title}>" if source.startswith(("http://", "https://")) else f"*{title}*"
    meta = " · ".join(
        x for x in (group["published_at"][:10] or "undated", source) if x and not x.startswith("http")
    )
    lines = [f"{head} · {escape(meta)}"]
    lines += [f"> {escape(quoted(q['text']))} [{q['n']}]" for q in group["quotes"]]
    return "\n".join(lines)


def _more(answer: dict[str, Any]) -> str:
    n = answer["more_articles"]
    return escape(f"{counted(n, 'more article')} {'mentions' if n == 1 else 'mention'} this.")


def _pieces(text: str, size: int) -> list[str]:
    """`text` in pieces of at most `size` characters, split at line ends where it can be."""
    pieces: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        cut = cut if cut > 0 else size
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*pieces, text] if text else pieces


FEEDBACK_ACTION = "feedback"


def feedback_block(answer_id: str) -> ContextActionsBlock:
    """Slack's standard 👍/👎 element; each value carries the vote and the stored answer's id."""
    return ContextActionsBlock(
        elements=[
            FeedbackButtonsElement(
                action_id=FEEDBACK_ACTION,
                positive_button=FeedbackButtonObject(
                    text="👍", accessibility_label="Helpful", value=f"up:{answer_id}"
                ),
                negative_button=FeedbackButtonObject(
                    text="👎", accessibility_label="Not helpful", value=f"down:{answer_id}"
                ),
            )
        ]
    )


def passages_blocks(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [_section(_source(c, True)).to_dict() for c in answer["citations"][:MAX_BLOCKS]]


def fallback_text(answer: dict[str, Any]) -> str:
    """The notification text: plain, escaped, short."""
    return prompts.clip(escape(answer["answer"]), 300)


def home_view(articles: int, newest: list[tuple[str, str]], updated_at: str) -> dict[str, Any]:
    lines = "\n".join(f"• {escape(title)}" + (f" ({escape(date)})" if date else "") for title, date in newest)
    blocks: list[Block] = [
        HeaderBlock(text="newsbot"),
        _section(f"*{counted(articles, 'article')}* indexed."),
        _section("*Newest*\n" + (lines or "none yet")),
        _context(f"Index last changed: {escape(updated_at or 'never')}"),
        _context("Mention me with a question, DM me, or use `/ask`."),
    ]
    return View(type="home", blocks=blocks).to_dict()


# slack_sdk's Block Kit models check Slack's limits (text lengths, element counts) as they build.
def _section(mrkdwn: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=mrkdwn))


def _context(mrkdwn: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=mrkdwn)])


def _button(action_id: str, label: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=PlainTextObject(text=label), action_id=action_id, value=value, style=style)
