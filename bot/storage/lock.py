"""One bot process per database (see :class:`ProcessLock`)."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.storage.errors import StorageError, StorageNotWritable
from bot.storage.schema import lock_path

log = logging.getLogger(__name__)


class ProcessLock:
    """Only one bot process may run on a database: it keeps live sessions in memory and is the
    only writer. An advisory lock on ``<database>.lock``, released on :meth:`release` or when
    the process dies (even by SIGKILL). Exports, backups and validation do not take it."""

    def __init__(self, path: Path) -> None:
        self.path = lock_path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a+")  # noqa: SIM115 - held for the process's lifetime
        except OSError as exc:
            raise StorageNotWritable(
                self.path, f"cannot open the lock file ({exc.strerror or exc})"
            ) from None
        try:
            import fcntl
        except ImportError:  # not on POSIX (Windows): run unguarded
            log.warning("cannot lock %s on this system; run only one bot on it", path)
            return
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._file.close()
            raise StorageError(
                f"another workshop-bot is already running on the database {path}; stop it "
                "first (one bot process per database)"
            ) from None

    def release(self) -> None:
        if not self._file.closed:
            self._file.close()
