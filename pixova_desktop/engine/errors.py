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
