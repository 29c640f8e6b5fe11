"""Layer rules: imports point down, and the window starts without torch or diffusers."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# For each package: the modules it must not import at import time.
FORBIDDEN = {
    "pixova_desktop.core": ["torch", "diffusers", "transformers", "PySide6",
                            "pixova_desktop.engine", "pixova_desktop.jobs", "pixova_desktop.ui"],
    "pixova_desktop.engine": ["PySide6", "pixova_desktop.jobs", "pixova_desktop.ui"],
    "pixova_desktop.jobs": ["torch", "diffusers", "transformers", "PySide6.QtWidgets",
                            "PySide6.QtGui", "pixova_desktop.ui"],
    "pixova_desktop.ui": ["torch", "diffusers", "transformers"],
}
PACKAGE_MODULES = {
    "pixova_desktop.core": ["job", "logs", "metadata", "model_architecture", "model_library",
                            "models", "output", "paths", "request", "settings"],
    "pixova_desktop.engine": ["device", "errors", "library_logging", "loader", "native_libraries",
                              "pipeline_cache", "preview", "runner", "safety", "schedulers",
                              "sources", "tokens"],
    "pixova_desktop.jobs": ["downloads", "queue", "store", "tokenizers", "worker"],
    "pixova_desktop.ui": ["app", "canvas", "download_dialog", "engine_options_widget",
                          "form_widgets", "history_panel", "log_folder", "main_window", "model_picker",
                          "prompt_panel", "queue_panel", "settings_dialog", "settings_store"],
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_stay_in_layer(package: str) -> None:
    modules = [f"{package}.{name}" for name in PACKAGE_MODULES[package]]
    script = textwrap.dedent(f"""
        import importlib, sys
        for name in {modules!r}:
            importlib.import_module(name)
        bad = [m for m in {FORBIDDEN[package]!r} if m in sys.modules]
        print(",".join(bad))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{package} imported {result.stdout.strip()}"


def test_every_module_is_checked() -> None:
    from pathlib import Path

    import pixova_desktop

    root = Path(pixova_desktop.__file__).parent
    for package, names in PACKAGE_MODULES.items():
        folder = root / package.rsplit(".", 1)[1]
        found = sorted(path.stem for path in folder.glob("*.py") if path.stem != "__init__")
        assert found == sorted(names), f"update PACKAGE_MODULES for {package}"
