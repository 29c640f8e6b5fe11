"""List the models the user can pick: built-in, Hugging Face cache, models folder, downloadable.

Discovery reads config files and .safetensors headers only, never weights.
"""

from __future__ import annotations

import enum
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pixova_desktop.core.model_architecture import (
    Architecture,
    CheckpointError,
    checkpoint_architecture,
    pipeline_architecture,
    pipeline_class_name,
    read_safetensors_header,
)
from pixova_desktop.core.models import builtin_model_path

logger = logging.getLogger(__name__)

MODEL_INDEX = "model_index.json"


class ModelSourceKind(str, enum.Enum):
    """The origin of a listed model; the value is the label the picker shows."""

    BUILTIN = "Built-in"
    HUB_CACHE = "Hugging Face cache"
    MODELS_FOLDER = "Models folder"
    DOWNLOADABLE = "Download"


@dataclass(frozen=True)
class CuratedModel:
    """A hub pipeline the picker offers to download.

    `download_bytes` is an estimate of the files `jobs.downloads` fetches (the fp32 diffusers
    components without the safety checker), rounded to 0.1 GB.
    """

    repo_id: str
    name: str
    architecture: Architecture
    download_bytes: int
    licence: str


# NOTE: the sizes are estimates from the repositories' file lists; the download dialog shows
# the exact total that the hub reports when the download starts.
CURATED_MODELS = (
    CuratedModel(
        "stabilityai/sd-turbo", "SD-Turbo", Architecture.SD2, 5_200_000_000,
        "Stability AI Community License",
    ),
    CuratedModel(
        "stabilityai/sdxl-turbo", "SDXL-Turbo", Architecture.SDXL, 13_900_000_000,
        "Stability AI Community License",
    ),
    CuratedModel(
        "stable-diffusion-v1-5/stable-diffusion-v1-5", "Stable Diffusion 1.5", Architecture.SD1,
        4_300_000_000, "CreativeML OpenRAIL-M",
    ),
)


@dataclass(frozen=True)
class ModelEntry:
    """One row of the model library.

    `model` is the string the model field takes: a folder, a file or a hub id. `size_bytes` is
    the size on disk, or the estimated download size for a model not yet downloaded.
    """

    name: str
    model: str
    architecture: str
    source: ModelSourceKind
    size_bytes: int | None
    licence: str = ""

    @property
    def needs_download(self) -> bool:
        return self.source is ModelSourceKind.DOWNLOADABLE


@dataclass(frozen=True)
class CachedPipeline:
    """A diffusers pipeline repo in the Hugging Face cache with its `main` snapshot folder."""

    repo_id: str
    snapshot: Path
    size_bytes: int


def discover_models(
    models_dir: Path, cached: Iterable[CachedPipeline] | None = None
) -> list[ModelEntry]:
    """List the built-in model, cached hub pipelines, the models folder, then downloadables.

    `cached` defaults to a scan of the Hugging Face cache. A curated model already in the
    cache is listed once, as cached.
    """
    entries: list[ModelEntry] = []
    builtin = builtin_model_path()
    if (builtin / MODEL_INDEX).is_file():
        entries.append(_folder_entry(builtin, ModelSourceKind.BUILTIN, "Pixova demo (built-in)"))

    cached_list = list(scan_hub_cache() if cached is None else cached)
    curated_by_id = {model.repo_id: model for model in CURATED_MODELS}
    for pipeline in sorted(cached_list, key=lambda item: item.repo_id.lower()):
        curated = curated_by_id.get(pipeline.repo_id)
        entries.append(
            ModelEntry(
                name=curated.name if curated else pipeline.repo_id,
                model=pipeline.repo_id,
                architecture=_label(pipeline.snapshot),
                source=ModelSourceKind.HUB_CACHE,
                size_bytes=pipeline.size_bytes,
                licence=curated.licence if curated else "",
            )
        )

    entries.extend(scan_models_dir(models_dir))

    cached_ids = {pipeline.repo_id for pipeline in cached_list}
    for curated in CURATED_MODELS:
        if curated.repo_id not in cached_ids:
            entries.append(
                ModelEntry(
                    name=curated.name,
                    model=curated.repo_id,
                    architecture=curated.architecture.value,
                    source=ModelSourceKind.DOWNLOADABLE,
                    size_bytes=curated.download_bytes,
                    licence=curated.licence,
                )
            )
    return entries


def scan_models_dir(models_dir: Path) -> list[ModelEntry]:
    """List the .safetensors files and diffusers folders in `models_dir` and its subfolders.

    A folder with a model_index.json is one entry, and the files inside it are not listed.
    """
    root = Path(models_dir)
    if not root.is_dir():
        return []
    entries: list[ModelEntry] = []
    for folder_name, subfolders, files in os.walk(root):
        folder = Path(folder_name)
        if MODEL_INDEX in files and folder != root:
            entries.append(_folder_entry(folder, ModelSourceKind.MODELS_FOLDER, folder.name))
            subfolders.clear()
            continue
        subfolders.sort()
        for name in sorted(files):
            if name.lower().endswith(".safetensors"):
                entries.append(_file_entry(folder / name))
    return entries


def scan_hub_cache() -> list[CachedPipeline]:
    """List the model repos in the Hugging Face cache whose `main` snapshot has model_index.json.

    A download that stopped before its last file has no model_index.json, because
    `jobs.downloads` fetches that file last, so it is not listed.
    """
    # huggingface_hub is imported here, not at module level, to keep core's imports to the
    # standard library; it does not import torch.
    from huggingface_hub import CacheNotFound, scan_cache_dir
    from huggingface_hub.errors import CorruptedCacheException

    try:
        cache = scan_cache_dir()
    except CacheNotFound:
        return []
    except (CorruptedCacheException, OSError) as error:
        logger.warning("Could not scan the Hugging Face cache: %s", error)
        return []
    for warning in cache.warnings:
        logger.info("Hugging Face cache: %s", warning)

    pipelines = []
    for repo in cache.repos:
        if repo.repo_type != "model":
            continue
        for revision in repo.revisions:
            if "main" in revision.refs and (revision.snapshot_path / MODEL_INDEX).is_file():
                pipelines.append(
                    CachedPipeline(repo.repo_id, revision.snapshot_path, revision.size_on_disk)
                )
    return pipelines


def _folder_entry(folder: Path, source: ModelSourceKind, name: str) -> ModelEntry:
    return ModelEntry(
        name=name,
        model=str(folder),
        architecture=_label(folder),
        source=source,
        size_bytes=_folder_size(folder),
    )


def _file_entry(path: Path) -> ModelEntry:
    try:
        header = read_safetensors_header(path)
    except CheckpointError as error:
        logger.info("Listing %s as unreadable: %s", path, error)
        architecture = "Unreadable"
        size = None
    else:
        architecture = checkpoint_architecture(header.keys).value
        if header.truncated:
            architecture += " (truncated)"
        size = header.file_size
    return ModelEntry(
        name=path.stem,
        model=str(path),
        architecture=architecture,
        source=ModelSourceKind.MODELS_FOLDER,
        size_bytes=size,
    )


def _label(folder: Path) -> str:
    architecture = pipeline_architecture(folder)
    if architecture is Architecture.OTHER:
        return f"{architecture.value} ({pipeline_class_name(folder)})"
    return architecture.value


def _folder_size(folder: Path) -> int:
    total = 0
    for parent, _, files in os.walk(folder):
        for name in files:
            try:
                total += (Path(parent) / name).stat().st_size
            except OSError:
                continue
    return total


def format_size(size_bytes: int | None) -> str:
    """Return a size such as "1.8 MB" or "5.2 GB" (decimal units), or "" when unknown."""
    if size_bytes is None:
        return ""
    size = float(size_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"
