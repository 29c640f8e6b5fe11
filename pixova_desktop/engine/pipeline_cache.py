"""Keep the last loaded pipeline so the next job with the same model skips loading."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import torch
from diffusers import DiffusionPipeline

from pixova_desktop.engine.device import choose_device, choose_dtype, release_memory
from pixova_desktop.engine.loader import load_pipeline
from pixova_desktop.engine.sources import ModelSource, resolve_source

logger = logging.getLogger(__name__)


@dataclass
class LoadedPipeline:
    """A pipeline on its device, with the scheduler it came with and how it was loaded."""

    pipeline: DiffusionPipeline
    source: ModelSource
    device: torch.device
    dtype: torch.dtype
    default_scheduler: Any
    load_seconds: float


class PipelineCache:
    """Holds at most one pipeline; asking for another model releases the old one first.

    `loads` counts real loads, so callers and tests can see reuse.
    """

    def __init__(self, device: str = "auto") -> None:
        self._device_preference = device
        self._current: LoadedPipeline | None = None
        self._lock = threading.Lock()
        self.loads = 0

    def get(self, model: str) -> LoadedPipeline:
        """Return the pipeline for `model`, loading it only if it is not the cached one."""
        source = resolve_source(model)
        device = choose_device(self._device_preference)
        dtype = choose_dtype(device)
        with self._lock:
            current = self._current
            if current and (current.source, current.device, current.dtype) == (
                source,
                device,
                dtype,
            ):
                logger.debug("Reusing the loaded %s", source.describe())
                return current
            self._release_locked()
            started = time.perf_counter()
            pipeline = load_pipeline(source, dtype)
            pipeline.to(device)
            pipeline.set_progress_bar_config(disable=True)
            self.loads += 1
            self._current = LoadedPipeline(
                pipeline=pipeline,
                source=source,
                device=device,
                dtype=dtype,
                default_scheduler=pipeline.scheduler,
                load_seconds=time.perf_counter() - started,
            )
            logger.info("Using %s on %s in %s", source.describe(), device, dtype)
            return self._current

    def release(self) -> None:
        """Drop the cached pipeline and free its memory."""
        with self._lock:
            self._release_locked()

    def _release_locked(self) -> None:
        if self._current is None:
            return
        device = self._current.device
        logger.info("Releasing %s", self._current.source.describe())
        self._current = None
        release_memory(device)
