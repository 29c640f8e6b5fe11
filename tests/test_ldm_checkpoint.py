"""Round-trip tests for the LDM-layout checkpoint exporter against diffusers' single-file loader."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from diffusers import AutoencoderKL, StableDiffusionPipeline, UNet2DConditionModel
from diffusers.loaders.single_file_utils import convert_ldm_unet_checkpoint, convert_ldm_vae_checkpoint
from safetensors import safe_open
from safetensors.torch import load_file

from tests.support.ldm_checkpoint import build_tiny_pipeline, export_ldm_checkpoint, unet_to_ldm, vae_to_ldm

COMPONENTS = ("unet", "vae", "text_encoder")
REPO_ROOT = Path(__file__).resolve().parents[1]


class _RecordCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _assert_same_state_dict(converted: dict[str, torch.Tensor], original: dict[str, torch.Tensor]) -> None:
    assert converted.keys() == original.keys()
    different = [key for key in original if not torch.equal(converted[key], original[key])]
    assert different == []


@pytest.fixture(scope="module")
def tiny_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("tiny_sd")
    folder = build_tiny_pipeline(root / "pipeline")
    checkpoint = export_ldm_checkpoint(folder, root / "tiny-sd1.safetensors")
    return folder, checkpoint


@pytest.fixture(scope="module")
def loaded_pipelines(tiny_files: tuple[Path, Path]) -> dict:
    """Load the folder with from_pretrained and the checkpoint with from_single_file, with sockets disabled."""
    folder, checkpoint = tiny_files
    collector = _RecordCollector()
    loggers = [logging.getLogger("diffusers"), logging.getLogger("transformers")]
    for logger in loggers:
        logger.addHandler(collector)

    def reject_connect(*args, **kwargs):
        raise OSError("Network connection blocked during the offline load")

    original_connect = socket.socket.connect
    socket.socket.connect = reject_connect
    try:
        with warnings.catch_warnings(record=True) as python_warnings:
            warnings.simplefilter("always")
            single_file = StableDiffusionPipeline.from_single_file(
                str(checkpoint), config=str(folder), local_files_only=True
            )
        reference = StableDiffusionPipeline.from_pretrained(str(folder), local_files_only=True)
    finally:
        socket.socket.connect = original_connect
        for logger in loggers:
            logger.removeHandler(collector)

    return {
        "single_file": single_file,
        "reference": reference,
        "log_records": collector.records,
        "python_warnings": list(python_warnings),
    }


def test_tiny_pipeline_folder_is_small(tiny_files: tuple[Path, Path]) -> None:
    folder, _ = tiny_files
    size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    assert size < 2 * 1024 * 1024, f"tiny pipeline folder is {size} bytes"


def test_checkpoint_uses_ldm_prefixes(tiny_files: tuple[Path, Path]) -> None:
    _, checkpoint = tiny_files
    with safe_open(checkpoint, framework="pt") as handle:
        keys = set(handle.keys())
    prefixes = ("model.diffusion_model.", "first_stage_model.", "cond_stage_model.transformer.text_model.")
    assert all(key.startswith(prefixes) for key in keys)
    assert "model.diffusion_model.input_blocks.0.0.weight" in keys
    assert "first_stage_model.encoder.mid.attn_1.q.weight" in keys
    assert "cond_stage_model.transformer.text_model.embeddings.position_embedding.weight" in keys


@pytest.mark.parametrize("component", COMPONENTS)
def test_single_file_parameters_match_folder(loaded_pipelines: dict, component: str) -> None:
    loaded = dict(getattr(loaded_pipelines["single_file"], component).named_parameters())
    expected = dict(getattr(loaded_pipelines["reference"], component).named_parameters())

    assert loaded.keys() == expected.keys()
    on_meta = [name for name, tensor in loaded.items() if tensor.device.type == "meta"]
    assert on_meta == [], f"{component} parameters not loaded from the checkpoint: {on_meta}"
    different = [name for name in expected if not torch.equal(loaded[name], expected[name])]
    assert different == [], f"{component} parameters differ: {different}"


def test_load_logs_no_warnings(loaded_pipelines: dict) -> None:
    messages = [record.getMessage() for record in loaded_pipelines["log_records"]]
    assert messages == []


def test_load_raises_no_python_warnings(loaded_pipelines: dict) -> None:
    messages = [str(warning.message) for warning in loaded_pipelines["python_warnings"]]
    assert messages == []


def test_single_file_image_matches_folder(loaded_pipelines: dict) -> None:
    images = {}
    for name in ("single_file", "reference"):
        pipeline = loaded_pipelines[name]
        pipeline.set_progress_bar_config(disable=True)
        generator = torch.Generator("cpu").manual_seed(1234)
        result = pipeline(
            "a red cube", num_inference_steps=2, height=64, width=64, generator=generator, output_type="np"
        )
        images[name] = result.images

    assert images["reference"].shape == (1, 64, 64, 3)
    assert np.isfinite(images["reference"]).all()
    assert np.array_equal(images["single_file"], images["reference"])


def test_offline_load_with_empty_hf_home(tiny_files: tuple[Path, Path], tmp_path: Path) -> None:
    # huggingface_hub reads HF_HUB_OFFLINE and HF_HOME at import time, so this check needs a fresh process.
    folder, checkpoint = tiny_files
    hf_home = tmp_path / "hf_home"
    hf_home.mkdir()
    script = textwrap.dedent(
        f"""
        from diffusers import StableDiffusionPipeline
        pipeline = StableDiffusionPipeline.from_single_file(
            {str(checkpoint)!r}, config={str(folder)!r}, local_files_only=True
        )
        print(type(pipeline).__name__)
        """
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(hf_home)}
    # Both variables override HF_HOME/hub as the cache location.
    env.pop("HF_HUB_CACHE", None)
    env.pop("HUGGINGFACE_HUB_CACHE", None)
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().endswith("StableDiffusionPipeline")
    assert [path for path in hf_home.rglob("*") if path.is_file()] == []


def test_load_with_config_only_folder(tiny_files: tuple[Path, Path], tmp_path: Path) -> None:
    # The checkpoint supplies every weight, so `config` needs only the JSON configs and tokenizer files.
    folder, checkpoint = tiny_files
    config_folder = tmp_path / "config_only"
    shutil.copytree(folder, config_folder, ignore=shutil.ignore_patterns("*.safetensors"))
    reference = load_file(folder / "unet" / "diffusion_pytorch_model.safetensors")

    pipeline = StableDiffusionPipeline.from_single_file(
        str(checkpoint), config=str(config_folder), local_files_only=True
    )

    assert list(config_folder.rglob("*.safetensors")) == []
    _assert_same_state_dict(pipeline.unet.state_dict(), reference)


def test_unet_mapping_three_blocks_two_layers() -> None:
    # Cross-attention blocks first and a plain block last, as in SD 1.x, but with three blocks and
    # layers_per_block=2. diffusers' own LDM-to-diffusers converter must restore the original state dict.
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16, 16),
        layers_per_block=2,
        sample_size=8,
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=8,
        attention_head_dim=2,
        norm_num_groups=4,
    )
    original = unet.state_dict()
    config = dict(unet.config)

    converted = convert_ldm_unet_checkpoint(unet_to_ldm(original, config), config)

    _assert_same_state_dict(converted, original)


def test_vae_mapping_three_blocks_two_layers() -> None:
    torch.manual_seed(0)
    vae = AutoencoderKL(
        block_out_channels=[8, 16, 16],
        layers_per_block=2,
        down_block_types=["DownEncoderBlock2D"] * 3,
        up_block_types=["UpDecoderBlock2D"] * 3,
        latent_channels=4,
        norm_num_groups=4,
    )
    original = vae.state_dict()
    config = dict(vae.config)

    converted = convert_ldm_vae_checkpoint(vae_to_ldm(original, config), config)

    _assert_same_state_dict(converted, original)
