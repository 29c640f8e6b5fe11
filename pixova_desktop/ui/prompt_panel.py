"""The form where the artist writes a prompt and sets the generation parameters."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QRegularExpression, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pixova_desktop.core import request as limits
from pixova_desktop.core.models import ModelDefaults, default_model, model_defaults
from pixova_desktop.core.request import GenerationRequest
from pixova_desktop.core.settings import Settings, default_models_dir
from pixova_desktop.jobs.tokenizers import TokenCounter
from pixova_desktop.ui.form_widgets import row, spin_box

MODEL_FILE_FILTER = "Checkpoints (*.safetensors);;All files (*)"


class PromptEdit(QPlainTextEdit):
    """A plain text box that leaves Ctrl+Return to the window's Generate shortcut."""

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
            if ctrl and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                event.ignore()
                return False
        return super().event(event)


class PromptPanel(QWidget):
    """Prompt, negative prompt, model, sampling parameters and the Generate button.

    Signals:
        generate_requested: the user pressed Generate.
        stop_requested: the user pressed Stop.
        output_dir_changed(str): the user chose another output folder.
    """

    generate_requested = Signal()
    stop_requested = Signal()
    output_dir_changed = Signal(str)

    def __init__(
        self,
        output_dir: Path,
        token_counter: TokenCounter | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings_defaults: Settings | None = None
        self._token_counter = token_counter
        self._build_widgets(output_dir)
        self._build_layout()
        self.model_edit.editingFinished.connect(self._on_model_edited)
        self.prompt_edit.textChanged.connect(self._update_token_count)
        if token_counter is not None:
            token_counter.tokenizer_changed.connect(self._update_token_count)
            token_counter.set_model(self.model())
        self.random_seed.toggled.connect(self._on_random_seed_toggled)
        self.generate_button.clicked.connect(self.generate_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self._on_random_seed_toggled(self.random_seed.isChecked())

    def _build_widgets(self, output_dir: Path) -> None:
        tr = self.tr
        self.prompt_edit = PromptEdit()
        self.prompt_edit.setPlaceholderText(tr("Describe the image, e.g. a red circle on a white background"))
        self.prompt_edit.setToolTip(tr("What to draw (Ctrl+Return generates)"))
        self.token_label = QLabel()
        self.token_label.setToolTip(tr("Prompt length in the model's tokens"))
        self.token_label.setWordWrap(True)
        self.negative_edit = PromptEdit()
        self.negative_edit.setPlaceholderText(tr("What to avoid (optional)"))
        self.negative_edit.setToolTip(tr("Negative prompt: what the image should not contain"))
        self.negative_edit.setMaximumHeight(70)

        self.model_edit = QLineEdit()
        self.model_edit.setPlaceholderText(tr("Built-in demo model"))
        self.model_edit.setToolTip(
            tr("A diffusers folder, a .safetensors checkpoint or a Hugging Face hub id; "
               "empty uses the built-in model")
        )
        self.browse_button = QToolButton()
        self.browse_button.setText(tr("Browse…"))
        self.browse_button.setToolTip(tr("Choose a model folder or checkpoint file"))
        self.browse_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.browse_button)
        menu.addAction(tr("Diffusers folder…"), self._on_browse_folder)
        menu.addAction(tr("Checkpoint file…"), self._on_browse_file)
        menu.addAction(tr("Model library…"), self._on_open_model_library)
        self.browse_button.setMenu(menu)

        self.sampler_combo = QComboBox()
        self.sampler_combo.addItem(tr("Model default"), "")
        for name in limits.SAMPLER_NAMES:
            self.sampler_combo.addItem(name, name)
        self.sampler_combo.setToolTip(tr("The sampler (scheduler) that removes the noise"))

        self.steps_spin = spin_box(limits.MIN_STEPS, limits.MAX_STEPS, 1, tooltip=tr("Denoising steps"))
        self.cfg_spin = QDoubleSpinBox()
        self.cfg_spin.setRange(limits.MIN_CFG, limits.MAX_CFG)
        self.cfg_spin.setSingleStep(0.5)
        self.cfg_spin.setDecimals(1)
        self.cfg_spin.setToolTip(tr("CFG scale: how strongly the image follows the prompt"))
        size_tip = tr("Image {0} in pixels, a multiple of {1}")
        self.width_spin = spin_box(limits.MIN_SIZE, limits.MAX_SIZE, limits.SIZE_MULTIPLE,
                                tooltip=size_tip.format(tr("width"), limits.SIZE_MULTIPLE))
        self.height_spin = spin_box(limits.MIN_SIZE, limits.MAX_SIZE, limits.SIZE_MULTIPLE,
                                 tooltip=size_tip.format(tr("height"), limits.SIZE_MULTIPLE))

        self.seed_edit = QLineEdit("0")
        self.seed_edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,10}")))
        self.seed_edit.setToolTip(tr("Seed from 0 to {0}; the same seed gives the same image")
                                  .format(limits.MAX_SEED))
        self.random_seed = QCheckBox(tr("Random"))
        self.random_seed.setChecked(True)
        self.random_seed.setToolTip(tr("Pick a new random seed for each job"))
        self.batch_spin = spin_box(limits.MIN_BATCH, limits.MAX_BATCH, 1,
                                tooltip=tr("Number of images, with seeds seed, seed + 1, …"))

        self.output_edit = QLineEdit(str(output_dir))
        self.output_edit.setReadOnly(True)
        self.output_edit.setToolTip(tr("Finished images are saved here as PNG files"))
        self.output_button = QPushButton(tr("Change…"))
        self.output_button.setToolTip(tr("Choose the output folder"))
        self.output_button.clicked.connect(self._on_choose_output_dir)

        self.generate_button = QPushButton(tr("Generate"))
        self.generate_button.setToolTip(tr("Queue a job with these settings (Ctrl+Return)"))
        self.generate_button.setDefault(True)
        self.stop_button = QPushButton(tr("Stop"))
        self.stop_button.setToolTip(tr("Stop the running job (Esc)"))
        self.model_hint = QLabel()
        self.model_hint.setWordWrap(True)

    def _build_layout(self) -> None:
        tr = self.tr
        form = QFormLayout()
        form.addRow(tr("Prompt"), self.prompt_edit)
        form.addRow("", self.token_label)
        form.addRow(tr("Negative"), self.negative_edit)
        form.addRow(tr("Model"), row(self.model_edit, self.browse_button))
        form.addRow("", self.model_hint)
        form.addRow(tr("Sampler"), self.sampler_combo)
        form.addRow(tr("Steps"), self.steps_spin)
        form.addRow(tr("CFG scale"), self.cfg_spin)
        form.addRow(tr("Size"), row(self.width_spin, QLabel("×"), self.height_spin))
        form.addRow(tr("Seed"), row(self.seed_edit, self.random_seed))
        form.addRow(tr("Images"), self.batch_spin)
        form.addRow(tr("Output"), row(self.output_edit, self.output_button))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(row(self.generate_button, self.stop_button))
        layout.addStretch(1)
        self.apply_model_defaults(self.model())

    def model(self) -> str:
        return self.model_edit.text().strip() or default_model()

    def request(self) -> GenerationRequest:
        """Return the request the form describes; `validated()` checks it later."""
        seed_text = self.seed_edit.text().strip()
        seed = None if self.random_seed.isChecked() or not seed_text else int(seed_text)
        return GenerationRequest(
            prompt=self.prompt_edit.toPlainText(),
            negative_prompt=self.negative_edit.toPlainText(),
            model=self.model_edit.text().strip(),
            steps=self.steps_spin.value(),
            cfg_scale=self.cfg_spin.value(),
            width=self.width_spin.value(),
            height=self.height_spin.value(),
            seed=seed,
            scheduler=self.sampler_combo.currentData(),
            batch_count=self.batch_spin.value(),
        )

    def apply_model_defaults(self, model: str) -> None:
        """Set size, steps and CFG to what suits `model`, and describe it under the field.

        Defaults set in the settings dialog win over the model's recommendation.
        """
        defaults: ModelDefaults = model_defaults(model)
        chosen = self._settings_defaults
        self.width_spin.setValue((chosen and chosen.default_width) or defaults.width)
        self.height_spin.setValue((chosen and chosen.default_height) or defaults.height)
        self.steps_spin.setValue((chosen and chosen.default_steps) or defaults.steps)
        self.cfg_spin.setValue((chosen and chosen.default_cfg_scale) or defaults.cfg_scale)
        self.model_hint.setText(defaults.description)
        self.model_hint.setVisible(bool(defaults.description))
        if self._token_counter is not None:
            self._token_counter.set_model(model)

    def apply_settings(self, settings: Settings) -> None:
        """Use the default model and sizes of `settings` for models chosen from now on."""
        self._settings_defaults = settings
        self.model_edit.setPlaceholderText(
            settings.default_model or self.tr("Built-in demo model")
        )
        self.set_output_dir(str(settings.output_dir))

    def apply_request(self, request: GenerationRequest) -> None:
        """Fill every field from `request`, with its seed fixed so the image can be remade."""
        self.prompt_edit.setPlainText(request.prompt)
        self.negative_edit.setPlainText(request.negative_prompt)
        self.model_edit.setText(request.model)
        index = self.sampler_combo.findData(request.scheduler)
        self.sampler_combo.setCurrentIndex(max(index, 0))
        self.steps_spin.setValue(request.steps)
        self.cfg_spin.setValue(request.cfg_scale)
        self.width_spin.setValue(request.width)
        self.height_spin.setValue(request.height)
        self.batch_spin.setValue(request.batch_count)
        if request.seed is None:
            self.random_seed.setChecked(True)
        else:
            self.random_seed.setChecked(False)
            self.seed_edit.setText(str(request.seed))
        if self._token_counter is not None:
            self._token_counter.set_model(self.model())

    @Slot()
    def _update_token_count(self) -> None:
        counted = self._token_counter.count(self.prompt_edit.toPlainText()) if (
            self._token_counter is not None) else None
        if counted is None:
            self.token_label.clear()
            self.token_label.setStyleSheet("")
            return
        used, limit = counted
        if limit and used > limit:
            self.token_label.setText(
                self.tr("{0} of {1} tokens: this model reads only the first {1}, so the rest "
                        "of the prompt is ignored.").format(used, limit)
            )
            self.token_label.setStyleSheet("color: #b3261e;")
        else:
            self.token_label.setText(
                self.tr("{0} of {1} tokens").format(used, limit) if limit
                else self.tr("{0} tokens").format(used)
            )
            self.token_label.setStyleSheet("")

    def set_output_dir(self, folder: str) -> None:
        self.output_edit.setText(folder)

    @Slot()
    def _on_model_edited(self) -> None:
        self.apply_model_defaults(self.model())

    @Slot(bool)
    def _on_random_seed_toggled(self, checked: bool) -> None:
        self.seed_edit.setEnabled(not checked)

    @Slot()
    def _on_browse_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a diffusers model folder"))
        if folder:
            self.model_edit.setText(folder)
            self._on_model_edited()

    @Slot()
    def _on_browse_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose a checkpoint file"), "", self.tr(MODEL_FILE_FILTER)
        )
        if path:
            self.model_edit.setText(path)
            self._on_model_edited()

    @Slot()
    def _on_open_model_library(self) -> None:
        from pixova_desktop.ui.model_picker import ModelPickerDialog

        settings = self._settings_defaults
        models_dir = settings.engine.models_dir if settings else default_models_dir()
        dialog = ModelPickerDialog(models_dir, parent=self)
        dialog.select_model(self.model_edit.text().strip())
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.selected_model():
            self.model_edit.setText(dialog.selected_model())
            self._on_model_edited()

    @Slot()
    def _on_choose_output_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Choose the output folder"), self.output_edit.text()
        )
        if folder:
            self.set_output_dir(folder)
            self.output_dir_changed.emit(folder)
