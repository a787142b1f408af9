"""Errors meant for users: one clear line naming the thing and the reason."""


class NewsbotError(Exception):
    """A failure the user can act on. `str(err)` names the thing and the reason and is safe to
    show as is. `remedy`, when set, names what fixes it (one of REMEDIES); each surface says how
    in its own words (the CLI: which command to run), so nothing here names a command or a flag."""

    remedy: str = ""

    def __init__(self, message: str, *, remedy: str | None = None):
        super().__init__(message)
        if remedy is not None:
            self.remedy = remedy


# What a remedy asks the user to do, for the surfaces to phrase.
REMEDIES = ("index", "rebuild", "rebuild-or-model", "install-model", "model-wheel", "allow-empty")


class EmptyFolderError(NewsbotError):
    """The articles folder holds none of the indexed articles: a sync would delete them all."""

    remedy = "allow-empty"


class IndexLockedError(NewsbotError):
    """Another index run holds the lock."""


class EmbedderMismatchError(NewsbotError):
    """The index was built with a different embedding model than the one configured."""

    remedy = "rebuild-or-model"


class IndexUnavailableError(NewsbotError):
    """The Chroma server cannot be reached right now."""


class MissingExtraError(NewsbotError):
    """An optional dependency is not installed."""


class NotIndexedError(NewsbotError):
    """Nothing has been indexed in this data folder yet."""

    remedy = "index"


class DamagedIndexError(NewsbotError):
    """The index on disk is missing or corrupt; rebuilding it recovers it."""

    remedy = "rebuild"


class DataFolderError(NewsbotError):
    """The data folder cannot be written: read-only, or its disk is full."""
