"""Logging to a rotating file in the user log folder, and optionally to the console."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from pixova_desktop.core.paths import user_log_dir

LOG_FILE_NAME = "pixova-desktop.log"
MAX_LOG_BYTES = 2_000_000
LOG_BACKUPS = 3
_FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"


def configure_logging(console_level: int | None = None, log_dir: Path | None = None) -> Path:
    """Send INFO and above to a rotating log file; return the file's path.

    `console_level` also sends records of that level to stderr, when stderr exists (a
    windowed build has none).
    """
    folder = log_dir or user_log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE_NAME
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in list(root.handlers):
        if getattr(handler, "_pixova", False):
            root.removeHandler(handler)
            handler.close()

    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=MAX_LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    file_handler.setFormatter(logging.Formatter(_FORMAT))
    file_handler._pixova = True  # type: ignore[attr-defined]
    root.addHandler(file_handler)

    if console_level is not None and sys.stderr is not None:
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(console_level)
        console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        console._pixova = True  # type: ignore[attr-defined]
        root.addHandler(console)
    return path
