"""PNG parameters: AUTOMATIC1111's `parameters` text and our JSON chunk, written and read."""

from pathlib import Path

from PIL import Image

from pixova_desktop.core.metadata import (
    ImageParameters,
    format_parameters,
    parse_parameters,
    read_parameters,
)
from pixova_desktop.core.output import save_png
from pixova_desktop.core.request import GenerationRequest


def _params(prompt: str = "a red circle", negative: str = "blurry") -> ImageParameters:
    request = GenerationRequest(
        prompt, negative, "/models/tiny", 20, 7.5, 512, 768, 1234, "Euler a", 1
    )
    return ImageParameters(request, "Euler a", "tiny", {"device": "cpu", "dtype": "float32"})


def test_parameters_text_layout() -> None:
    text = format_parameters(_params())
    assert text.split("\n") == [
        "a red circle",
        "Negative prompt: blurry",
        "Steps: 20, Sampler: Euler a, CFG scale: 7.5, Seed: 1234, Size: 512x768, Model: tiny",
    ]


def test_parameters_text_without_negative() -> None:
    lines = format_parameters(_params(negative="")).split("\n")
    assert len(lines) == 2
    assert not any(line.startswith("Negative prompt:") for line in lines)


def test_parameters_text_parses_back() -> None:
    params = parse_parameters(format_parameters(_params("a, b: c\nsecond line")))
    assert params.request.prompt == "a, b: c\nsecond line"
    assert params.request.negative_prompt == "blurry"
    assert params.request.steps == 20
    assert params.request.cfg_scale == 7.5
    assert params.request.seed == 1234
    assert (params.request.width, params.request.height) == (512, 768)
    assert params.sampler == "Euler a"
    assert params.model_name == "tiny"


def test_automatic1111_text_parses() -> None:
    text = (
        "masterpiece, 1girl, (blue hair:1.2)\n"
        "Negative prompt: lowres, bad anatomy\n"
        "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 6, Seed: 3985592817, "
        'Size: 832x1216, Model hash: 1a2b3c, Model: "anything, v5", Version: v1.9.3'
    )
    params = parse_parameters(text)
    assert params.request.prompt == "masterpiece, 1girl, (blue hair:1.2)"
    assert params.request.negative_prompt == "lowres, bad anatomy"
    assert params.request.seed == 3985592817
    assert params.sampler == "DPM++ 2M Karras"
    assert params.model_name == "anything, v5"
    assert params.extra["Model hash"] == "1a2b3c"
    assert params.extra["Version"] == "v1.9.3"


def test_png_round_trip_non_latin(tmp_path: Path) -> None:
    prompt = "赤い円、白い背景\nзаголовок: «тест», done"
    params = _params(prompt, negative="ぼやけた")
    path = save_png(Image.new("RGB", (8, 8)), tmp_path, "image", params)
    read = read_parameters(str(path))
    assert read.request == params.request
    assert read.extra == {"device": "cpu", "dtype": "float32"}
    with Image.open(path) as image:
        assert image.text["parameters"] == format_parameters(params)
