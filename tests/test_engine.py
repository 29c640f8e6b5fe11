"""The diffusers engine on a tiny real pipeline: each model source, reuse, seeds and cancel."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from pixova_desktop.core.request import GenerationRequest
from pixova_desktop.engine.errors import (
    GenerationCancelled,
    ModelLoadError,
    ModelNotDownloadedError,
    ModelNotFoundError,
)
from pixova_desktop.engine.loader import load_pipeline
from pixova_desktop.engine.pipeline_cache import PipelineCache
from pixova_desktop.engine.runner import DiffusersEngine
from pixova_desktop.engine.sources import SourceKind, resolve_source
from tests.conftest import HUB_CACHE
from tests.support.hub_cache import prefill_hub_cache


def _request(model: str, **changes: object) -> GenerationRequest:
    fields = {"steps": 2, "width": 64, "height": 64, "seed": 7, "cfg_scale": 5.0} | changes
    return GenerationRequest("a red circle", model=model, **fields).validated()


def _run(engine: DiffusersEngine, request: GenerationRequest) -> list[np.ndarray]:
    images = engine.generate(request, lambda *args: None, lambda: False)
    return [np.asarray(generated.image) for generated in images]


def test_source_kinds(tiny_model_dir: Path, tiny_checkpoint: Path) -> None:
    assert resolve_source(str(tiny_model_dir)).kind is SourceKind.FOLDER
    assert resolve_source(str(tiny_checkpoint)).kind is SourceKind.SINGLE_FILE
    assert resolve_source("stabilityai/sd-turbo").kind is SourceKind.HUB


def test_source_errors_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="missing-model"):
        resolve_source(str(tmp_path / "missing-model"))
    with pytest.raises(ModelLoadError, match="model_index.json"):
        resolve_source(str(tmp_path))
    pickle_file = tmp_path / "model.ckpt"
    pickle_file.write_bytes(b"not loaded")
    with pytest.raises(ModelLoadError, match=r"\.safetensors version"):
        resolve_source(str(pickle_file))


def test_folder_generates_image(tiny_model_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    engine = DiffusersEngine(PipelineCache())
    images = list(engine.generate(_request(str(tiny_model_dir)), lambda *a: None, lambda: False))
    assert len(images) == 1
    assert images[0].image.size == (64, 64)
    assert images[0].params.extra == {"device": "cpu", "dtype": "float32"}
    assert "Loading diffusers folder" in caplog.text


def test_single_file_matches_folder(tiny_model_dir: Path, tiny_checkpoint: Path) -> None:
    folder_image = _run(DiffusersEngine(PipelineCache()), _request(str(tiny_model_dir)))[0]
    file_image = _run(DiffusersEngine(PipelineCache()), _request(str(tiny_checkpoint)))[0]
    assert np.array_equal(folder_image, file_image)


def test_img2img_folder_loads_text_to_image(tiny_model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "img2img-sd"
    shutil.copytree(tiny_model_dir, folder)
    index_path = folder / "model_index.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    index["_class_name"] = "StableDiffusionImg2ImgPipeline"
    index_path.write_text(json.dumps(index), encoding="utf-8")

    pipeline = load_pipeline(resolve_source(str(folder)), torch.float32)

    assert type(pipeline).__name__ == "StableDiffusionPipeline"


def test_sd_folder_skips_auto_pipeline(tiny_model_dir: Path) -> None:
    script = textwrap.dedent(f"""
        import sys, torch
        from pixova_desktop.engine.loader import load_pipeline
        from pixova_desktop.engine.sources import resolve_source
        pipeline = load_pipeline(resolve_source({str(tiny_model_dir)!r}), torch.float32)
        print(type(pipeline).__name__)
        print("diffusers.pipelines.auto_pipeline" in sys.modules)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["StableDiffusionPipeline", "False"]


def test_cached_hub_id_loads_offline(tiny_model_dir: Path) -> None:
    prefill_hub_cache(HUB_CACHE, "pixova-tests/tiny-sd", tiny_model_dir)
    engine = DiffusersEngine(PipelineCache())
    hub_image = _run(engine, _request("pixova-tests/tiny-sd"))[0]
    folder_image = _run(DiffusersEngine(PipelineCache()), _request(str(tiny_model_dir)))[0]
    assert np.array_equal(hub_image, folder_image)


def test_uncached_hub_id_says_not_downloaded() -> None:
    engine = DiffusersEngine(PipelineCache())
    with pytest.raises(ModelNotDownloadedError) as caught:
        _run(engine, _request("pixova-tests/never-downloaded"))
    message = str(caught.value)
    assert "pixova-tests/never-downloaded" in message
    assert "has not been downloaded" in message
    assert "Browse" in message


def test_second_job_reuses_pipeline(tiny_model_dir: Path) -> None:
    cache = PipelineCache()
    engine = DiffusersEngine(cache)
    _run(engine, _request(str(tiny_model_dir)))
    _run(engine, _request(str(tiny_model_dir), seed=8))
    assert cache.loads == 1


def test_other_model_replaces_cached(tiny_model_dir: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(tiny_model_dir, tmp_path / "copy")
    cache = PipelineCache()
    engine = DiffusersEngine(cache)
    _run(engine, _request(str(tiny_model_dir)))
    _run(engine, _request(str(copy)))
    assert cache.loads == 2


def test_batch_image_matches_single_seed(tiny_model_dir: Path) -> None:
    engine = DiffusersEngine(PipelineCache())
    batch = _run(engine, _request(str(tiny_model_dir), seed=20, batch_count=3))
    alone = _run(engine, _request(str(tiny_model_dir), seed=22))[0]
    assert len(batch) == 3
    assert np.array_equal(batch[2], alone)
    assert not np.array_equal(batch[0], batch[1])


def test_progress_counts_every_step(tiny_model_dir: Path) -> None:
    engine = DiffusersEngine(PipelineCache())
    seen: list[tuple[int, int]] = []
    request = _request(str(tiny_model_dir), steps=3, batch_count=2)
    list(engine.generate(request, lambda done, total, latents: seen.append((done, total)),
                         lambda: False))
    assert seen == [(1, 6), (2, 6), (3, 6), (4, 6), (5, 6), (6, 6)]


def test_cancel_stops_at_next_step(tiny_model_dir: Path) -> None:
    engine = DiffusersEngine(PipelineCache())
    steps: list[int] = []
    request = _request(str(tiny_model_dir), steps=10)
    with pytest.raises(GenerationCancelled):
        list(engine.generate(request, lambda done, *rest: steps.append(done),
                             lambda: len(steps) >= 3))
    assert steps == [1, 2, 3]


def test_sampler_name_is_recorded(tiny_model_dir: Path) -> None:
    engine = DiffusersEngine(PipelineCache())
    for name in ("DPM++ 2M Karras", ""):
        request = _request(str(tiny_model_dir), scheduler=name)
        generated = next(iter(engine.generate(request, lambda *a: None, lambda: False)))
        assert generated.params.sampler == (name or "Euler")


def test_progress_bar_is_off(tiny_model_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    engine = DiffusersEngine(PipelineCache())
    _run(engine, _request(str(tiny_model_dir), steps=3))
    captured = capfd.readouterr()
    assert "it/s" not in captured.err
    assert "%|" not in captured.err


def test_preview_decodes_small_latents(tiny_model_dir: Path) -> None:
    engine = DiffusersEngine(PipelineCache())
    previews: list[object] = []
    request = _request(str(tiny_model_dir), steps=2)
    list(engine.generate(request, lambda done, total, preview: previews.append(preview),
                         lambda: False, previews=True))
    assert len(previews) == 2
    assert (previews[-1].width, previews[-1].height) == (64, 64)
    assert len(previews[-1].data) == 64 * 64 * 3


def test_preview_projects_large_latents(tiny_model_dir: Path) -> None:
    engine = DiffusersEngine(PipelineCache())
    previews: list[object] = []
    request = _request(str(tiny_model_dir), steps=1, width=320, height=256)
    list(engine.generate(request, lambda done, total, preview: previews.append(preview),
                         lambda: False, previews=True))
    factor = engine.cache.get(str(tiny_model_dir)).pipeline.vae_scale_factor
    assert 320 // factor * 256 // factor > 32 * 32
    assert (previews[0].width, previews[0].height) == (320 // factor, 256 // factor)


def test_previews_off_gives_none(tiny_model_dir: Path) -> None:
    engine = DiffusersEngine(PipelineCache())
    previews: list[object] = []
    list(engine.generate(_request(str(tiny_model_dir)),
                         lambda done, total, preview: previews.append(preview), lambda: False))
    assert previews == [None, None]
