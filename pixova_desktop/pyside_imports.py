"""Keep PySide6's import hook from caching the source of every module imported after Qt."""

from __future__ import annotations

import logging
import sys
from types import ModuleType

logger = logging.getLogger(__name__)

_REPLACED_MARK = "_pixova_reads_bytes"


def stop_source_caching() -> bool:
    """Make PySide6's per-import check read module files without keeping their source.

    shiboken6 replaces `builtins.__import__` with a hook that calls
    `shibokensupport.feature._mod_uses_pyside(module)` for each newly imported module
    (PySide6 6.12). That check reads the whole source with `inspect.getsource`, which keeps
    every line in `linecache`: for torch, diffusers and transformers about 2,500 files and
    130 MiB of extra peak RSS, and a slower engine import (see docs/benchmarks.md). The
    replacement searches the `.py` file's bytes for the same "PySide6" string and caches
    nothing; other modules still go through the original check.

    Call it after the first PySide6 import. Returns whether the check was replaced.
    """
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if original is None:
        logger.debug("PySide6 has no _mod_uses_pyside check; nothing to replace")
        return False
    if getattr(original, _REPLACED_MARK, False):
        return True

    def mod_uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return original(module)
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return original(module)

    setattr(mod_uses_pyside, _REPLACED_MARK, True)
    feature._mod_uses_pyside = mod_uses_pyside  # type: ignore[union-attr]
    return True
