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


def restore_builtin_import() -> bool:
    """Put back Python's own `builtins.__import__` in place of PySide6's feature hook.

    The hook runs Python code for every import statement, so it made the headless command's
    engine import (torch, diffusers and transformers, about 2,900 modules) 0.6 to 0.9 s
    slower. Only modules that select PySide6 features with `from __feature__ import ...`
    need it, and Pixova has none, so processes without widgets call this after importing
    QtCore. Returns whether the hook was replaced.
    """
    import builtins

    original = getattr(builtins, "__orig_import__", None)
    hook = getattr(builtins, "__feature_import__", None)
    if original is None or hook is None or builtins.__import__ is not hook:
        logger.debug("PySide6's import hook is not installed; nothing to restore")
        return False
    builtins.__import__ = original
    return True
