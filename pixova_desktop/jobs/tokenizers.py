"""Load the selected model's tokenizer off the GUI thread and count prompt tokens with it."""

from __future__ import annotations

import functools
import importlib
import logging
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from pixova_desktop.engine.native_libraries import preload_torch_libraries

logger = logging.getLogger(__name__)

# Tokenizers report a huge model_max_length when their config has none.
MAX_PLAUSIBLE_LIMIT = 100_000


class _LoadSignals(QObject):
    loaded = Signal(str, object)


class _LoadTokenizer(QRunnable):
    def __init__(self, model: str, signals: _LoadSignals) -> None:
        super().__init__()
        self._model = model
        self._signals = signals

    def run(self) -> None:
        # transformers' AutoTokenizer imports torch.
        preload_torch_libraries()
        tokens = importlib.import_module("pixova_desktop.engine.tokens")
        errors = importlib.import_module("pixova_desktop.engine.errors")
        try:
            tokenizer = tokens.load_tokenizer(self._model)
        except (OSError, ValueError, errors.EngineError) as error:
            logger.info("No tokenizer for %s: %s", self._model, error)
            tokenizer = None
        self._signals.loaded.emit(self._model, tokenizer)


class TokenCounter(QObject):
    """Counts prompt tokens with the tokenizer of the model last passed to `set_model`.

    Signals:
        tokenizer_changed: a tokenizer finished loading (or failed to); counts may change.
    """

    tokenizer_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = ""
        self._tokenizer: Any = None
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._signals = _LoadSignals(self)
        self._signals.loaded.connect(self._on_loaded)

    def set_model(self, model: str) -> None:
        if model == self._model:
            return
        self._model = model
        self._tokenizer = None
        # The load starts from the event loop: a window built now shows before the load
        # thread imports transformers and competes with it for the CPU and the GIL.
        QTimer.singleShot(0, self, functools.partial(self._start_load, model))

    def _start_load(self, model: str) -> None:
        if model == self._model:
            self._pool.start(_LoadTokenizer(model, self._signals))

    def count(self, text: str) -> tuple[int, int] | None:
        """Return (tokens, limit) for `text`, or None while no tokenizer is loaded."""
        if self._tokenizer is None:
            return None
        used = len(self._tokenizer(text, truncation=False)["input_ids"])
        limit = int(self._tokenizer.model_max_length)
        return used, limit if limit < MAX_PLAUSIBLE_LIMIT else 0

    def wait_for_idle(self, timeout_ms: int) -> bool:
        return self._pool.waitForDone(timeout_ms)

    def _on_loaded(self, model: str, tokenizer: Any) -> None:
        if model != self._model:
            return
        self._tokenizer = tokenizer
        self.tokenizer_changed.emit()
