"""Load a diffusers text-to-image pipeline from a folder, a single checkpoint file or the hub."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import torch

from pixova_desktop.engine.library_logging import route_library_output  # isort: skip
from diffusers import AutoPipelineForText2Image, DiffusionPipeline
from huggingface_hub import constants as hub_constants
from huggingface_hub import errors as hub_errors
from huggingface_hub import try_to_load_from_cache
from safetensors import SafetensorError, safe_open

from pixova_desktop.engine.errors import (
    ModelLoadError,
    ModelNotDownloadedError,
    ModelNotFoundError,
)
from pixova_desktop.engine.sources import ModelSource, SourceKind

logger = logging.getLogger(__name__)

# Key prefixes that tell the architecture of an original-layout (LDM) checkpoint.
_SDXL_KEY = "conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_weight"
_SD_UNET_PREFIX = "model.diffusion_model."

# Errors that diffusers, transformers and safetensors raise on a broken or unsupported model.
_LOAD_ERRORS = (OSError, ValueError, RuntimeError, KeyError, TypeError, SafetensorError)


def load_pipeline(source: ModelSource, dtype: torch.dtype) -> DiffusionPipeline:
    """Load the pipeline named by `source` on the CPU in `dtype`; the caller moves it to a device.

    Raises ModelNotFoundError, ModelNotDownloadedError or ModelLoadError with a message for
    the user.
    """
    route_library_output()
    started = time.perf_counter()
    logger.info("Loading %s as %s", source.describe(), dtype)
    if source.kind is SourceKind.FOLDER:
        pipeline = _load_folder(Path(source.location), dtype)
    elif source.kind is SourceKind.SINGLE_FILE:
        pipeline = _load_single_file(Path(source.location), dtype)
    else:
        pipeline = _load_hub(source.location, dtype)
    logger.info(
        "Loaded %s (%s) in %.2f s",
        source.describe(),
        type(pipeline).__name__,
        time.perf_counter() - started,
    )
    return pipeline


def _safety_checker_off(folder: Path) -> dict[str, object]:
    """Return the keyword arguments that skip the safety checker when the pipeline has one."""
    try:
        index = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if "safety_checker" in index:
        return {"safety_checker": None, "requires_safety_checker": False}
    return {}


def _load_folder(folder: Path, dtype: torch.dtype) -> DiffusionPipeline:
    try:
        return AutoPipelineForText2Image.from_pretrained(
            str(folder), dtype=dtype, local_files_only=True, **_safety_checker_off(folder)
        )
    except _LOAD_ERRORS as error:
        logger.exception("Loading folder %s failed", folder)
        raise ModelLoadError(
            f"Could not load the diffusers pipeline in {folder}: {error}. Check that the "
            "folder is complete, or choose another model."
        ) from error


def _load_single_file(path: Path, dtype: torch.dtype) -> DiffusionPipeline:
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

    try:
        with safe_open(str(path), framework="pt") as checkpoint:
            keys = set(checkpoint.keys())
    except (SafetensorError, OSError) as error:
        raise ModelLoadError(
            f"{path.name} is not a readable .safetensors file ({error}); it may be truncated "
            "or corrupt. Download it again."
        ) from error

    if _SDXL_KEY in keys:
        pipeline_class: type[DiffusionPipeline] = StableDiffusionXLPipeline
    elif any(key.startswith(_SD_UNET_PREFIX) for key in keys):
        pipeline_class = StableDiffusionPipeline
    else:
        raise ModelLoadError(
            f"{path.name} is not a Stable Diffusion 1.x, 2.x or SDXL checkpoint that Pixova "
            "can read (it may be a LoRA, a VAE or another architecture). Choose a full model "
            "checkpoint or a diffusers pipeline folder."
        )

    try:
        return pipeline_class.from_single_file(str(path), dtype=dtype)
    except _LOAD_ERRORS + (hub_errors.LocalEntryNotFoundError,) as error:
        logger.exception("Loading checkpoint %s failed", path)
        if _is_offline_error(error):
            raise ModelNotDownloadedError(
                f"{path.name} needs its base model's configuration files from the Hugging Face "
                "hub, and they have not been downloaded yet. Connect to the internet once, or "
                "choose a diffusers pipeline folder."
            ) from error
        raise ModelLoadError(f"Could not load {path.name}: {error}") from error


def _load_hub(repo_id: str, dtype: torch.dtype) -> DiffusionPipeline:
    cached = isinstance(try_to_load_from_cache(repo_id, "model_index.json"), str)
    if not cached and hub_constants.HF_HUB_OFFLINE:
        raise _not_downloaded(repo_id, "offline mode (HF_HUB_OFFLINE) is on")
    logger.info("Hub model %s is %s", repo_id, "cached" if cached else "not cached, downloading")
    try:
        return AutoPipelineForText2Image.from_pretrained(
            repo_id, dtype=dtype, local_files_only=cached
        )
    except hub_errors.RepositoryNotFoundError as error:
        raise ModelNotFoundError(
            f"The Hugging Face hub has no model {repo_id}. Check the spelling of the id, or "
            "choose a local model with Browse."
        ) from error
    except _LOAD_ERRORS + (hub_errors.LocalEntryNotFoundError,) as error:
        logger.exception("Loading hub model %s failed", repo_id)
        if not cached:
            raise _not_downloaded(repo_id, "the hub could not be reached") from error
        raise ModelLoadError(f"Could not load {repo_id} from the cache: {error}") from error


def _not_downloaded(repo_id: str, reason: str) -> ModelNotDownloadedError:
    return ModelNotDownloadedError(
        f"Model {repo_id} has not been downloaded yet and {reason}. Connect to the internet "
        "and try again, or use Browse to choose a local model folder or .safetensors file."
    )


def _is_offline_error(error: BaseException) -> bool:
    if isinstance(error, hub_errors.LocalEntryNotFoundError):
        return True
    text = str(error).lower()
    return any(
        marker in text for marker in ("offline", "local_files_only", "connection", "resolve")
    )
