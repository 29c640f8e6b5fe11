"""Broken, unsafe and unsupported models fail with a message naming the model and a next step."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import diffusers
import pytest
import torch
from huggingface_hub import errors as hub_errors
from safetensors.torch import load_file, save_file

from pixova_desktop.core.request import GenerationRequest
from pixova_desktop.engine import loader
from pixova_desktop.engine.errors import ModelLoadError, ModelNotFoundError
from pixova_desktop.engine.pipeline_cache import PipelineCache
from pixova_desktop.engine.runner import DiffusersEngine


class _CreatesMarker:
    """Unpickling this object opens `path` for writing, which creates the file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def _write_marker_pickle(path: Path, marker: Path) -> Path:
    with path.open("wb") as stream:
        pickle.dump({"state_dict": _CreatesMarker(marker)}, stream)
    return path


def _run(model: str) -> None:
    request = GenerationRequest("x", model=model, steps=1, width=64, height=64, seed=1)
    engine = DiffusersEngine(PipelineCache())
    list(engine.generate(request.validated(), lambda *args: None, lambda: False))


def _cli(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
                        "XDG_STATE_HOME": str(home / "state")}
    return subprocess.run([sys.executable, "-m", "pixova_desktop", "generate", "x", *args],
                          capture_output=True, text=True, env=env, timeout=300, check=False)


@pytest.fixture
def truncated_checkpoint(tiny_checkpoint: Path, tmp_path: Path) -> Path:
    data = tiny_checkpoint.read_bytes()
    path = tmp_path / "half.safetensors"
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.fixture
def missing_unet_key_checkpoint(tiny_checkpoint: Path, tmp_path: Path) -> Path:
    tensors = load_file(str(tiny_checkpoint))
    dropped = sorted(key for key in tensors if key.startswith("model.diffusion_model.out."))
    del tensors[dropped[0]]
    path = tmp_path / "missing-key.safetensors"
    save_file(tensors, str(path))
    return path


@pytest.fixture
def lora_file(tmp_path: Path) -> Path:
    path = tmp_path / "style-lora.safetensors"
    save_file({
        "lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight": torch.zeros(4, 16),
        "lora_unet_down_blocks_0_attentions_0_proj_in.lora_up.weight": torch.zeros(16, 4),
    }, str(path))
    return path


def test_pickle_checkpoint_is_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled-marker"
    for suffix in (".ckpt", ".pt", ".pth", ".bin"):
        model = _write_marker_pickle(tmp_path / f"model{suffix}", marker)
        with pytest.raises(ModelLoadError, match=r"Use a \.safetensors version") as caught:
            _run(str(model))
        assert "can run code when loaded" in str(caught.value)
        assert not marker.exists()


def test_pickle_weights_in_folder_are_not_loaded(tiny_model_dir: Path, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(tiny_model_dir, tmp_path / "pickled-unet"))
    marker = tmp_path / "unpickled-marker"
    (folder / "unet" / "diffusion_pytorch_model.safetensors").unlink()
    _write_marker_pickle(folder / "unet" / "diffusion_pytorch_model.bin", marker)
    with pytest.raises(ModelLoadError) as caught:
        _run(str(folder))
    assert str(folder) in str(caught.value)
    assert "pickle .bin weights are not loaded" in str(caught.value)
    assert not marker.exists()


def test_cli_pickle_is_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled-marker"
    model = _write_marker_pickle(tmp_path / "model.ckpt", marker)
    result = _cli(["--model", str(model)], tmp_path)
    assert result.returncode == 1
    assert "model.ckpt is a pickle-based checkpoint" in result.stderr
    assert ".safetensors version" in result.stderr
    assert "Traceback" not in result.stderr
    assert not marker.exists()


def test_truncated_checkpoint_says_truncated(truncated_checkpoint: Path) -> None:
    with pytest.raises(ModelLoadError) as caught:
        _run(str(truncated_checkpoint))
    message = str(caught.value)
    assert str(truncated_checkpoint) in message
    assert "is truncated" in message
    assert "download it again" in message


def test_garbage_checkpoint_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "garbage.safetensors"
    path.write_bytes(b"\xff" * 64)
    with pytest.raises(ModelLoadError, match="not a readable .safetensors file"):
        _run(str(path))


def test_missing_unet_key_says_incomplete(missing_unet_key_checkpoint: Path) -> None:
    with pytest.raises(ModelLoadError) as caught:
        _run(str(missing_unet_key_checkpoint))
    message = str(caught.value)
    assert f"{missing_unet_key_checkpoint} is incomplete" in message
    assert "weights are missing" in message
    assert "meta tensor" not in message


def test_lora_is_unsupported_architecture(lora_file: Path) -> None:
    with pytest.raises(ModelLoadError) as caught:
        _run(str(lora_file))
    message = str(caught.value)
    assert f"{lora_file} is a LoRA" in message
    assert "Choose a full model checkpoint" in message


def test_folder_without_model_index(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="is not a diffusers pipeline"):
        _run(str(tmp_path))


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "gone.safetensors"
    with pytest.raises(ModelNotFoundError, match=f"{missing} was not found"):
        _run(str(missing))


def test_unknown_hub_id_says_no_such_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Online, a hub id the hub does not know is reported as a spelling problem."""
    response = SimpleNamespace(status_code=404, headers={}, request=None)

    def not_found(*args: object, **kwargs: object) -> None:
        raise hub_errors.RepositoryNotFoundError("404 Repository Not Found", response=response)

    monkeypatch.setattr(loader.hub_constants, "HF_HUB_OFFLINE", False)
    # A hub id with no cached model_index.json loads through AutoPipelineForText2Image.
    monkeypatch.setattr(diffusers.AutoPipelineForText2Image, "from_pretrained", not_found)
    with pytest.raises(ModelNotFoundError) as caught:
        _run("pixova-tests/no-such-model")
    assert "has no model pixova-tests/no-such-model" in str(caught.value)
    assert "Check the spelling" in str(caught.value)


def test_errors_logged_with_traceback(
    missing_unet_key_checkpoint: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ModelLoadError):
        _run(str(missing_unet_key_checkpoint))
    records = [record for record in caplog.records if record.exc_info]
    assert any("Loading checkpoint" in record.getMessage() for record in records)


def test_cli_truncated_and_lora(truncated_checkpoint: Path, lora_file: Path,
                                tmp_path: Path) -> None:
    for model, expected in ((truncated_checkpoint, "is truncated"), (lora_file, "is a LoRA")):
        result = _cli(["--model", str(model), "--steps", "1"], tmp_path)
        assert result.returncode == 1
        assert expected in result.stderr
        assert str(model) in result.stderr
        assert "Traceback" not in result.stderr
