"""A scriptable engine for queue and window tests: solid-colour images, held steps, failures."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator

from PIL import Image

from pixova_desktop.core.job import GeneratedImage, PreviewImage
from pixova_desktop.core.metadata import ImageParameters
from pixova_desktop.core.request import GenerationRequest
from pixova_desktop.engine.errors import EngineError, GenerationCancelled


class FakeEngine:
    """Generates one solid-colour image per seed without torch.

    Attributes:
        gate: when set to an Event, every step waits for it, which keeps a job in processing.
        fail_with: an exception the next job raises at its first step, then cleared.
        requests: every request the engine ran, in order.
    """

    def __init__(self) -> None:
        self.gate: threading.Event | None = None
        self.fail_with: BaseException | None = None
        self.requests: list[GenerationRequest] = []
        self.step_reached = threading.Event()

    def generate(
        self,
        request: GenerationRequest,
        on_step: Callable[[int, int, object], None],
        is_cancelled: Callable[[], bool],
        previews: bool = False,
    ) -> Iterator[GeneratedImage]:
        self.requests.append(request)
        total = request.steps * request.batch_count
        for index, seed in enumerate(request.image_seeds()):
            for step in range(request.steps):
                if self.fail_with is not None:
                    error, self.fail_with = self.fail_with, None
                    raise error
                if self.gate is not None:
                    self.step_reached.set()
                    self.gate.wait(timeout=30)
                preview = _preview(step, request.steps) if previews else None
                on_step(index * request.steps + step + 1, total, preview)
                if is_cancelled():
                    raise GenerationCancelled()
            colour = (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256)
            image = Image.new("RGB", (request.width, request.height), colour)
            image_request = dataclasses.replace(request, seed=seed, batch_count=1)
            yield GeneratedImage(image, ImageParameters(image_request, "Euler", "fake model"))


def _preview(step: int, steps: int) -> PreviewImage:
    """A 16x16 grey square that gets lighter with each step."""
    level = int(255 * (step + 1) / steps)
    return PreviewImage(16, 16, bytes([level]) * (16 * 16 * 3))


def failing_engine_factory(message: str) -> Callable[[], FakeEngine]:
    def factory() -> FakeEngine:
        raise EngineError(message)

    return factory
