"""Model discovery, architecture detection, the model picker and the engine options form."""

from __future__ import annotations

import os

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PySide6.QtWidgets import QMenu
from safetensors.torch import save_file

from pixova_desktop.core.model_architecture import (
    Architecture,
    checkpoint_architecture,
    pipeline_architecture,
    read_safetensors_header,
)
from pixova_desktop.core.model_library import (
    CURATED_MODELS,
    CachedPipeline,
    ModelSourceKind,
    discover_models,
    format_size,
)
from pixova_desktop.core.settings import EngineOptions
from pixova_desktop.ui.engine_options_widget import EngineOptionsWidget
from pixova_desktop.ui.model_picker import ModelPickerDialog
from tests.conftest import HUB_CACHE
from tests.support.hub_cache import prefill_hub_cache

# Screenshots go to $PIXOVA_SCREENSHOT_DIR (for example docs/images) when it is set.
SCREENSHOT_DIR = os.environ.get("PIXOVA_SCREENSHOT_DIR", "")


@pytest.fixture
def models_dir(tmp_path: Path, tiny_model_dir: Path, tiny_checkpoint: Path) -> Path:
    folder = tmp_path / "models"
    shutil.copytree(tiny_model_dir, folder / "tiny-folder")
    (folder / "checkpoints").mkdir()
    shutil.copy(tiny_checkpoint, folder / "checkpoints" / "tiny-checkpoint.safetensors")
    save_file({"lora_unet_mid.lora_down.weight": torch.zeros(2, 2)},
              str(folder / "style-lora.safetensors"))
    (folder / "notes.txt").write_text("not a model")
    return folder


def test_architecture_from_headers(tiny_model_dir: Path, tiny_checkpoint: Path) -> None:
    header = read_safetensors_header(tiny_checkpoint)
    assert not header.truncated
    assert checkpoint_architecture(header.keys) is Architecture.SD1
    assert checkpoint_architecture({"model.diffusion_model.x", "cond_stage_model.model.ln"}) \
        is Architecture.SD2
    assert checkpoint_architecture({"lora_te_text_model.lora_up.weight"}) is Architecture.LORA
    assert checkpoint_architecture({"encoder.conv_in.weight"}) is Architecture.VAE
    assert pipeline_architecture(tiny_model_dir) is Architecture.SD1


def test_pipeline_architecture_by_class(tmp_path: Path) -> None:
    for class_name, expected in (("StableDiffusionXLPipeline", Architecture.SDXL),
                                 ("FluxPipeline", Architecture.OTHER)):
        (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": class_name}))
        assert pipeline_architecture(tmp_path) is expected
    (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionPipeline"}))
    (tmp_path / "unet").mkdir()
    (tmp_path / "unet" / "config.json").write_text(json.dumps({"cross_attention_dim": 1024}))
    assert pipeline_architecture(tmp_path) is Architecture.SD2


def test_discovery_lists_every_source(models_dir: Path, tiny_model_dir: Path) -> None:
    snapshot = prefill_hub_cache(HUB_CACHE, "pixova-tests/library-sd", tiny_model_dir)
    cached = [CachedPipeline("pixova-tests/library-sd", snapshot, 1_800_000)]
    entries = discover_models(models_dir, cached)
    rows = {(entry.name, entry.architecture, entry.source) for entry in entries}
    assert ("pixova-tests/library-sd", "SD 1.x", ModelSourceKind.HUB_CACHE) in rows
    assert ("tiny-folder", "SD 1.x", ModelSourceKind.MODELS_FOLDER) in rows
    assert ("tiny-checkpoint", "SD 1.x", ModelSourceKind.MODELS_FOLDER) in rows
    assert ("style-lora", "LoRA", ModelSourceKind.MODELS_FOLDER) in rows
    downloadable = [entry for entry in entries if entry.needs_download]
    assert [entry.model for entry in downloadable] == [model.repo_id for model in CURATED_MODELS]
    assert all(entry.licence and entry.size_bytes for entry in downloadable)
    assert not any(entry.model.endswith("notes.txt") for entry in entries)


def test_cached_curated_model_not_downloadable(tmp_path: Path, tiny_model_dir: Path) -> None:
    snapshot = prefill_hub_cache(HUB_CACHE, "stabilityai/sdxl-turbo-copy", tiny_model_dir)
    entries = discover_models(tmp_path, [CachedPipeline("stabilityai/sdxl-turbo", snapshot, 10)])
    turbo = [entry for entry in entries if entry.model == "stabilityai/sdxl-turbo"]
    assert len(turbo) == 1
    assert turbo[0].source is ModelSourceKind.HUB_CACHE
    assert turbo[0].name == "SDXL-Turbo"


def test_scan_hub_cache_reads_real_cache(tiny_model_dir: Path, models_dir: Path) -> None:
    prefill_hub_cache(HUB_CACHE, "pixova-tests/scanned", tiny_model_dir)
    sources = {entry.model: entry.source for entry in discover_models(models_dir)}
    assert sources.get("pixova-tests/scanned") is ModelSourceKind.HUB_CACHE


def test_truncated_file_is_labelled(models_dir: Path, tiny_checkpoint: Path) -> None:
    data = tiny_checkpoint.read_bytes()
    (models_dir / "half.safetensors").write_bytes(data[: len(data) // 2])
    (models_dir / "junk.safetensors").write_bytes(b"\x00" * 4)
    labels = {entry.name: entry.architecture for entry in discover_models(models_dir, [])}
    assert labels["half"] == "SD 1.x (truncated)"
    assert labels["junk"] == "Unreadable"


def test_discovery_imports_no_torch() -> None:
    script = ("import sys\nfrom pixova_desktop.core.model_library import discover_models\n"
              "discover_models(__import__('pathlib').Path('.'))\n"
              "print('torch' in sys.modules, 'diffusers' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False False"


def test_format_size() -> None:
    assert format_size(None) == ""
    assert format_size(512) == "512 B"
    assert format_size(1_800_000) == "1.8 MB"
    assert format_size(5_200_000_000) == "5.2 GB"


def test_picker_returns_local_model(qtbot: object, models_dir: Path, tiny_model_dir: Path) -> None:
    snapshot = prefill_hub_cache(HUB_CACHE, "pixova-tests/library-sd", tiny_model_dir)
    cached = [CachedPipeline("pixova-tests/library-sd", snapshot, 1_800_000)]
    dialog = ModelPickerDialog(models_dir, discover=lambda folder: discover_models(folder, cached))
    qtbot.addWidget(dialog)
    dialog.show()
    names = [dialog.table.item(row, 0).text() for row in range(dialog.table.rowCount())]
    assert "tiny-checkpoint" in names
    assert "SD-Turbo" in names

    assert dialog.select_model("stabilityai/sd-turbo")
    assert dialog.download_button.isEnabled()
    assert not dialog.use_button.isEnabled()
    assert dialog.selected_model() == ""
    if SCREENSHOT_DIR:
        dialog.grab().save(str(Path(SCREENSHOT_DIR) / "model_picker.png"))

    checkpoint = str(models_dir / "checkpoints" / "tiny-checkpoint.safetensors")
    assert dialog.select_model(checkpoint)
    assert not dialog.download_button.isEnabled()
    dialog.use_button.click()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert dialog.selected_model() == checkpoint


def test_prompt_panel_has_library_action(qtbot: object) -> None:
    from pixova_desktop.ui.prompt_panel import PromptPanel

    panel = PromptPanel(Path("out"))
    qtbot.addWidget(panel)
    menu = panel.browse_button.menu()
    assert isinstance(menu, QMenu)
    assert "Model library…" in [action.text() for action in menu.actions()]


def test_engine_options_widget_round_trip(qtbot: object, tmp_path: Path) -> None:
    options = EngineOptions(device="cuda:1", dtype="bfloat16", vae_tiling=True,
                            safety_checker=True, models_dir=tmp_path)
    widget = EngineOptionsWidget(options)
    qtbot.addWidget(widget)
    assert widget.options() == options
    widget.dtype_combo.setCurrentIndex(widget.dtype_combo.findData("float32"))
    widget.low_vram_button.click()
    result = widget.options()
    assert result.dtype == "float32"
    assert result.device == "cuda:1"
    assert (result.attention_slicing, result.vae_slicing, result.vae_tiling) == (True,) * 3
    assert result.cpu_offload == "model"
    assert result.safety_checker is True
