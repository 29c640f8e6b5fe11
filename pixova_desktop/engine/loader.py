"""Load a diffusers text-to-image pipeline from a folder, a single checkpoint file or the hub."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import torch

from pixova_desktop.engine.library_logging import route_library_output  # isort: skip
import diffusers
from diffusers import DiffusionPipeline
from huggingface_hub import constants as hub_constants
from huggingface_hub import errors as hub_errors
from huggingface_hub import try_to_load_from_cache
from safetensors import SafetensorError

from pixova_desktop.core.model_architecture import (
    Architecture,
    CheckpointError,
    checkpoint_architecture,
    read_safetensors_header,
)
from pixova_desktop.engine.errors import (
    ModelLoadError,
    ModelNotDownloadedError,
    ModelNotFoundError,
)
from pixova_desktop.engine.sources import ModelSource, SourceKind

logger = logging.getLogger(__name__)

# Errors that diffusers, transformers and safetensors raise on a broken or unsupported model.
# NotImplementedError is what diffusers raises for a checkpoint with missing weights ("Cannot
# copy out of meta tensor"); torch's OutOfMemoryError is a RuntimeError and is re-raised first.
_LOAD_ERRORS = (
    OSError, ValueError, RuntimeError, KeyError, TypeError, NotImplementedError, SafetensorError
)
_META_TENSOR_MESSAGE = "meta tensor"


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
        "Loaded %s (%s) as %s in %.2f s",
        source.describe(),
        type(pipeline).__name__,
        str(dtype).replace("torch.", ""),
        time.perf_counter() - started,
    )
    return pipeline


# model_index.json classes that are loaded with their own class. Any other class goes
# through AutoPipelineForText2Image, which maps it to its text-to-image pipeline but imports
# every pipeline family: 298 more modules and 19 MiB more peak memory, measured with torch 2.13
# and diffusers 0.42.
_DIRECT_PIPELINE_CLASSES = frozenset({"StableDiffusionPipeline", "StableDiffusionXLPipeline"})


def _read_model_index(model_index: Path | str | None) -> dict[str, object]:
    if not model_index:
        return {}
    try:
        index = json.loads(Path(model_index).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return index if isinstance(index, dict) else {}


def _pipeline_class(index: dict[str, object]) -> type[DiffusionPipeline]:
    """Return the class that loads a pipeline with this model_index.json for text-to-image."""
    class_name = index.get("_class_name")
    if class_name in _DIRECT_PIPELINE_CLASSES:
        return getattr(diffusers, class_name)
    from diffusers import AutoPipelineForText2Image

    return AutoPipelineForText2Image


def _safety_checker_off(index: dict[str, object]) -> dict[str, object]:
    """Return the keyword arguments that skip the pipeline's own safety checker, if it has one.

    `engine.safety` runs the checker on finished images instead, for every architecture.
    """
    if "safety_checker" in index:
        return {"safety_checker": None, "requires_safety_checker": False}
    return {}


def _load_folder(folder: Path, dtype: torch.dtype) -> DiffusionPipeline:
    index = _read_model_index(folder / "model_index.json")
    try:
        return _pipeline_class(index).from_pretrained(
            str(folder),
            dtype=dtype,
            local_files_only=True,
            use_safetensors=True,
            **_safety_checker_off(index),
        )
    except torch.OutOfMemoryError:
        raise
    except _LOAD_ERRORS as error:
        logger.exception("Loading folder %s failed", folder)
        raise ModelLoadError(
            f"Could not load the diffusers pipeline in {folder}: {_short(error)}. Check that "
            "every component folder has its .safetensors weights (pickle .bin weights are not "
            "loaded), or choose another model."
        ) from error


def _load_single_file(path: Path, dtype: torch.dtype) -> DiffusionPipeline:
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

    # 1. Read the header only: it names the architecture and shows a truncated file.
    try:
        header = read_safetensors_header(path)
    except CheckpointError as error:
        logger.exception("Reading the header of %s failed", path)
        raise ModelLoadError(
            f"{path} is not a readable .safetensors file: {error} It may be corrupt; download "
            "it again."
        ) from error
    if header.truncated:
        raise ModelLoadError(
            f"{path} is truncated: it has {header.file_size} bytes but its header lists "
            f"{header.data_end}. The download or copy did not finish; download it again."
        )

    # 2. Pick the pipeline class; reject LoRAs, VAEs and unknown layouts with the reason.
    architecture = checkpoint_architecture(header.keys)
    if architecture is Architecture.SDXL:
        pipeline_class: type[DiffusionPipeline] = StableDiffusionXLPipeline
    elif architecture in (Architecture.SD1, Architecture.SD2):
        pipeline_class = StableDiffusionPipeline
    else:
        kind = {Architecture.LORA: "a LoRA", Architecture.VAE: "a VAE"}.get(
            architecture, "not a model Pixova recognises"
        )
        raise ModelLoadError(
            f"{path} is {kind}, not a full Stable Diffusion 1.x, 2.x or SDXL checkpoint, so "
            "Pixova cannot generate with it. Choose a full model checkpoint or a diffusers "
            "pipeline folder."
        )

    # 3. Load; diffusers reads the base model's component configs from the hub cache.
    try:
        return pipeline_class.from_single_file(str(path), dtype=dtype)
    except torch.OutOfMemoryError:
        raise
    except _LOAD_ERRORS + (hub_errors.LocalEntryNotFoundError,) as error:
        logger.exception("Loading checkpoint %s failed", path)
        if _is_offline_error(error):
            raise ModelNotDownloadedError(
                f"{path.name} needs its base model's configuration files from the Hugging Face "
                "hub, and they have not been downloaded yet. Connect to the internet once, or "
                "choose a diffusers pipeline folder."
            ) from error
        if isinstance(error, NotImplementedError) and _META_TENSOR_MESSAGE in str(error):
            raise ModelLoadError(
                f"{path} is incomplete: some {architecture.value} weights are missing from it. "
                "Download the full checkpoint again, or choose another model."
            ) from error
        raise ModelLoadError(
            f"Could not load {path}: {_short(error)}. The file may be corrupt; download it "
            "again, or choose another model."
        ) from error


def _load_hub(repo_id: str, dtype: torch.dtype) -> DiffusionPipeline:
    cached = isinstance(try_to_load_from_cache(repo_id, "model_index.json"), str)
    if not cached and hub_constants.HF_HUB_OFFLINE:
        raise _not_downloaded(repo_id, "offline mode (HF_HUB_OFFLINE) is on")
    logger.info("Hub model %s is %s", repo_id, "cached" if cached else "not cached, downloading")
    index_path = try_to_load_from_cache(repo_id, "model_index.json") if cached else None
    index = _read_model_index(index_path if isinstance(index_path, str) else None)
    try:
        return _pipeline_class(index).from_pretrained(
            repo_id,
            dtype=dtype,
            local_files_only=cached,
            use_safetensors=True,
            **_safety_checker_off(index),
        )
    except torch.OutOfMemoryError:
        raise
    except hub_errors.RepositoryNotFoundError as error:
        logger.exception("Hub model %s does not exist", repo_id)
        raise ModelNotFoundError(
            f"The Hugging Face hub has no model {repo_id}. Check the spelling of the id, or "
            "choose a local model with Browse."
        ) from error
    except _LOAD_ERRORS + (hub_errors.LocalEntryNotFoundError,) as error:
        logger.exception("Loading hub model %s failed", repo_id)
        if not cached:
            raise _not_downloaded(repo_id, "the hub could not be reached") from error
        raise ModelLoadError(
            f"Could not load {repo_id} from the Hugging Face cache: {_short(error)}. Download "
            "it again from the model library."
        ) from error


def _not_downloaded(repo_id: str, reason: str) -> ModelNotDownloadedError:
    action = "Connect to the internet"
    if hub_constants.HF_HUB_OFFLINE:
        action = "Unset HF_HUB_OFFLINE, connect to the internet"
    return ModelNotDownloadedError(
        f"Model {repo_id} has not been downloaded yet and {reason}. {action} and try again, "
        "or use Browse to choose a local model folder or .safetensors file."
    )


def _is_offline_error(error: BaseException) -> bool:
    if isinstance(error, hub_errors.LocalEntryNotFoundError):
        return True
    text = str(error).lower()
    return any(
        marker in text for marker in ("offline", "local_files_only", "connection", "resolve")
    )


def _short(error: BaseException) -> str:
    """Return the first line of `error`'s message, without a trailing period."""
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else type(error).__name__
    return text.rstrip(".")
