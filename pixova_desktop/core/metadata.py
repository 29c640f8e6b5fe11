"""PNG text chunks that record how an image was made, in AUTOMATIC1111's format and our own JSON.

AUTOMATIC1111 writes a `parameters` chunk of the form::

    <prompt, possibly several lines>
    Negative prompt: <negative prompt>
    Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512, Model: name

Values that contain a comma, colon, quote or line break are written as JSON strings, as
AUTOMATIC1111 does. Our `pixova` chunk contains every field as JSON so that prompts with line
breaks round-trip exactly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, PngImagePlugin

from pixova_desktop.core.request import GenerationRequest

PARAMETERS_KEY = "parameters"
PIXOVA_KEY = "pixova"
FORMAT_VERSION = 1
NEGATIVE_PREFIX = "Negative prompt:"

# One "Key: value" pair of the last line; a value is a JSON string or runs to the next comma.
_PAIR = re.compile(r'\s*([\w ]+):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)')
_SIZE = re.compile(r"^(\d+)x(\d+)$")


@dataclass(frozen=True)
class ImageParameters:
    """The parameters of one saved image: its request (with this image's own seed) and extras.

    `sampler` and `model_name` are the names shown to the user; `extra` contains other fields
    such as device and dtype.
    """

    request: GenerationRequest
    sampler: str = ""
    model_name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def format_parameters(params: ImageParameters) -> str:
    """Return the `parameters` text in AUTOMATIC1111's layout."""
    request = params.request
    lines = [request.prompt]
    if request.negative_prompt:
        lines.append(f"{NEGATIVE_PREFIX} {request.negative_prompt}")
    pairs = [
        ("Steps", request.steps),
        ("Sampler", params.sampler or request.scheduler or "Default"),
        ("CFG scale", f"{request.cfg_scale:g}"),
        ("Seed", request.seed),
        ("Size", f"{request.width}x{request.height}"),
        ("Model", params.model_name or request.model),
    ]
    lines.append(", ".join(f"{key}: {_quote(str(value))}" for key, value in pairs))
    return "\n".join(lines)


def build_pnginfo(params: ImageParameters) -> PngImagePlugin.PngInfo:
    """Return the PNG chunks for one image; Pillow stores non-Latin-1 text as iTXt."""
    info = PngImagePlugin.PngInfo()
    info.add_text(PARAMETERS_KEY, format_parameters(params))
    record = {
        "version": FORMAT_VERSION,
        "request": params.request.to_dict(),
        "sampler": params.sampler,
        "model_name": params.model_name,
        "extra": params.extra,
    }
    info.add_text(PIXOVA_KEY, json.dumps(record, ensure_ascii=False))
    return info


def read_parameters(path: str) -> ImageParameters:
    """Read the parameters of a PNG, preferring our JSON chunk over the `parameters` text.

    Raises ValueError when the file carries neither.
    """
    with Image.open(path) as image:
        image.load()
        text = dict(getattr(image, "text", {}) or image.info)
    if PIXOVA_KEY in text:
        record = json.loads(text[PIXOVA_KEY])
        return ImageParameters(
            request=GenerationRequest.from_dict(record["request"]),
            sampler=record.get("sampler", ""),
            model_name=record.get("model_name", ""),
            extra=record.get("extra", {}),
        )
    if PARAMETERS_KEY in text:
        return parse_parameters(text[PARAMETERS_KEY])
    raise ValueError(f"{path} has no generation parameters (no 'parameters' or 'pixova' chunk).")


def parse_parameters(text: str) -> ImageParameters:
    """Parse AUTOMATIC1111's `parameters` text; unknown keys end up in `extra`."""
    lines = text.strip("\n").split("\n")
    settings: dict[str, str] = {}
    if lines and _PAIR.match(lines[-1]) and "Steps:" in lines[-1]:
        settings = _parse_pairs(lines.pop())
    prompt_lines: list[str] = []
    negative_lines: list[str] = []
    target = prompt_lines
    for line in lines:
        if line.startswith(NEGATIVE_PREFIX):
            target = negative_lines
            line = line[len(NEGATIVE_PREFIX) :].lstrip(" ")
        target.append(line)

    fields: dict[str, Any] = {
        "prompt": "\n".join(prompt_lines),
        "negative_prompt": "\n".join(negative_lines),
    }
    if "Steps" in settings:
        fields["steps"] = int(settings.pop("Steps"))
    if "CFG scale" in settings:
        fields["cfg_scale"] = float(settings.pop("CFG scale"))
    if "Seed" in settings:
        fields["seed"] = int(settings.pop("Seed"))
    size = _SIZE.match(settings.pop("Size", ""))
    if size:
        fields["width"], fields["height"] = int(size.group(1)), int(size.group(2))
    sampler = settings.pop("Sampler", "")
    model_name = settings.pop("Model", "")
    fields["model"] = model_name
    return ImageParameters(
        request=GenerationRequest(**fields),
        sampler=sampler,
        model_name=model_name,
        extra=dict(settings),
    )


def _quote(value: str) -> str:
    if any(char in value for char in ',:"\n'):
        return json.dumps(value, ensure_ascii=False)
    return value


def _parse_pairs(line: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for match in _PAIR.finditer(line):
        key, value = match.group(1).strip(), match.group(2).strip()
        if not key:
            continue
        if value.startswith('"'):
            value = json.loads(value)
        pairs[key] = value
    return pairs
