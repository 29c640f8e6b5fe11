"""Measure the time from `JobQueue.cancel` to the job's `cancelled` state, in steps and seconds.

A warm-up job loads the pipeline first. Each measured job is cancelled once it has done a
given number of steps; the main thread polls the store every millisecond. Steps after cancel
is the job's step count at the end minus the count when cancel was called.
"""

from __future__ import annotations

import argparse
import time

from common import median, models_for, print_header, print_table, use_isolated_env

POLL_SECONDS = 0.001


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="builtin", help="builtin or tiny (default: builtin)")
    parser.add_argument("--runs", type=int, default=5, help="cancelled jobs (default: 5)")
    parser.add_argument("--steps", type=int, default=40, help="steps per job (default: 40)")
    parser.add_argument("--size", type=int, default=64, help="width and height (default: 64)")
    args = parser.parse_args()

    scratch = use_isolated_env("pixova-bench-cancel-")
    print_header("Cancel latency: JobQueue.cancel to the cancelled state")
    models = models_for(args.model, scratch)
    if not models:
        raise SystemExit(f"error: model {args.model} is missing; train the built-in model with "
                         "tools/train_demo_model.py, or pass --model tiny")
    name, folder = models[0]

    from PySide6.QtCore import QCoreApplication

    from pixova_desktop.core.job import JobState
    from pixova_desktop.core.request import GenerationRequest
    from pixova_desktop.core.settings import Settings
    from pixova_desktop.jobs.queue import JobQueue
    from pixova_desktop.jobs.store import JobStore
    from pixova_desktop.pyside_imports import stop_source_caching

    app = QCoreApplication([])  # noqa: F841 - the thread pool needs an application object
    stop_source_caching()
    settings = Settings(output_dir=scratch / "out")
    store = JobStore(scratch / "jobs.sqlite3")
    queue = JobQueue(store, settings)

    def request(steps: int, seed: int) -> GenerationRequest:
        return GenerationRequest(prompt="a red circle on a white background", model=str(folder),
                                 steps=steps, width=args.size, height=args.size, seed=seed)

    warm_up = queue.submit(request(2, 0))
    queue.wait_for_idle(600_000)
    if queue.status(warm_up).state is not JobState.COMPLETED:
        raise SystemExit(f"error: the warm-up job failed: {queue.status(warm_up).error}")
    print(f"model {name}, {args.size}x{args.size}, {args.steps} steps, previews on; "
          f"cancel after step 3 + run number", flush=True)

    rows = []
    for run in range(args.runs):
        job_id = queue.submit(request(args.steps, run + 1))
        cancel_at = 3 + run
        while queue.status(job_id).step < cancel_at:
            time.sleep(POLL_SECONDS)
        # Time two later steps, so the latency can be compared with one step's duration.
        step_started = time.perf_counter()
        step_target = queue.status(job_id).step + 2
        while queue.status(job_id).step < step_target:
            time.sleep(POLL_SECONDS)
        step_seconds = (time.perf_counter() - step_started) / 2
        step_at_cancel = queue.status(job_id).step
        cancelled_at = time.perf_counter()
        queue.cancel(job_id)
        while not (snapshot := queue.status(job_id)).state.is_final:
            time.sleep(POLL_SECONDS)
        latency = time.perf_counter() - cancelled_at
        if snapshot.state is not JobState.CANCELLED:
            raise SystemExit(f"error: job {job_id} ended {snapshot.state.value}")
        steps_after = snapshot.step - step_at_cancel
        rows.append([run + 1, step_at_cancel, steps_after, latency, step_seconds,
                     latency / step_seconds, len(snapshot.result_paths)])
        print(f"run {run + 1}: cancelled at step {step_at_cancel}, {steps_after} more step(s), "
              f"{latency * 1000:.0f} ms", flush=True)

    print()
    print_table(["run", "step at cancel", "steps after cancel", "latency s", "one step s",
                 "latency / step", "images saved"], rows)
    worst_steps = max(row[2] for row in rows)
    print(f"median latency {median([row[3] for row in rows]):.3f} s, median "
          f"{median([row[5] for row in rows]):.2f} steps' time; max steps after cancel "
          f"{worst_steps} (target <= 1: {'met' if worst_steps <= 1 else 'missed'})")
    queue.shutdown()
    store.close()


if __name__ == "__main__":
    main()
