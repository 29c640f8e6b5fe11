"""Command line: `pixova-desktop` opens the window; `pixova-desktop generate PROMPT` runs headless."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from pixova_desktop.core.job import JobSnapshot, JobState
from pixova_desktop.core.models import default_model, model_defaults, model_display_name
from pixova_desktop.core.request import SAMPLER_NAMES, GenerationRequest, RequestError

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 130
CLI_POLL_INTERVAL_MS = 100


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pixova-desktop",
        description="Pixova Desktop: a local text-to-image studio. Without a command it opens "
        "the window.",
    )
    commands = parser.add_subparsers(dest="command")
    generate = commands.add_parser(
        "generate", help="generate images headless and save them as PNG files"
    )
    generate.add_argument("prompt", help="what to draw")
    generate.add_argument(
        "--model",
        default="",
        help="diffusers folder, .safetensors file or hub id (default: the built-in model)",
    )
    generate.add_argument("--out", type=Path, help="output folder (default: Pictures/Pixova)")
    generate.add_argument("--negative", default="", help="negative prompt: what to avoid")
    generate.add_argument("--steps", type=int, help="denoising steps, 1-150")
    generate.add_argument("--cfg", type=float, help="CFG (guidance) scale, 0-30")
    generate.add_argument("--width", type=int, help="image width in pixels, a multiple of 8")
    generate.add_argument("--height", type=int, help="image height in pixels, a multiple of 8")
    generate.add_argument("--seed", type=int, help="seed, 0 to 2^32-1 (default: random)")
    generate.add_argument("--batch", type=int, default=1, help="number of images, seeds S, S+1, ...")
    generate.add_argument(
        "--sampler", default="", choices=("",) + SAMPLER_NAMES, metavar="NAME",
        help=f"sampler, one of {', '.join(SAMPLER_NAMES)} (default: the model's own)"
    )
    generate.add_argument("--verbose", action="store_true", help="also print the log to stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "generate":
        return run_generate(args)
    from pixova_desktop.ui.app import run_window

    return run_window(sys.argv[:1])


def build_request(args: argparse.Namespace) -> GenerationRequest:
    """Fill the flags the user left out from the model's recommended defaults."""
    model = args.model or default_model()
    defaults = model_defaults(model)
    return GenerationRequest(
        prompt=args.prompt,
        negative_prompt=args.negative,
        model=model,
        steps=args.steps if args.steps is not None else defaults.steps,
        cfg_scale=args.cfg if args.cfg is not None else defaults.cfg_scale,
        width=args.width if args.width is not None else defaults.width,
        height=args.height if args.height is not None else defaults.height,
        seed=args.seed,
        scheduler=args.sampler,
        batch_count=args.batch,
    )


def run_generate(args: argparse.Namespace) -> int:
    """Submit one job to the same queue the window uses and report until it ends."""
    from pixova_desktop.engine.native_libraries import preload_torch_libraries

    # Opening torch's libraries releases the GIL, so it overlaps the Qt and store set-up
    # below instead of delaying the job's engine import.
    threading.Thread(target=preload_torch_libraries, name="preload-torch", daemon=True).start()

    from PySide6.QtCore import QCoreApplication, QTimer

    from pixova_desktop.core.logs import configure_logging
    from pixova_desktop.core.paths import job_store_path
    from pixova_desktop.core.settings import Settings
    from pixova_desktop.jobs.queue import JobQueue
    from pixova_desktop.jobs.store import JobStore
    from pixova_desktop.pyside_imports import restore_builtin_import, stop_source_caching

    # 1. Logging, the store and the queue. This process has no widgets, so it restores
    # Python's own import function in place of PySide6's import hook.
    stop_source_caching()
    restore_builtin_import()
    log_path = configure_logging(logging.INFO if args.verbose else None)
    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    store = JobStore(job_store_path())
    store.mark_interrupted()
    # Nothing shows step previews here, so the engine does not compute them.
    settings = Settings(previews=False)
    if args.out is not None:
        settings.output_dir = args.out
    queue = JobQueue(store, settings)

    # 2. Submit; invalid input ends here with the reason.
    try:
        request = build_request(args)
        job_id = queue.submit(request)
    except RequestError as error:
        print(f"error: {error}", file=sys.stderr)
        store.close()
        return EXIT_BAD_INPUT
    print(f"job {job_id} queued: {model_display_name(request.model)}, "
          f"{request.width}x{request.height}, {request.steps} steps", flush=True)

    # 3. Poll the job like the window does, printing each change.
    reporter = _Reporter(job_id)
    exit_code = [EXIT_FAILED]

    def poll() -> None:
        snapshot = queue.status(job_id)
        reporter.report(snapshot)
        if snapshot.state.is_final:
            exit_code[0] = _finish(snapshot, log_path)
            app.quit()

    timer = QTimer()
    timer.setInterval(CLI_POLL_INTERVAL_MS)
    timer.timeout.connect(poll)
    timer.start()
    signal.signal(signal.SIGINT, lambda *_: queue.cancel(job_id))
    app.exec()

    # 4. Clean up.
    timer.stop()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    queue.shutdown()
    store.close()
    return exit_code[0]


class _Reporter:
    """Prints state changes once each, and a progress bar for steps.

    On a terminal the bar redraws in place; otherwise each step is a line of its own.
    """

    BAR_WIDTH = 24

    def __init__(self, job_id: str) -> None:
        self._job_id = job_id
        self._last: tuple[JobState, int] | None = None
        self._in_place = sys.stdout.isatty()

    def report(self, snapshot: JobSnapshot) -> None:
        key = (snapshot.state, snapshot.step)
        if key == self._last:
            return
        state_changed = self._last is None or self._last[0] is not snapshot.state
        step_changed = self._last is None or self._last[1] != snapshot.step
        # A fast job can finish between polls; its last step is printed before "completed".
        if snapshot.state.is_final and step_changed and snapshot.step:
            self._print_bar(snapshot)
        if state_changed:
            self._print(f"job {self._job_id} {snapshot.state.value}")
        if snapshot.state is JobState.PROCESSING and step_changed and snapshot.step:
            self._print_bar(snapshot)
        self._last = key

    def _print_bar(self, snapshot: JobSnapshot) -> None:
        total = max(snapshot.total_steps, 1)
        filled = self.BAR_WIDTH * snapshot.step // total
        bar = "#" * filled + "-" * (self.BAR_WIDTH - filled)
        text = f"step {snapshot.step}/{snapshot.total_steps} [{bar}]"
        if snapshot.steps_per_second:
            text += f" {snapshot.steps_per_second:.2f} it/s"
        if snapshot.eta_seconds is not None:
            text += f", ETA {snapshot.eta_seconds:.0f}s"
        if self._in_place:
            print(f"\r{text}", end="", flush=True)
        else:
            print(text, flush=True)

    def _print(self, text: str) -> None:
        if self._in_place:
            print("\r\033[K", end="")
        print(text, flush=True)


def _finish(snapshot: JobSnapshot, log_path: Path) -> int:
    for path in snapshot.result_paths:
        print(f"saved {path}", flush=True)
    if snapshot.state is JobState.COMPLETED:
        return EXIT_OK
    if snapshot.state is JobState.CANCELLED:
        print("cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    print(f"error: {snapshot.error}", file=sys.stderr)
    print(f"(details in {log_path})", file=sys.stderr)
    return EXIT_FAILED
