"""A dialog that shows one model download's progress in bytes and offers Cancel."""

from __future__ import annotations

import logging

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from pixova_desktop.core.model_library import format_size
from pixova_desktop.jobs.downloads import DownloadManager

logger = logging.getLogger(__name__)

# QProgressBar values are C ints, too small for byte counts, so byte counts are shown as thousandths of the total.
PROGRESS_STEPS = 1000


class DownloadDialog(QDialog):
    """Starts the download of `repo_id` with `manager` and follows it until it ends.

    The dialog accepts when the download finishes and rejects when it is cancelled. On failure
    it stays open with the message, and Close rejects it.
    """

    def __init__(
        self,
        manager: DownloadManager,
        repo_id: str,
        display_name: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._manager = manager
        self._repo_id = repo_id
        self.setWindowTitle(self.tr("Downloading {0}").format(display_name or repo_id))
        self.setMinimumWidth(460)

        self.title_label = QLabel(
            self.tr("Downloading {0} into the Hugging Face cache").format(repo_id)
        )
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 0)
        self.bytes_label = QLabel(self.tr("Listing the files…"))
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self._on_cancel_clicked)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.bytes_label)
        layout.addWidget(self.message_label)
        layout.addWidget(self.buttons)

        manager.download_progress.connect(self._on_download_progress)
        manager.download_finished.connect(self._on_download_finished)
        manager.download_failed.connect(self._on_download_failed)
        manager.download_cancelled.connect(self._on_download_cancelled)
        if not manager.is_active(repo_id):
            manager.start(repo_id)

    @property
    def repo_id(self) -> str:
        return self._repo_id

    @Slot(str, "qint64", "qint64")
    def _on_download_progress(self, repo_id: str, done: int, total: int) -> None:
        if repo_id != self._repo_id:
            return
        if total > 0:
            self.progress_bar.setRange(0, PROGRESS_STEPS)
            self.progress_bar.setValue(min(PROGRESS_STEPS, done * PROGRESS_STEPS // total))
        self.bytes_label.setText(
            self.tr("{0} of {1}").format(format_size(done), format_size(total))
        )

    @Slot(str)
    def _on_download_finished(self, repo_id: str) -> None:
        if repo_id == self._repo_id:
            self.accept()

    @Slot(str, str)
    def _on_download_failed(self, repo_id: str, message: str) -> None:
        if repo_id != self._repo_id:
            return
        self.message_label.setText(message)
        self.message_label.setVisible(True)
        self.progress_bar.setRange(0, PROGRESS_STEPS)
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)

    @Slot(str)
    def _on_download_cancelled(self, repo_id: str) -> None:
        if repo_id == self._repo_id:
            super().reject()

    @Slot()
    def _on_cancel_clicked(self) -> None:
        if self._manager.is_active(self._repo_id):
            self.bytes_label.setText(self.tr("Cancelling…"))
            self.buttons.setEnabled(False)
            self._manager.cancel(self._repo_id)
        else:
            super().reject()

    def reject(self) -> None:
        """Escape and the close button cancel a running download instead of hiding the dialog."""
        self._on_cancel_clicked()
