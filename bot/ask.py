"""`newsbot ask`: one question, or one per stdin line (`-`), human-readable or JSON."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from bot.answer import Answer, Answerer
from bot.errors import explain
from bot.question import BadQuestion


def ask_one(answerer: Answerer, question: str, as_json: bool, out: TextIO) -> int:
    answer = answerer.answer(question)
    _emit(answer, as_json, out)
    return 0


def ask_stream(answerer: Answerer, lines: TextIO, as_json: bool, out: TextIO) -> int:
    """One answer per input line, in order; a bad line gets an error object, not a stop."""
    status = 0
    for line in lines:
        question = line.rstrip("\n")
        try:
            answer = answerer.answer(question)
        except BadQuestion as err:
            status = 2
            if as_json:
                out.write(error_json(question, err) + "\n")
            else:
                print(f"error: {explain(err)}", file=sys.stderr)
            out.flush()
            continue
        if not as_json:  # plain answers in a row: which question each one answers
            print(f"{'─' * 3} {question}", file=out)
        _emit(answer, as_json, out)
        if not as_json:
            print(file=out)
    return status


def error_json(question: str, err: BadQuestion) -> str:
    return json.dumps({"question": question, "error": explain(err)}, ensure_ascii=False)


def _emit(answer: Answer, as_json: bool, out: TextIO) -> None:
    if as_json:
        out.write(json.dumps(answer.to_json(), ensure_ascii=False) + "\n")
        out.flush()
        return
    from bot.render import console_for, print_answer

    print_answer(console_for(out), answer)
