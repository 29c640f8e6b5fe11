"""Errors the engine raises for the user to read; importing this module does not load torch."""

from __future__ import annotations


class EngineError(Exception):
    """A failure whose message is written for the user: what failed, on what, what to do."""


class ModelNotFoundError(EngineError):
    """The model path does not exist or the hub id is unknown."""


class ModelNotDownloadedError(EngineError):
    """The hub model is not in the local cache and the hub cannot be reached."""


class ModelLoadError(EngineError):
    """The model exists but could not be loaded (wrong layout, corrupt or unsupported file)."""


class GenerationCancelled(Exception):
    """Raised from the step callback to stop a running job; not an error."""


class EngineOptionsError(EngineError):
    """An engine option the chosen device cannot use, such as float16 on the CPU."""


class OutOfMemoryError(EngineError):
    """The device ran out of memory during a job; the engine has released what it could."""


class ImageFlaggedError(EngineError):
    """The safety checker flagged images of the job; they were not saved.

    `indices` are the flagged images' zero-based positions in the batch.
    """

    def __init__(self, message: str, indices: list[int]) -> None:
        super().__init__(message)
        self.indices = indices
