"""Disk and store faults, as real processes: a damaged, missing, read-only or full data folder.

Each fault gets one clear line naming the folder and what to do, and never costs the index.
Read-only and full disks are real mounts (a bind mount remounted read-only, a small tmpfs)
inside a private mount namespace made by `unshare`, so no test needs the host's privileges.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, cli_env, newsbot, newsbot_process, write_news

# Real processes on damaged, read-only and full disks: `make test-fast` leaves them out.
pytestmark = pytest.mark.slow

QUESTION = "What budget did the council of town7 approve?"


def _corpus(folder: Path, n: int) -> None:
    for i in range(n):
        write_news(
            folder,
            f"town{i:04d}.txt",
            f"Town {i} budget",
            f"The council of town{i} approved a budget of {i + 3} million dollars on Monday.",
            "The mayor said the vote was close.",
        )


def _ask(articles: Path, data: Path) -> subprocess.CompletedProcess[str]:
    return newsbot_process("ask", QUESTION, "--json", "--data", str(data))


def _answers(result: subprocess.CompletedProcess[str]) -> bool:
    if result.returncode != 0:
        return False
    reply = json.loads(result.stdout)
    return bool(reply["found"]) and "10 million dollars" in reply["answer"]


def _one_clear_line(stderr: str, *needles: str) -> None:
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    assert "Traceback" not in stderr
    for needle in needles:
        assert needle in errors[0], stderr


@pytest.fixture
def built(articles: Path, data: Path) -> tuple[Path, Path]:
    """A healthy index, built and asked in this process (the faults then meet real processes)."""
    _corpus(articles, 40)
    result = newsbot("index", "--articles", str(articles), "--data", str(data))
    assert result.returncode == 0, result.stderr
    assert _answers(newsbot("ask", QUESTION, "--json", "--data", str(data)))
    return articles, data


def test_truncated_chroma_sqlite_is_detected_and_rebuild_recovers(built: tuple[Path, Path]) -> None:
    articles, data = built
    sqlite = data / "chroma" / "chroma.sqlite3"
    with open(sqlite, "r+b") as fh:
        fh.truncate(sqlite.stat().st_size // 3)
    for result in (
        _ask(articles, data),
        newsbot_process("index", "--articles", str(articles), "--data", str(data)),
    ):
        assert result.returncode == 1
        _one_clear_line(result.stderr, str(data), "damaged", "newsbot index --rebuild")
    rebuilt = newsbot_process("index", "--rebuild", "--articles", str(articles), "--data", str(data))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "40 added" in rebuilt.stdout
    assert list(data.glob("chroma.damaged-*")), "the damaged store is kept aside, not deleted"
    assert _answers(_ask(articles, data))


def test_deleted_chroma_folder_is_detected_and_rebuild_recovers(built: tuple[Path, Path]) -> None:
    articles, data = built
    subprocess.run(["rm", "-rf", str(data / "chroma")], check=True)
    result = _ask(articles, data)
    assert result.returncode == 1
    _one_clear_line(result.stderr, str(data), "missing", "newsbot index --rebuild")
    rebuilt = newsbot_process("index", "--rebuild", "--articles", str(articles), "--data", str(data))
    assert rebuilt.returncode == 0 and "40 added" in rebuilt.stdout, rebuilt.stderr
    assert _answers(_ask(articles, data))


def test_asked_before_indexing_with_the_real_model_the_process_ends_cleanly(
    data: Path, minilm_cache: Path
) -> None:
    # The model loads on a background thread while Chroma opens; the error ends the process while
    # onnxruntime may still be building its session, which aborted it ("terminate called without
    # an active exception", exit 134) after the clear message.
    env = cli_env(NEWSBOT_EMBED_MODEL="minilm", NEWSBOT_CACHE=str(minilm_cache))
    for _ in range(3):
        result = newsbot_process("ask", "anything?", "--data", str(data), env=env)
        assert result.returncode == 1, result.stderr
        _one_clear_line(result.stderr, "no articles indexed yet: run `newsbot index`")
        assert result.stderr.strip().count("\n") == 0, result.stderr


def test_a_never_built_folder_still_says_run_index(articles: Path, data: Path) -> None:
    result = _ask(articles, data)
    assert result.returncode == 1
    _one_clear_line(result.stderr, "no articles indexed yet: run `newsbot index`")


def test_deleted_vector_index_files_are_detected_and_rebuild_recovers(articles: Path, data: Path) -> None:
    _corpus(articles, 1500)  # past Chroma's sync threshold, so the HNSW files exist on disk
    assert newsbot_process("index", "--articles", str(articles), "--data", str(data)).returncode == 0
    [segment] = [p for p in (data / "chroma").iterdir() if p.is_dir() and (p / "header.bin").exists()]
    subprocess.run(["rm", "-rf", str(segment)], check=True)
    result = _ask(articles, data)
    assert result.returncode == 1
    _one_clear_line(result.stderr, "damaged", "newsbot index --rebuild")
    rebuilt = newsbot_process("index", "--rebuild", "--articles", str(articles), "--data", str(data))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert _answers(_ask(articles, data))


def _in_namespace(script: str, tmp: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run `script` as root of a private mount namespace; `run NAME cmd...` records each step."""
    out = tmp / "steps"
    out.mkdir()
    newsbot_cmd = f"{shlex.quote(sys.executable)} -m bot.cli"
    prelude = f"""
set -u
run() {{ name=$1; shift; "$@" >{out}/$name.out 2>{out}/$name.err; echo $? >{out}/$name.rc; }}
NEWSBOT="{newsbot_cmd}"
"""
    try:
        probe = subprocess.run(
            ["unshare", "--map-root-user", "--mount", "true"], capture_output=True, text=True
        )
        why = probe.stderr.strip() if probe.returncode else ""
    except FileNotFoundError:
        why = "no `unshare` on PATH"
    if why:
        pytest.fail(
            "this test needs `unshare --map-root-user --mount` (util-linux, with user namespaces "
            f"enabled) to make real read-only and full mounts: {why}",
            pytrace=False,
        )
    done = subprocess.run(
        ["unshare", "--map-root-user", "--mount", "bash", "-c", prelude + script],
        cwd=ROOT,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"namespace script failed: {done.stderr}"
    return {
        rc.stem: subprocess.CompletedProcess(
            [rc.stem],
            int(rc.read_text()),
            (out / f"{rc.stem}.out").read_text(),
            (out / f"{rc.stem}.err").read_text(),
        )
        for rc in out.glob("*.rc")
    }


def test_read_only_data_folder_refuses_to_index_and_still_answers(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    articles, data = built
    write_news(articles, "late.txt", "Late story", "A late story arrived after the build.")
    before = sorted(p.name for p in (data / "chroma").iterdir())
    steps = _in_namespace(
        f"""
mount --bind {data} {data} && mount -o remount,bind,ro {data} || exit 9
run index $NEWSBOT index --articles {articles} --data {data}
run ask $NEWSBOT ask {shlex.quote(QUESTION)} --json --data {data}
run list $NEWSBOT articles --json --data {data}
""",
        tmp_path,
    )
    assert steps["index"].returncode == 1
    _one_clear_line(steps["index"].stderr, str(data), "read-only", "index already built is kept")
    assert _answers(steps["ask"]), steps["ask"].stderr
    assert len(steps["list"].stdout.splitlines()) == 40
    assert sorted(p.name for p in (data / "chroma").iterdir()) == before


def test_full_disk_refuses_a_sync_it_cannot_hold_and_the_index_stays_usable(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    _, data = built
    more = tmp_path / "more"
    _corpus(more, 1500)
    disk = tmp_path / "disk"
    disk.mkdir()
    small = disk / "data"
    steps = _in_namespace(
        f"""
mount -t tmpfs -o size=1500k tmpfs {disk} || exit 9
cp -a {data} {small}
run index $NEWSBOT index --articles {more} --data {small}
run ask $NEWSBOT ask {shlex.quote(QUESTION)} --json --data {small}
run list $NEWSBOT articles --json --data {small}
""",
        tmp_path,
    )
    assert steps["index"].returncode == 1
    _one_clear_line(steps["index"].stderr, str(small), "not enough free space", "nothing was changed")
    assert _answers(steps["ask"]), steps["ask"].stderr
    assert len(steps["list"].stdout.splitlines()) == 40


def test_disk_filling_up_mid_sync_stops_clearly_and_loses_nothing(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    """Another process fills the disk while `newsbot index` writes (so the pre-check passed)."""
    articles, data = built
    _corpus(articles / "more", 1500)
    disk = tmp_path / "disk"
    disk.mkdir()
    small = disk / "data"
    steps = _in_namespace(
        f"""
mount -t tmpfs -o size=16m tmpfs {disk} || exit 9
cp -a {data} {small}
export NEWSBOT_EMBED_MODEL=python:tests.fakes:SlowHashEmbedder NEWSBOT_FAKE_EMBED_DELAY=0.002
size0=$(du -sb {small}/chroma | cut -f1)
run index $NEWSBOT index --articles {articles} --data {small} &
for _ in $(seq 1200); do  # wait until the run is writing to the store
  [ "$(du -sb {small}/chroma | cut -f1)" != "$size0" ] && break
  sleep 0.05
done
dd if=/dev/zero of={disk}/filler bs=64k 2>/dev/null
wait
run ask_full $NEWSBOT ask {shlex.quote(QUESTION)} --json --data {small}
rm {disk}/filler
run ask $NEWSBOT ask {shlex.quote(QUESTION)} --json --data {small}
run reindex $NEWSBOT index --articles {articles} --data {small}
run list $NEWSBOT articles --json --data {small}
""",
        tmp_path,
    )
    assert steps["index"].returncode == 1, "the filler must have hit the run while it was writing"
    _one_clear_line(steps["index"].stderr, str(small), "is full", "stopped part-way")
    assert _answers(steps["ask_full"]), steps["ask_full"].stderr  # read from a private copy
    assert _answers(steps["ask"]), steps["ask"].stderr
    assert steps["reindex"].returncode == 0, steps["reindex"].stderr
    assert len(steps["list"].stdout.splitlines()) == 1540
