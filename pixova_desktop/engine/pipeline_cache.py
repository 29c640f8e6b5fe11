"""Keep the last loaded pipeline so the next job with the same model skips loading."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import torch
from diffusers import DiffusionPipeline

from pixova_desktop.core.settings import EngineOptions
from pixova_desktop.engine.device import (
    OUT_OF_MEMORY_ERRORS,
    apply_memory_options,
    choose_device,
    choose_dtype,
    release_memory,
)
from pixova_desktop.engine.errors import OutOfMemoryError
from pixova_desktop.engine.loader import load_pipeline
from pixova_desktop.engine.safety import SafetyChecker
from pixova_desktop.engine.sources import ModelSource, resolve_source

logger = logging.getLogger(__name__)


@dataclass
class LoadedPipeline:
    """A pipeline on its device, with the scheduler it came with and how it was loaded.

    `safety_checker` is None unless the options turn the checker on.
    """

    pipeline: DiffusionPipeline
    source: ModelSource
    device: torch.device
    dtype: torch.dtype
    default_scheduler: Any
    load_seconds: float
    options_key: tuple[object, ...] = ()
    safety_checker: SafetyChecker | None = None


class PipelineCache:
    """Holds at most one pipeline; asking for another model or other options releases it first.

    Args:
        options: device, precision, memory savers and safety checker; a string is taken as
            the device, with the other options at their defaults.

    `loads` counts real loads, so callers and tests can see reuse.
    """

    def __init__(self, options: EngineOptions | str | None = None) -> None:
        if isinstance(options, str):
            options = EngineOptions(device=options)
        self.options = options or EngineOptions()
        self._current: LoadedPipeline | None = None
        self._lock = threading.Lock()
        self.loads = 0

    def get(self, model: str) -> LoadedPipeline:
        """Return the pipeline for `model`, loading it only if it is not the cached one.

        Raises EngineError subclasses: the model's errors from `sources` and `loader`,
        EngineOptionsError for options the device cannot use, OutOfMemoryError.
        """
        source = resolve_source(model)
        device = choose_device(self.options.device)
        dtype = choose_dtype(device, self.options.dtype)
        key = _options_key(self.options)
        with self._lock:
            current = self._current
            if current and (current.source, current.device, current.dtype, current.options_key) == (
                source,
                device,
                dtype,
                key,
            ):
                logger.debug("Reusing the loaded %s", source.describe())
                return current
            self._release_locked()
            try:
                self._current = self._load_locked(source, device, dtype, key)
            except OUT_OF_MEMORY_ERRORS as error:
                logger.exception("Out of memory while loading %s on %s", source.describe(), device)
                release_memory(device)
                raise OutOfMemoryError(
                    f"{device} ran out of memory while loading {source.location}. Turn on the "
                    "low VRAM preset in the engine settings, or close other programs that use "
                    "the GPU."
                ) from error
            return self._current

    def release(self) -> None:
        """Drop the cached pipeline and free its memory."""
        with self._lock:
            self._release_locked()

    def _load_locked(
        self, source: ModelSource, device: torch.device, dtype: torch.dtype, key: tuple[object, ...]
    ) -> LoadedPipeline:
        started = time.perf_counter()
        pipeline = load_pipeline(source, dtype)
        apply_memory_options(pipeline, self.options, device)
        pipeline.set_progress_bar_config(disable=True)
        checker = SafetyChecker.load(device, dtype) if self.options.safety_checker else None
        self.loads += 1
        loaded = LoadedPipeline(
            pipeline=pipeline,
            source=source,
            device=device,
            dtype=dtype,
            default_scheduler=pipeline.scheduler,
            load_seconds=time.perf_counter() - started,
            options_key=key,
            safety_checker=checker,
        )
        logger.info(
            "Using %s on %s in %s, ready after %.2f s (safety checker %s)",
            source.describe(),
            device,
            str(dtype).replace("torch.", ""),
            loaded.load_seconds,
            "on" if checker else "off",
        )
        return loaded

    def _release_locked(self) -> None:
        if self._current is None:
            return
        device = self._current.device
        logger.info("Releasing %s", self._current.source.describe())
        self._current = None
        release_memory(device)


def _options_key(options: EngineOptions) -> tuple[object, ...]:
    """Return the options that change a loaded pipeline; the models folder does not."""
    values = dataclasses.asdict(options)
    values.pop("models_dir", None)
    return tuple(sorted(values.items()))
