"""Measure the time per image against image size and against steps, through the engine.

`DiffusersEngine.generate` runs in this process with the pipeline already loaded (one
warm-up image first) and previews off. The size sweep uses --fixed-steps; the steps sweep
uses the model's native size. Each figure is the median of --repeats images.
"""

from __future__ import annotations

import argparse
import time

from common import median, models_for, print_header, print_table, use_isolated_env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="builtin,tiny",
                        help="comma-separated: builtin, tiny (default: both)")
    parser.add_argument("--sizes", default="64,128,192,256", help="square sizes in pixels")
    parser.add_argument("--steps", default="5,10,20,40", help="step counts")
    parser.add_argument("--fixed-steps", type=int, default=20,
                        help="steps for the size sweep (default: 20)")
    parser.add_argument("--repeats", type=int, default=2, help="images per figure (default: 2)")
    args = parser.parse_args()

    scratch = use_isolated_env("pixova-bench-scaling-")
    print_header("Scaling: time per image against size and steps")
    models = models_for(args.models, scratch)

    import torch

    from pixova_desktop.core.request import GenerationRequest
    from pixova_desktop.engine.runner import DiffusersEngine

    print(f"torch threads: {torch.get_num_threads()}, CFG 7.0, the model's own scheduler",
          flush=True)
    engine = DiffusersEngine()

    def seconds_per_image(folder: str, size: int, steps: int) -> float:
        times = []
        for seed in range(args.repeats):
            request = GenerationRequest(prompt="a red circle on a white background", model=folder,
                                        steps=steps, width=size, height=size, seed=seed,
                                        cfg_scale=7.0).validated()
            started = time.perf_counter()
            for _ in engine.generate(request, lambda *_: None, lambda: False):
                pass
            times.append(time.perf_counter() - started)
        return median(times)

    sizes = [int(value) for value in args.sizes.split(",")]
    step_counts = [int(value) for value in args.steps.split(",")]
    for name, folder in models:
        native = 64
        seconds_per_image(str(folder), native, 2)  # loads the pipeline and warms up
        print(f"### {name}: size sweep at {args.fixed_steps} steps", flush=True)
        rows = []
        for size in sizes:
            seconds = seconds_per_image(str(folder), size, args.fixed_steps)
            rows.append([f"{size}x{size}", seconds, seconds / args.fixed_steps])
            print(f"{name} {size}x{size}: {seconds:.3f} s", flush=True)
        print_table(["size", "s per image", "s per step"], rows)

        print(f"### {name}: steps sweep at {native}x{native}", flush=True)
        rows = []
        for steps in step_counts:
            seconds = seconds_per_image(str(folder), native, steps)
            rows.append([steps, seconds, seconds / steps])
            print(f"{name} {steps} steps: {seconds:.3f} s", flush=True)
        print_table(["steps", "s per image", "s per step"], rows)
        if len(rows) >= 2:
            (low_steps, low, _), (high_steps, high, _) = rows[0], rows[-1]
            per_step = (high - low) / (high_steps - low_steps)
            print(f"{name}: about {per_step:.4f} s per extra step and {low - per_step * low_steps:.3f}"
                  f" s fixed per image (text encoder and VAE decode, no PNG saving), from the "
                  f"{low_steps}- and {high_steps}-step figures")
            print(flush=True)


if __name__ == "__main__":
    main()
