"""Tell a model's architecture from its config JSON or its .safetensors header, without weights.

Only the small JSON parts of a model are read, so this runs on the GUI thread and needs no torch.
"""

from __future__ import annotations

import enum
import json
import struct
from dataclasses import dataclass
from pathlib import Path

# A safetensors file starts with the header length (little-endian u64), then the JSON header.
_HEADER_LENGTH_BYTES = 8
MAX_HEADER_BYTES = 100_000_000

# Keys that identify an original-layout (LDM) checkpoint's parts.
SDXL_KEY = "conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_weight"
SD_UNET_PREFIX = "model.diffusion_model."
_SD2_TEXT_PREFIX = "cond_stage_model.model."
_LORA_MARKERS = ("lora_unet_", "lora_te", ".lora_down.", ".lora_up.", ".lora_A.", ".lora_B.")
_VAE_KEY = "encoder.conv_in.weight"
# SD 2.x conditions its UNet on OpenCLIP-H embeddings of width 1024; SD 1.x uses CLIP-L's 768.
_SD2_CROSS_ATTENTION_DIM = 1024


class Architecture(str, enum.Enum):
    """The model families the picker shows; the value is the label."""

    SD1 = "SD 1.x"
    SD2 = "SD 2.x"
    SDXL = "SDXL"
    LORA = "LoRA"
    VAE = "VAE"
    OTHER = "Other"
    UNKNOWN = "Unknown"

    @property
    def is_supported(self) -> bool:
        """Whether Pixova can load a full text-to-image pipeline of this family."""
        return self in (Architecture.SD1, Architecture.SD2, Architecture.SDXL)


class CheckpointError(ValueError):
    """A .safetensors file whose header cannot be read; the message names the file."""


@dataclass(frozen=True)
class CheckpointHeader:
    """The tensor names of a .safetensors file and where its data should end.

    `data_end` is the byte offset just past the last tensor, as the header states it.
    """

    keys: frozenset[str]
    data_end: int
    file_size: int

    @property
    def truncated(self) -> bool:
        return self.data_end > self.file_size


def read_safetensors_header(path: Path) -> CheckpointHeader:
    """Read the JSON header of the .safetensors file `path`; raise CheckpointError if invalid."""
    path = Path(path)
    try:
        file_size = path.stat().st_size
        with path.open("rb") as stream:
            length_bytes = stream.read(_HEADER_LENGTH_BYTES)
            if len(length_bytes) < _HEADER_LENGTH_BYTES:
                raise CheckpointError(f"{path.name} is too short to be a .safetensors file.")
            (length,) = struct.unpack("<Q", length_bytes)
            if length > min(MAX_HEADER_BYTES, file_size - _HEADER_LENGTH_BYTES):
                raise CheckpointError(
                    f"{path.name} has an invalid .safetensors header length ({length} bytes)."
                )
            header = json.loads(stream.read(length))
    except OSError as error:
        raise CheckpointError(f"{path.name} could not be read: {error.strerror or error}.") from error
    except (UnicodeDecodeError, ValueError) as error:
        raise CheckpointError(f"{path.name} has an invalid .safetensors header: {error}.") from error
    if not isinstance(header, dict):
        raise CheckpointError(f"{path.name} has an invalid .safetensors header.")

    tensors = {key: value for key, value in header.items() if key != "__metadata__"}
    ends = [
        int(value["data_offsets"][1])
        for value in tensors.values()
        if isinstance(value, dict) and "data_offsets" in value
    ]
    data_end = _HEADER_LENGTH_BYTES + length + max(ends, default=0)
    return CheckpointHeader(frozenset(tensors), data_end, file_size)


def checkpoint_architecture(keys: frozenset[str] | set[str]) -> Architecture:
    """Return the family of an original-layout checkpoint from its tensor names."""
    if SDXL_KEY in keys:
        return Architecture.SDXL
    if any(key.startswith(SD_UNET_PREFIX) for key in keys):
        if any(key.startswith(_SD2_TEXT_PREFIX) for key in keys):
            return Architecture.SD2
        return Architecture.SD1
    if any(marker in key for key in keys for marker in _LORA_MARKERS):
        return Architecture.LORA
    if _VAE_KEY in keys or "first_stage_model." + _VAE_KEY in keys:
        return Architecture.VAE
    return Architecture.UNKNOWN


def pipeline_class_name(folder: Path) -> str:
    """Return `_class_name` from the folder's model_index.json, or "" when it is unreadable."""
    index = _read_json(Path(folder) / "model_index.json")
    name = index.get("_class_name", "")
    return name if isinstance(name, str) else ""


def pipeline_architecture(folder: Path) -> Architecture:
    """Return the family of the diffusers pipeline in `folder` from its config files."""
    folder = Path(folder)
    class_name = pipeline_class_name(folder)
    if not class_name:
        return Architecture.UNKNOWN
    if class_name.startswith("StableDiffusionXL"):
        return Architecture.SDXL
    if class_name.startswith("StableDiffusion"):
        unet = _read_json(folder / "unet" / "config.json")
        cross_attention_dim = unet.get("cross_attention_dim")
        if isinstance(cross_attention_dim, int) and cross_attention_dim >= _SD2_CROSS_ATTENTION_DIM:
            return Architecture.SD2
        return Architecture.SD1
    return Architecture.OTHER


def _read_json(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
