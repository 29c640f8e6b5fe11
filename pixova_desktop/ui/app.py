"""Start the window: logging, the job store, the queue, then the event loop."""

from __future__ import annotations

import logging
import sys

from PySide6.QtWidgets import QApplication

from pixova_desktop.core.logs import configure_logging
from pixova_desktop.core.paths import APP_AUTHOR, APP_NAME, job_store_path
from pixova_desktop.jobs.queue import JobQueue
from pixova_desktop.jobs.store import JobStore
from pixova_desktop.ui.main_window import MainWindow
from pixova_desktop.ui.settings_store import load_settings, open_qsettings, save_settings

logger = logging.getLogger(__name__)


def run_window(argv: list[str]) -> int:
    """Open the main window and run until it closes; return the exit code."""
    configure_logging()
    app = QApplication.instance() or QApplication(argv)
    app.setOrganizationName(APP_AUTHOR)
    app.setApplicationName(APP_NAME)

    qsettings = open_qsettings()
    settings = load_settings(qsettings)
    store = JobStore(job_store_path())
    interrupted = store.mark_interrupted()
    if interrupted:
        logger.warning("Marked %d unfinished jobs as interrupted", len(interrupted))
    queue = JobQueue(store, settings)

    window = MainWindow(queue, settings)
    window.show()
    code = app.exec()

    save_settings(qsettings, settings)
    queue.shutdown()
    store.close()
    return code


if __name__ == "__main__":
    sys.exit(run_window(sys.argv))
