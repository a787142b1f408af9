"""simplemma's English lemmatizer, its dictionary decoded once and kept in the cache folder.

simplemma decodes its compressed English dictionary (181,612 forms) in pure Python the first
time a process lemmatizes: 0.35-0.45 s of every cold `newsbot ask` on these machines. Kept as a
marshal file it loads in under 0.1 s. The file is ours, named by simplemma's version; one that
cannot be read is made again, so a damaged cache costs time, never a wrong lemma.
"""

from __future__ import annotations

import functools
import logging
import marshal
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

log = logging.getLogger(__name__)

LANG = "en"


def lemmatizer(cache_dir: Path | None) -> Callable[[str], str]:
    """`word -> lemma` (simplemma's, English). Without a cache folder: simplemma's own loading."""
    import simplemma

    if cache_dir is None:
        return lambda word: simplemma.lemmatize(word, lang=LANG)
    from simplemma.strategies import DefaultStrategy

    factory = _factory(cache_dir / f"simplemma-{simplemma.__version__}-{LANG}.marshal")
    lemmatize = simplemma.Lemmatizer(
        lemmatization_strategy=DefaultStrategy(dictionary_factory=factory)
    ).lemmatize
    return lambda word: lemmatize(word, lang=LANG)


@functools.cache
def _factory(path: Path) -> _CachedDictionaries:
    """One table per file and process: every searcher the process opens shares it."""
    return _CachedDictionaries(path)


class _CachedDictionaries:
    """A simplemma DictionaryFactory: the English dictionary from our file, made on first use."""

    def __init__(self, path: Path):
        self.path = path
        self._table: dict[str, str] | None = None

    def get_dictionary(self, lang: str) -> Mapping[str, str]:
        if lang != LANG:
            from simplemma.strategies.dictionaries import DEFAULT_DICTIONARY_FACTORY

            return DEFAULT_DICTIONARY_FACTORY.get_dictionary(lang)
        if self._table is None:
            self._table = self._load() or self._make()
        return self._table

    def _load(self) -> dict[str, str] | None:
        try:
            table = marshal.loads(self.path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError, EOFError, TypeError):
            log.warning("the lemma cache %s cannot be read; making it again", self.path, exc_info=True)
            return None
        return table if isinstance(table, dict) and table else None

    def _make(self) -> dict[str, str]:
        from simplemma.strategies.dictionaries import DEFAULT_DICTIONARY_FACTORY

        table = dict(DEFAULT_DICTIONARY_FACTORY.get_dictionary(LANG).items())
        tmp: str | None = None
        try:  # written whole, then renamed: a reader never sees half a file
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
            with os.fdopen(fd, "wb") as out:
                out.write(marshal.dumps(table))
            os.replace(tmp, self.path)
        except OSError:  # a read-only or full cache folder: answer anyway, slower next time
            log.warning("the lemma cache %s cannot be written", self.path, exc_info=True)
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
        return table
