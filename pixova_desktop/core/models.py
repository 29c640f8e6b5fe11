"""The default model and the sampling defaults that suit each known model."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from pixova_desktop.core.paths import resources_dir

logger = logging.getLogger(__name__)

BUILTIN_MODEL_FOLDER = "pixova-demo"
MODEL_DEFAULTS_FILE = "pixova_model.json"
FALLBACK_MODEL = "stabilityai/sd-turbo"


@dataclass(frozen=True)
class ModelDefaults:
    """Sampling settings that give good results with one model."""

    width: int = 512
    height: int = 512
    steps: int = 25
    cfg_scale: float = 7.0
    description: str = ""


# Distilled "turbo" models are trained for one to four steps without guidance.
KNOWN_MODEL_DEFAULTS = {
    "stabilityai/sd-turbo": ModelDefaults(512, 512, 1, 0.0, "SD-Turbo, one-step 512x512"),
    "stabilityai/sdxl-turbo": ModelDefaults(512, 512, 1, 0.0, "SDXL-Turbo, one-step 512x512"),
    "stable-diffusion-v1-5/stable-diffusion-v1-5": ModelDefaults(512, 512, 25, 7.0),
    "stabilityai/stable-diffusion-xl-base-1.0": ModelDefaults(1024, 1024, 30, 7.0),
}


def builtin_model_path() -> Path:
    return resources_dir() / "models" / BUILTIN_MODEL_FOLDER


def default_model() -> str:
    """Return the built-in model's folder when it is present, else the SD-Turbo hub id."""
    builtin = builtin_model_path()
    if (builtin / "model_index.json").is_file():
        return str(builtin)
    return FALLBACK_MODEL


def is_builtin_model(model: str) -> bool:
    if not model:
        return False
    try:
        return Path(model).resolve() == builtin_model_path().resolve()
    except OSError:
        return False


def model_display_name(model: str) -> str:
    """Return a short name for the user: the folder or file name, or the hub id."""
    if is_builtin_model(model):
        return "Pixova demo (built-in)"
    path = Path(model)
    if path.suffix.lower() in (".safetensors", ".ckpt") or path.is_dir():
        return path.stem if path.suffix else path.name
    return model


def model_defaults(model: str) -> ModelDefaults:
    """Return the defaults for `model`: its `pixova_model.json`, the known table, or generic."""
    settings_file = Path(model) / MODEL_DEFAULTS_FILE if model else None
    if settings_file is not None and settings_file.is_file():
        try:
            data = json.loads(settings_file.read_text(encoding="utf-8"))
            return ModelDefaults(
                width=int(data["width"]),
                height=int(data["height"]),
                steps=int(data["steps"]),
                cfg_scale=float(data["cfg_scale"]),
                description=str(data.get("description", "")),
            )
        except (OSError, ValueError, KeyError) as error:
            logger.warning("Ignoring unreadable %s: %s", settings_file, error)
    return KNOWN_MODEL_DEFAULTS.get(model, ModelDefaults())
