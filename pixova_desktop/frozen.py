"""Start-up fixes for a bundled (PyInstaller) build, applied before any other app module imports."""

from __future__ import annotations

import logging
import os
import sys

logger = logging.getLogger(__name__)


def ensure_std_streams() -> None:
    """Replace a missing `sys.stdout` or `sys.stderr` with a writer to `os.devnull`.

    A windowed program (PyInstaller `console=False`, or `pythonw.exe` on Windows) starts with
    both set to None. tqdm, which diffusers and huggingface_hub use for progress bars, writes
    to `sys.stderr` and raises AttributeError on None, so this must run before they import.
    """
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
