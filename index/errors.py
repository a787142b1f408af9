"""Errors meant for users: one clear line naming the thing and the reason."""


class NewsbotError(Exception):
    """A failure the user can act on. `str(err)` is safe to show as is."""


class IndexLockedError(NewsbotError):
    """Another index run holds the lock."""


class EmbedderMismatchError(NewsbotError):
    """The index was built with a different embedding model than the one configured."""


class IndexUnavailableError(NewsbotError):
    """The Chroma server cannot be reached right now."""


class MissingExtraError(NewsbotError):
    """An optional dependency is not installed."""


class NotIndexedError(NewsbotError):
    """Nothing has been indexed in this data folder yet."""


class DamagedIndexError(NewsbotError):
    """The index on disk is missing or corrupt; `newsbot index --rebuild` recovers it."""


class DataFolderError(NewsbotError):
    """The data folder cannot be written: read-only, or its disk is full."""
