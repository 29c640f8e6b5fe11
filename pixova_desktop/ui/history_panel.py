"""The history gallery: a thumbnail of every finished image in the job store."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QFile, QSize, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pixova_desktop.core.job import JobSnapshot, JobState

logger = logging.getLogger(__name__)

PATH_ROLE = Qt.ItemDataRole.UserRole
JOB_ROLE = Qt.ItemDataRole.UserRole + 1
THUMBNAIL_SIZE = 96


class HistoryPanel(QWidget):
    """Thumbnails of saved images, newest first, with actions on the selected one.

    Signals:
        image_selected(str, str): the user picked the image at path (job id second).
        reuse_requested(str): fill the form from the image at path.
        image_deleted(str): the image at path was moved to the trash.
        delete_failed(str): the image at path could not be moved to the trash.
    """

    image_selected = Signal(str, str)
    reuse_requested = Signal(str)
    image_deleted = Signal(str)
    delete_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        tr = self.tr
        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setSpacing(4)
        self.list.setToolTip(tr("Every saved image; click one to show it"))

        self.reuse_button = _button(tr("Reuse"), tr("Fill the form with this image's settings"))
        self.copy_button = _button(tr("Copy"), tr("Copy the image to the clipboard"))
        self.reveal_button = _button(tr("Show in folder"), tr("Open the folder of this image"))
        self.delete_button = _button(tr("Delete"), tr("Move this image to the trash"))
        buttons = QHBoxLayout()
        for button in (self.reuse_button, self.copy_button, self.reveal_button,
                       self.delete_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(buttons)

        self._thumbnails: dict[str, QIcon] = {}
        self.list.currentItemChanged.connect(self._on_current_changed)
        self.reuse_button.clicked.connect(self._on_reuse_clicked)
        self.copy_button.clicked.connect(self._on_copy_clicked)
        self.reveal_button.clicked.connect(self._on_reveal_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self._update_buttons()

    def set_jobs(self, snapshots: list[JobSnapshot]) -> None:
        """Show the images of completed jobs (newest first) that still exist on disk."""
        entries = [
            (path, snapshot.job_id)
            for snapshot in snapshots
            if snapshot.state is JobState.COMPLETED
            for path in reversed(snapshot.result_paths)
        ]
        entries = [(path, job_id) for path, job_id in entries if Path(path).is_file()]
        if [self.list.item(row).data(PATH_ROLE) for row in range(self.list.count())] == [
            path for path, _ in entries
        ]:
            return
        current = self.selected_path()
        self.list.blockSignals(True)
        self.list.clear()
        for path, job_id in entries:
            item = QListWidgetItem(self._thumbnail(path), "")
            item.setData(PATH_ROLE, path)
            item.setData(JOB_ROLE, job_id)
            item.setToolTip(Path(path).name)
            self.list.addItem(item)
            if path == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self._update_buttons()

    def paths(self) -> list[str]:
        return [self.list.item(row).data(PATH_ROLE) for row in range(self.list.count())]

    def select_path(self, path: str) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(PATH_ROLE) == path:
                self.list.setCurrentRow(row)
                return

    def selected_path(self) -> str | None:
        item = self.list.currentItem()
        return item.data(PATH_ROLE) if item else None

    def _thumbnail(self, path: str) -> QIcon:
        icon = self._thumbnails.get(path)
        if icon is None:
            image = QImage(path)
            scaled = image.scaled(THUMBNAIL_SIZE, THUMBNAIL_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                                  Qt.TransformationMode.FastTransformation)
            icon = self._thumbnails[path] = QIcon(QPixmap.fromImage(scaled))
        return icon

    @Slot()
    def _update_buttons(self) -> None:
        has_selection = self.selected_path() is not None
        for button in (self.reuse_button, self.copy_button, self.reveal_button,
                       self.delete_button):
            button.setEnabled(has_selection)

    @Slot(QListWidgetItem, QListWidgetItem)
    def _on_current_changed(self, current: QListWidgetItem | None, previous: object) -> None:
        self._update_buttons()
        if current is not None:
            self.image_selected.emit(current.data(PATH_ROLE), current.data(JOB_ROLE))

    @Slot()
    def _on_reuse_clicked(self) -> None:
        if path := self.selected_path():
            self.reuse_requested.emit(path)

    @Slot()
    def _on_copy_clicked(self) -> None:
        if path := self.selected_path():
            QGuiApplication.clipboard().setImage(QImage(path))

    @Slot()
    def _on_reveal_clicked(self) -> None:
        if path := self.selected_path():
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent)))

    @Slot()
    def _on_delete_clicked(self) -> None:
        path = self.selected_path()
        if path is None:
            return
        if not QFile.moveToTrash(path):
            logger.error("Could not move %s to the trash", path)
            self.delete_failed.emit(path)
            return
        logger.info("Moved %s to the trash", path)
        self._thumbnails.pop(path, None)
        self.list.takeItem(self.list.currentRow())
        self.image_deleted.emit(path)


def _button(text: str, tooltip: str) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tooltip)
    return button
