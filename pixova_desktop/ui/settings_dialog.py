"""The settings dialog: output, file names, polling, previews, model defaults, engine options."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pixova_desktop.core import request as limits
from pixova_desktop.core.output import FILE_NAME_FIELDS
from pixova_desktop.core.settings import MAX_POLL_INTERVAL_MS, MIN_POLL_INTERVAL_MS, Settings
from pixova_desktop.ui.form_widgets import row, spin_box

logger = logging.getLogger(__name__)


class SettingsDialog(QDialog):
    """Edits a copy of `Settings`; `settings()` returns the result after the dialog is accepted."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        tr = self.tr
        self.setWindowTitle(tr("Settings"))
        self._original = settings

        # 1. General page.
        self.output_edit = QLineEdit(str(settings.output_dir))
        self.output_edit.setToolTip(tr("Folder where finished images are saved"))
        browse = QPushButton(tr("Browse…"))
        browse.setToolTip(tr("Choose the output folder"))
        browse.clicked.connect(self._on_browse_output)
        self.pattern_edit = QLineEdit(settings.file_name_pattern)
        fields = ", ".join("{" + name + "}" for name in FILE_NAME_FIELDS)
        self.pattern_edit.setToolTip(tr("File name without .png; fields: {0}").format(fields))
        self.poll_spin = QSpinBox()
        self.poll_spin.setRange(MIN_POLL_INTERVAL_MS, MAX_POLL_INTERVAL_MS)
        self.poll_spin.setSingleStep(100)
        self.poll_spin.setSuffix(" ms")
        self.poll_spin.setValue(settings.poll_interval_ms)
        self.poll_spin.setToolTip(tr("How often the window reads the state of running jobs"))
        self.previews_check = QCheckBox(tr("Show a preview at each step"))
        self.previews_check.setChecked(settings.previews)
        self.previews_check.setToolTip(tr("Previews cost a little time at each step"))
        self.model_edit = QLineEdit(settings.default_model)
        self.model_edit.setPlaceholderText(tr("Built-in demo model"))
        self.model_edit.setToolTip(tr("The model a new window starts with"))

        general = QWidget()
        form = QFormLayout(general)
        form.addRow(tr("Output folder"), row(self.output_edit, browse))
        form.addRow(tr("File name pattern"), self.pattern_edit)
        form.addRow(tr("Poll interval"), self.poll_spin)
        form.addRow("", self.previews_check)
        form.addRow(tr("Default model"), self.model_edit)

        # 2. Defaults page: 0 keeps what the model recommends.
        self.width_spin = spin_box(0, limits.MAX_SIZE, limits.SIZE_MULTIPLE, settings.default_width)
        self.height_spin = spin_box(0, limits.MAX_SIZE, limits.SIZE_MULTIPLE, settings.default_height)
        self.steps_spin = spin_box(0, limits.MAX_STEPS, 1, settings.default_steps)
        self.cfg_spin = QDoubleSpinBox()
        self.cfg_spin.setRange(0, limits.MAX_CFG)
        self.cfg_spin.setSingleStep(0.5)
        self.cfg_spin.setValue(settings.default_cfg_scale)
        for spin in (self.width_spin, self.height_spin, self.steps_spin, self.cfg_spin):
            spin.setSpecialValueText(tr("Model's choice"))
            spin.setToolTip(tr("Used when a model is chosen; the lowest value keeps the "
                               "model's recommendation"))
        defaults = QWidget()
        defaults_form = QFormLayout(defaults)
        defaults_form.addRow(tr("Width"), self.width_spin)
        defaults_form.addRow(tr("Height"), self.height_spin)
        defaults_form.addRow(tr("Steps"), self.steps_spin)
        defaults_form.addRow(tr("CFG scale"), self.cfg_spin)

        # 3. Tabs, the error line and the buttons.
        self.tabs = QTabWidget()
        self.tabs.addTab(general, tr("General"))
        self.tabs.addTab(defaults, tr("Defaults"))
        self.engine_widget = _engine_widget(settings)
        if self.engine_widget is not None:
            self.tabs.addTab(self.engine_widget, tr("Device and memory"))
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b3261e;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self._result = settings

    def settings(self) -> Settings:
        return self._result

    def accept(self) -> None:
        """Keep the dialog open with the reason when a value is invalid."""
        engine = self.engine_widget.options() if self.engine_widget else self._original.engine
        try:
            self._result = dataclasses.replace(
                self._original,
                output_dir=Path(self.output_edit.text().strip()),
                file_name_pattern=self.pattern_edit.text().strip(),
                poll_interval_ms=self.poll_spin.value(),
                previews=self.previews_check.isChecked(),
                default_model=self.model_edit.text().strip(),
                default_width=self.width_spin.value(),
                default_height=self.height_spin.value(),
                default_steps=self.steps_spin.value(),
                default_cfg_scale=self.cfg_spin.value(),
                engine=engine,
            )
        except ValueError as error:
            self.error_label.setText(str(error))
            return
        super().accept()

    @Slot()
    def _on_browse_output(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Choose the output folder"), self.output_edit.text()
        )
        if folder:
            self.output_edit.setText(folder)


def _engine_widget(settings: Settings) -> QWidget | None:
    try:
        from pixova_desktop.ui.engine_options_widget import EngineOptionsWidget
    except ImportError:
        return None
    return EngineOptionsWidget(settings.engine)
