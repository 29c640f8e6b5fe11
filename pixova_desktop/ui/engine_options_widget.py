"""The engine settings form: device, precision, memory savers, safety checker, models folder."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from pixova_desktop.core.settings import EngineOptions, low_vram_options

# (value stored in EngineOptions, label shown); the labels are translated when shown.
DEVICE_CHOICES = (("auto", "Automatic (GPU if present)"), ("cuda", "CUDA GPU"),
                  ("mps", "Apple GPU (MPS)"), ("cpu", "CPU"))
DTYPE_CHOICES = (("auto", "Automatic (float16 on CUDA, else float32)"), ("float16", "float16"),
                 ("bfloat16", "bfloat16"), ("float32", "float32"))
OFFLOAD_CHOICES = (("none", "None"), ("model", "Model (moves each part to the GPU in turn)"),
                   ("sequential", "Sequential (least memory, slowest)"))


class EngineOptionsWidget(QWidget):
    """Edits a copy of `options`; `options()` returns the values the form shows.

    The device combo box is editable, so "cuda:1" and other device names can be typed.
    """

    def __init__(self, options: EngineOptions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        tr = self.tr
        self._initial = options

        self.device_combo = _combo(self, DEVICE_CHOICES)
        self.device_combo.setEditable(True)
        self.device_combo.setToolTip(tr("Where pipelines run; type cuda:N for another GPU"))
        self.dtype_combo = _combo(self, DTYPE_CHOICES)
        self.dtype_combo.setToolTip(
            tr("Precision of the weights; float16 needs a GPU, bfloat16 a recent one or the CPU")
        )
        self.offload_combo = _combo(self, OFFLOAD_CHOICES)
        self.offload_combo.setToolTip(
            tr("Keep weights in system memory and move them to the GPU when needed")
        )
        self.attention_slicing = QCheckBox(tr("Attention slicing"))
        self.attention_slicing.setToolTip(tr("Compute attention in slices: less memory, slower"))
        self.vae_slicing = QCheckBox(tr("VAE slicing"))
        self.vae_slicing.setToolTip(tr("Decode images one at a time: less memory"))
        self.vae_tiling = QCheckBox(tr("VAE tiling"))
        self.vae_tiling.setToolTip(tr("Decode large images in tiles: less memory, may show seams"))
        self.safety_checker = QCheckBox(tr("Safety checker"))
        self.safety_checker.setToolTip(
            tr("Check each image with the CompVis safety checker and do not save flagged ones")
        )
        self.low_vram_button = QPushButton(tr("Low VRAM preset"))
        self.low_vram_button.setToolTip(
            tr("Turn on attention and VAE slicing, VAE tiling and model CPU offload")
        )
        self.low_vram_button.clicked.connect(self._on_low_vram_clicked)
        self.models_dir_edit = QLineEdit()
        self.models_dir_edit.setToolTip(
            tr("Folder the model library scans for .safetensors files and diffusers folders")
        )
        self.models_dir_button = QPushButton(tr("Change…"))
        self.models_dir_button.clicked.connect(self._on_choose_models_dir)

        savers = QWidget()
        savers_layout = QHBoxLayout(savers)
        savers_layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.attention_slicing, self.vae_slicing, self.vae_tiling,
                       self.low_vram_button):
            savers_layout.addWidget(widget)
        models_row = QWidget()
        models_layout = QHBoxLayout(models_row)
        models_layout.setContentsMargins(0, 0, 0, 0)
        models_layout.addWidget(self.models_dir_edit)
        models_layout.addWidget(self.models_dir_button)

        form = QFormLayout(self)
        form.addRow(tr("Device"), self.device_combo)
        form.addRow(tr("Precision"), self.dtype_combo)
        form.addRow(tr("CPU offload"), self.offload_combo)
        form.addRow(tr("Memory savers"), savers)
        form.addRow(tr("Safety"), self.safety_checker)
        form.addRow(tr("Models folder"), models_row)
        self.set_options(options)

    def set_options(self, options: EngineOptions) -> None:
        _select(self.device_combo, options.device)
        _select(self.dtype_combo, options.dtype)
        _select(self.offload_combo, options.cpu_offload)
        self.attention_slicing.setChecked(options.attention_slicing)
        self.vae_slicing.setChecked(options.vae_slicing)
        self.vae_tiling.setChecked(options.vae_tiling)
        self.safety_checker.setChecked(options.safety_checker)
        self.models_dir_edit.setText(str(options.models_dir))

    def options(self) -> EngineOptions:
        """Return the options the form shows; fields it does not show keep their values."""
        models_dir = self.models_dir_edit.text().strip()
        return dataclasses.replace(
            self._initial,
            device=_value(self.device_combo),
            dtype=_value(self.dtype_combo),
            cpu_offload=_value(self.offload_combo),
            attention_slicing=self.attention_slicing.isChecked(),
            vae_slicing=self.vae_slicing.isChecked(),
            vae_tiling=self.vae_tiling.isChecked(),
            safety_checker=self.safety_checker.isChecked(),
            models_dir=Path(models_dir) if models_dir else self._initial.models_dir,
        )

    @Slot()
    def _on_low_vram_clicked(self) -> None:
        self.set_options(low_vram_options(self.options()))

    @Slot()
    def _on_choose_models_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Choose the models folder"), self.models_dir_edit.text()
        )
        if folder:
            self.models_dir_edit.setText(folder)


def _combo(owner: QWidget, choices: tuple[tuple[str, str], ...]) -> QComboBox:
    combo = QComboBox()
    for value, label in choices:
        combo.addItem(owner.tr(label), value)
    return combo


def _select(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    if index >= 0:
        combo.setCurrentIndex(index)
    elif combo.isEditable():
        combo.setEditText(value)


def _value(combo: QComboBox) -> str:
    """Return the selected item's value, or the typed text of an editable combo box."""
    index = combo.currentIndex()
    if index >= 0 and combo.itemText(index) == combo.currentText():
        return str(combo.itemData(index))
    return combo.currentText().strip() or "auto"
