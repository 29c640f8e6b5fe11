"""Open torch's shared libraries with the GIL released, before `import torch`.

`import torch` opens several hundred megabytes of shared libraries. CPython holds the GIL
while `import` or `ctypes.CDLL` opens a library, so a worker thread importing torch stops
every other Python thread, the GUI thread included, until the libraries' static
initialisers have run: 0.35 s measured on a 2-core EPYC. A call through a ctypes function
pointer releases the GIL, so calling the C library's `dlopen` that way loads the same
libraries while the GUI thread keeps running. torch's own import then finds them loaded.

This module must not import torch. It does nothing on Windows, where torch already opens
its DLLs through ctypes calls that release the GIL.
"""

from __future__ import annotations

import ctypes
import importlib.util
import logging
import os
import sys
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

# The libraries in the order and with the flags torch uses: torch/__init__.py opens
# libtorch_global_deps with RTLD_GLOBAL, then importing torch._C opens libtorch and its
# dependencies (libtorch_cpu, libc10 and, in CUDA builds, libtorch_cuda) with
# Python's default RTLD_LOCAL. libtorch_python is left to the import: its initialisers
# use the Python C API, which needs the GIL.
# NOTE: only the Linux CPU build was run. CUDA and macOS builds use the same file names,
# but a failure there is logged and left to `import torch`.
_LIBRARIES = (("libtorch_global_deps", True), ("libtorch", False))

_lock = threading.Lock()
_preloaded = False


def torch_library_folder() -> Path | None:
    """Return torch's `lib` folder without importing torch, or None if torch is missing."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "lib"
    return folder if folder.is_dir() else None


def _dlopen_function():
    """Return the C library's `dlopen` and `dlerror` as ctypes functions."""
    libc = ctypes.CDLL(None)
    dlopen = libc.dlopen
    dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    dlopen.restype = ctypes.c_void_p
    dlerror = libc.dlerror
    dlerror.argtypes = []
    dlerror.restype = ctypes.c_char_p
    return dlopen, dlerror


def preload_torch_libraries() -> list[Path]:
    """Open torch's main shared libraries with the GIL released and return the ones opened.

    Returns an empty list, having done nothing, on Windows, when torch is already imported,
    when an earlier call preloaded them, or when torch is not installed. When a library
    fails to open, the failure is logged and the rest are left to `import torch`, which
    then reports the real problem.
    """
    global _preloaded
    if sys.platform == "win32" or "torch" in sys.modules:
        return []
    with _lock:
        if _preloaded:
            return []
        _preloaded = True
        folder = torch_library_folder()
        if folder is None:
            return []
        suffix = ".dylib" if sys.platform == "darwin" else ".so"
        dlopen, dlerror = _dlopen_function()
        opened: list[Path] = []
        for name, make_global in _LIBRARIES:
            path = folder / f"{name}{suffix}"
            if not path.is_file():
                continue
            flags = os.RTLD_NOW | (os.RTLD_GLOBAL if make_global else os.RTLD_LOCAL)
            if not dlopen(os.fsencode(path), flags):
                message = (dlerror() or b"").decode(errors="replace")
                logger.info("Failed to preload %s (%s). import torch will open it instead.",
                            path, message)
                break
            opened.append(path)
        logger.debug("Preloaded %s", [path.name for path in opened])
        return opened
