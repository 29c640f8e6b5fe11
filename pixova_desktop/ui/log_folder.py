"""Open the log folder in the system file manager, for Help > Open log folder."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

from pixova_desktop.core.paths import user_log_dir

logger = logging.getLogger(__name__)


def open_log_folder(folder: Path | None = None) -> bool:
    """Create and open `folder` (default: the user log folder); return whether it opened."""
    folder = Path(folder or user_log_dir())
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        logger.exception("Could not create the log folder %s", folder)
        return False
    opened = QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
    if not opened:
        logger.warning("The desktop could not open the log folder %s", folder)
    return opened
