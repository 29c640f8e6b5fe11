"""Decide whether a model string names a diffusers folder, a single checkpoint file or a hub id."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from pathlib import Path

from pixova_desktop.engine.errors import ModelLoadError, ModelNotFoundError

SINGLE_FILE_SUFFIXES = (".safetensors",)
PICKLE_SUFFIXES = (".ckpt", ".pt", ".pth", ".bin")
# A hub id is "name" or "owner/name" with letters, digits, "-", "_" and ".".
_HUB_ID = re.compile(r"^(?:[A-Za-z0-9][\w.-]*/)?[A-Za-z0-9][\w.-]*$")


class SourceKind(str, enum.Enum):
    FOLDER = "diffusers folder"
    SINGLE_FILE = "single-file checkpoint"
    HUB = "Hugging Face hub id"


@dataclass(frozen=True)
class ModelSource:
    kind: SourceKind
    location: str

    def describe(self) -> str:
        return f"{self.kind.value} {self.location}"


def resolve_source(model: str) -> ModelSource:
    """Classify `model` by what exists on disk, falling back to a hub id.

    Raises ModelNotFoundError for a path that does not exist and ModelLoadError for a file or
    folder of the wrong kind.
    """
    text = model.strip()
    if not text:
        raise ModelNotFoundError("No model was given; choose a model folder, file or hub id.")
    path = Path(text).expanduser()

    if path.is_dir():
        if not (path / "model_index.json").is_file():
            raise ModelLoadError(
                f"The folder {path} is not a diffusers pipeline (it has no model_index.json). "
                "Choose the pipeline's top folder, or a .safetensors checkpoint file."
            )
        return ModelSource(SourceKind.FOLDER, str(path))

    if path.is_file():
        suffix = path.suffix.lower()
        if suffix in SINGLE_FILE_SUFFIXES:
            return ModelSource(SourceKind.SINGLE_FILE, str(path))
        if suffix in PICKLE_SUFFIXES:
            raise ModelLoadError(
                f"{path.name} is a pickle-based checkpoint ({suffix}), which can run code when "
                "loaded, so Pixova does not open it. Use a .safetensors version of the model."
            )
        raise ModelLoadError(
            f"{path} is not a model file Pixova can load; choose a .safetensors checkpoint "
            "or a diffusers pipeline folder."
        )

    if _looks_like_path(text) or not _HUB_ID.match(text):
        raise ModelNotFoundError(
            f"Model {text} was not found: no such file or folder. Check the path, or use "
            "Browse to choose a model folder or .safetensors file."
        )
    return ModelSource(SourceKind.HUB, text)


def _looks_like_path(text: str) -> bool:
    return (
        text.startswith((".", "~", "/", "\\"))
        or "\\" in text
        or text.count("/") > 1
        or (len(text) > 1 and text[1] == ":")
        or text.lower().endswith(SINGLE_FILE_SUFFIXES + PICKLE_SUFFIXES)
    )
