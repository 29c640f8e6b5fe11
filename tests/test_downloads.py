"""Model downloads on the pool thread: file choice, byte progress, cancel, failure, dialog."""

from __future__ import annotations

import os

import threading
from pathlib import Path

import pytest
from huggingface_hub import try_to_load_from_cache
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from pixova_desktop.core.model_library import scan_hub_cache
from pixova_desktop.jobs import downloads
from pixova_desktop.jobs.downloads import DownloadManager, RepoFile, select_pipeline_files
from pixova_desktop.ui.download_dialog import DownloadDialog
from tests.conftest import HUB_CACHE
from tests.support.fake_hub import FakeHub

# Screenshots go to $PIXOVA_SCREENSHOT_DIR (for example docs/images) when it is set.
SCREENSHOT_DIR = os.environ.get("PIXOVA_SCREENSHOT_DIR", "")
SKIPPED_FILES = {
    "v1-5-pruned.ckpt": b"pickle",
    "sd-full.safetensors": b"single file",
    "unet/diffusion_pytorch_model.fp16.safetensors": b"variant",
    "unet/diffusion_pytorch_model.bin": b"pickle",
    "safety_checker/model.safetensors": b"checker",
}


@pytest.fixture
def manager(qapp: object) -> object:
    manager = DownloadManager()
    yield manager
    assert manager.shutdown(10_000), "the download pool did not finish"


def _fake_hub(monkeypatch: pytest.MonkeyPatch, repo_id: str, source: Path) -> FakeHub:
    hub = FakeHub(HUB_CACHE, repo_id, source, dict(SKIPPED_FILES))
    monkeypatch.setattr(downloads.hub_constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(downloads, "HfApi", hub.api)
    monkeypatch.setattr(downloads, "hf_hub_download", hub.hf_hub_download)
    return hub


def test_select_pipeline_files_skips_extras() -> None:
    files = [RepoFile(name, 1) for name in (
        "model_index.json", "v1-5-pruned.ckpt", "sd.safetensors", "README.md",
        "unet/config.json", "unet/diffusion_pytorch_model.safetensors",
        "unet/diffusion_pytorch_model.fp16.safetensors", "unet/diffusion_pytorch_model.bin",
        "text_encoder/model-00001-of-00002.safetensors", "text_encoder/model.safetensors.index.json",
        "tokenizer/merges.txt", "safety_checker/model.safetensors", "safety_checker/config.json",
    )]
    names = [repo_file.name for repo_file in select_pipeline_files(files)]
    assert names == [
        "unet/config.json", "unet/diffusion_pytorch_model.safetensors",
        "text_encoder/model-00001-of-00002.safetensors",
        "text_encoder/model.safetensors.index.json", "tokenizer/merges.txt", "model_index.json",
    ]


def test_download_completes_with_progress(
    qtbot: object, manager: DownloadManager, tiny_model_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hub = _fake_hub(monkeypatch, "pixova-tests/downloaded", tiny_model_dir)
    progress: list[tuple[int, int]] = []
    manager.download_progress.connect(lambda repo, done, total: progress.append((done, total)))
    with qtbot.waitSignal(manager.download_finished, timeout=30_000) as finished:
        assert manager.start("pixova-tests/downloaded")
    assert finished.args == ["pixova-tests/downloaded"]

    assert hub.requested[-1] == "model_index.json"
    assert not set(hub.requested) & set(SKIPPED_FILES)
    total = sum(len(data) for name, data in hub.files.items() if name not in SKIPPED_FILES)
    assert progress[0] == (0, total)
    assert progress[-1] == (total, total)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    assert "pixova-tests/downloaded" in {item.repo_id for item in scan_hub_cache()}
    assert isinstance(try_to_load_from_cache("pixova-tests/downloaded", "model_index.json"), str)


def test_cancel_leaves_model_unusable(
    qtbot: object, manager: DownloadManager, tiny_model_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cancel in the dialog stops the download; the window's timer keeps ticking meanwhile."""
    hub = _fake_hub(monkeypatch, "pixova-tests/cancelled", tiny_model_dir)
    hub.chunk_delay_s = 0.002
    hub.gate = threading.Event()
    hub.pause_after = 200_000
    ticks = [0]
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
    timer.start()

    dialog = DownloadDialog(manager, "pixova-tests/cancelled", "Cancelled model")
    dialog.show()
    qtbot.waitUntil(lambda: dialog.progress_bar.value() > 0, timeout=30_000)
    ticks_before = ticks[0]
    qtbot.waitUntil(lambda: ticks[0] >= ticks_before + 5, timeout=5_000)
    if SCREENSHOT_DIR:
        dialog.grab().save(str(Path(SCREENSHOT_DIR) / "download_dialog.png"))

    with qtbot.waitSignal(manager.download_cancelled, timeout=30_000):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
        hub.gate.set()
    timer.stop()

    assert dialog.result() == QDialog.DialogCode.Rejected
    assert "model_index.json" not in hub.requested
    assert "pixova-tests/cancelled" not in {item.repo_id for item in scan_hub_cache()}
    assert try_to_load_from_cache("pixova-tests/cancelled", "model_index.json") is None
    assert not manager.is_active("pixova-tests/cancelled")


def test_offline_download_fails_with_message(
    qtbot: object, manager: DownloadManager
) -> None:
    with qtbot.waitSignal(manager.download_failed, timeout=10_000) as failed:
        dialog = DownloadDialog(manager, "pixova-tests/offline")
    repo_id, message = failed.args
    assert repo_id == "pixova-tests/offline"
    assert message.startswith("Could not download pixova-tests/offline: offline mode is on")
    # The dialog's own slot is a queued call that may run just after the waitSignal returns.
    qtbot.waitUntil(lambda: dialog.message_label.text() == message, timeout=10_000)
    close = dialog.buttons.button(QDialogButtonBox.StandardButton.Close)
    assert close is not None
    close.click()
    assert dialog.result() == QDialog.DialogCode.Rejected
