"""Run several jobs with the same model through one JobQueue and show the pipeline is loaded once.

The first job imports the engine and loads the pipeline. Later jobs reuse the cached one, so
`PipelineCache.loads` stays 1 and their time is generation alone.
"""

from __future__ import annotations

import argparse
import time

from common import median, models_for, print_header, print_table, use_isolated_env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="builtin", help="builtin or tiny (default: builtin)")
    parser.add_argument("--jobs", type=int, default=4, help="jobs to run (default: 4)")
    parser.add_argument("--steps", type=int, default=10, help="steps per job (default: 10)")
    parser.add_argument("--size", type=int, default=64, help="width and height (default: 64)")
    args = parser.parse_args()

    scratch = use_isolated_env("pixova-bench-reuse-")
    print_header("Pipeline reuse: several jobs through one JobQueue")
    models = models_for(args.model, scratch)
    if not models:
        raise SystemExit(f"error: model {args.model} is missing; train the built-in model with "
                         "tools/train_demo_model.py, or pass --model tiny")
    name, folder = models[0]

    from PySide6.QtCore import QCoreApplication

    from pixova_desktop.core.request import GenerationRequest
    from pixova_desktop.core.settings import Settings
    from pixova_desktop.jobs.queue import JobQueue
    from pixova_desktop.jobs.store import JobStore
    from pixova_desktop.pyside_imports import stop_source_caching

    app = QCoreApplication([])  # noqa: F841 - the thread pool needs an application object
    stop_source_caching()
    settings = Settings(output_dir=scratch / "out", previews=False)
    store = JobStore(scratch / "jobs.sqlite3")
    holder: dict[str, object] = {}

    def engine_factory() -> object:
        from pixova_desktop.engine.runner import DiffusersEngine

        engine = DiffusersEngine(options=settings.engine)
        holder["cache"] = engine.cache
        return engine

    queue = JobQueue(store, settings, engine_factory=engine_factory)
    print(f"model {name}, {args.jobs} jobs of 1 image {args.size}x{args.size}, {args.steps} steps",
          flush=True)

    rows = []
    submitted = time.perf_counter()
    for index in range(args.jobs):
        request = GenerationRequest(prompt="a blue square on a yellow background", model=str(folder),
                                    steps=args.steps, width=args.size, height=args.size,
                                    seed=index)
        job_id = queue.submit(request)
        if not queue.wait_for_idle(600_000):
            raise SystemExit("error: the job did not finish within 600 s")
        snapshot = queue.status(job_id)
        if snapshot.state.value != "completed":
            raise SystemExit(f"error: job {job_id} ended {snapshot.state.value}: {snapshot.error}")
        cache = holder["cache"]
        seconds = snapshot.finished_at - snapshot.started_at
        rows.append([index + 1, seconds, cache.loads])  # type: ignore[attr-defined]
        print(f"job {index + 1}: {seconds:.2f} s, loads {cache.loads}", flush=True)  # type: ignore[attr-defined]
    total = time.perf_counter() - submitted

    cache = holder["cache"]
    load_seconds = cache.get(str(folder)).load_seconds  # type: ignore[attr-defined]
    later = [row[1] for row in rows[1:]]
    print()
    print_table(["job", "seconds (started to finished)", "PipelineCache.loads after it"], rows)
    print(f"pipeline load (PipelineCache, from disk to ready): {load_seconds:.2f} s")
    if later:
        first_extra = rows[0][1] - median(later)
        print(f"job 1 minus the median of later jobs (engine import + load): {first_extra:.2f} s")
        print(f"median of jobs 2..{args.jobs}: {median(later):.2f} s")
    print(f"all {args.jobs} jobs, submit of the first to end of the last: {total:.2f} s")
    print(f"loads after {args.jobs} jobs: {cache.loads} "  # type: ignore[attr-defined]
          f"({'reused' if cache.loads == 1 else 'NOT reused'})")  # type: ignore[attr-defined]
    queue.shutdown()
    store.close()


if __name__ == "__main__":
    main()
