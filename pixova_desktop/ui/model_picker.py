"""The model library dialog: every local and downloadable model, with a Download button."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pixova_desktop.core.model_library import ModelEntry, discover_models, format_size
from pixova_desktop.jobs.downloads import DownloadManager
from pixova_desktop.ui.download_dialog import DownloadDialog

logger = logging.getLogger(__name__)

COLUMNS = ("Name", "Architecture", "Source", "Size", "Licence")


class ModelPickerDialog(QDialog):
    """Lists the models `discover_models` finds; "Use model" returns the chosen model string.

    Args:
        models_dir: the models folder to scan (`EngineOptions.models_dir`).
        manager: the download manager; one is created when None.
        discover: the listing function, replaceable in tests.
    """

    def __init__(
        self,
        models_dir: Path,
        manager: DownloadManager | None = None,
        discover: Callable[[Path], list[ModelEntry]] = discover_models,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._models_dir = Path(models_dir)
        self._manager = manager or DownloadManager(self)
        self._discover = discover
        self._entries: list[ModelEntry] = []
        self.setWindowTitle(self.tr("Model library"))
        self.resize(760, 380)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr(name) for name in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        self.table.itemDoubleClicked.connect(self._on_item_double_clicked)

        self.hint_label = QLabel(
            self.tr("Models folder: {0}. Put .safetensors checkpoints or diffusers folders "
                    "there.").format(self._models_dir)
        )
        self.hint_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.download_button = QPushButton(self.tr("Download"))
        self.download_button.setToolTip(self.tr("Download the model into the Hugging Face cache"))
        self.use_button = QPushButton(self.tr("Use model"))
        self.use_button.setDefault(True)
        self.buttons.addButton(self.download_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.use_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.download_button.clicked.connect(self._on_download_clicked)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.buttons)
        self.refresh()

    def refresh(self) -> None:
        """List the models again, keeping the selected model selected when it is still there."""
        selected = self.selected_entry()
        self._entries = self._discover(self._models_dir)
        self.table.setRowCount(len(self._entries))
        for row, entry in enumerate(self._entries):
            values = (
                entry.name,
                entry.architecture,
                self.tr(entry.source.value),
                format_size(entry.size_bytes),
                entry.licence,
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(entry.model)
                if column == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        rows = [row for row, entry in enumerate(self._entries)
                if selected is not None and entry.model == selected.model]
        self.table.selectRow(rows[0] if rows else 0)
        self._on_selection_changed()

    def entries(self) -> list[ModelEntry]:
        return list(self._entries)

    def selected_entry(self) -> ModelEntry | None:
        rows = self.table.selectionModel().selectedRows() if self._entries else []
        return self._entries[rows[0].row()] if rows else None

    def selected_model(self) -> str:
        """Return the model string of the selected, usable entry, or "" when there is none."""
        entry = self.selected_entry()
        return entry.model if entry is not None and not entry.needs_download else ""

    def select_model(self, model: str) -> bool:
        """Select the row whose model string is `model`; return whether there is one."""
        for row, entry in enumerate(self._entries):
            if entry.model == model:
                self.table.selectRow(row)
                return True
        return False

    @Slot()
    def _on_selection_changed(self) -> None:
        entry = self.selected_entry()
        needs_download = entry is not None and entry.needs_download
        self.download_button.setEnabled(needs_download)
        self.use_button.setEnabled(entry is not None and not needs_download)

    @Slot(QTableWidgetItem)
    def _on_item_double_clicked(self, item: QTableWidgetItem) -> None:
        if self.selected_model():
            self.accept()

    @Slot()
    def _on_download_clicked(self) -> None:
        entry = self.selected_entry()
        if entry is None or not entry.needs_download:
            return
        dialog = DownloadDialog(self._manager, entry.model, entry.name, self)
        dialog.exec()
        self.refresh()
        if dialog.result() == QDialog.DialogCode.Accepted:
            self.select_model(entry.model)
