"""Preloading torch's shared libraries before `import torch`."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from pixova_desktop.engine import native_libraries


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_preload_then_import_torch() -> None:
    script = textwrap.dedent("""
        import sys
        from pixova_desktop.engine.native_libraries import preload_torch_libraries
        opened = preload_torch_libraries()
        maps = open("/proc/self/maps").read()
        print([path.name for path in opened])
        print("torch" in sys.modules)
        print("libtorch_cpu" in maps)
        print(preload_torch_libraries())
        import torch
        print(torch.arange(4).sum().item())
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "['libtorch_global_deps.so', 'libtorch.so']"
    assert lines[1] == "False", "preloading imported torch"
    assert lines[2] == "True", "libtorch_cpu is not loaded"
    assert lines[3] == "[]", "a second call opened the libraries again"
    assert lines[4] == "6"


def test_preload_after_torch_is_noop() -> None:
    import torch  # noqa: F401

    assert native_libraries.preload_torch_libraries() == []


def test_library_folder_without_torch(monkeypatch) -> None:
    monkeypatch.setattr(native_libraries.importlib.util, "find_spec", lambda name: None)

    assert native_libraries.torch_library_folder() is None
