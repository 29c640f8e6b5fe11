"""Compare `pixova-desktop generate` with plain diffusers on the same request, process by process.

Each round runs both commands as child processes, in alternating order (A B, then B A), and
records the whole-process wall time and peak RSS of each. The ratios are Pixova / diffusers.
The first round of each pair also checks that both wrote the same pixels.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common import (
    REPO_ROOT,
    isolated_env,
    median,
    models_for,
    print_header,
    print_table,
    run_child,
    use_isolated_env,
)

TIME_TARGET, RSS_TARGET = 1.05, 1.10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="builtin", help="builtin or tiny (default: builtin)")
    parser.add_argument("--rounds", type=int, default=5, help="A/B rounds (default: 5)")
    parser.add_argument("--batch", type=int, default=4, help="images per process (default: 4)")
    parser.add_argument("--steps", type=int, default=20, help="steps per image (default: 20)")
    parser.add_argument("--size", type=int, default=64, help="width and height (default: 64)")
    parser.add_argument("--cfg", type=float, default=7.0, help="CFG scale (default: 7.0)")
    args = parser.parse_args()

    scratch = use_isolated_env("pixova-bench-overhead-")
    print_header("Overhead: pixova-desktop generate against plain diffusers")
    models = models_for(args.model, scratch)
    if not models:
        raise SystemExit(f"error: model {args.model} is missing; train the built-in model with "
                         "tools/train_demo_model.py, or pass --model tiny")
    name, folder = models[0]
    prompt = "a red circle on a white background"
    common = ["--steps", str(args.steps), "--cfg", str(args.cfg), "--width", str(args.size),
              "--height", str(args.size), "--seed", "1000", "--batch", str(args.batch)]
    pixova = [str(Path(sys.executable).parent / "pixova-desktop"), "generate", prompt,
              "--model", str(folder), *common]
    plain = [sys.executable, str(REPO_ROOT / "bench" / "plain_diffusers.py"), prompt,
             "--model", str(folder), *common]
    print(f"work per process: model {name}, {args.batch} images of {args.size}x{args.size}, "
          f"{args.steps} steps, CFG {args.cfg}, the model's own scheduler, seeds 1000+")
    print(f"A: {' '.join(pixova)} --out DIR")
    print(f"B: {' '.join(plain)} --out DIR", flush=True)

    rows = []
    for round_index in range(args.rounds):
        results = {}
        order = ("A", "B") if round_index % 2 == 0 else ("B", "A")
        for label in order:
            home = scratch / f"round{round_index}-{label}"
            out = home / "out"
            command = (pixova if label == "A" else plain) + ["--out", str(out)]
            wall, rss, code = run_child(command, isolated_env(home))
            if code != 0:
                raise SystemExit(f"error: {label} exited with status {code}: {command}")
            results[label] = (wall, rss, out)
        if round_index == 0:
            check_same_pixels(results["A"][2], results["B"][2], args.batch)
        (a_wall, a_rss, _), (b_wall, b_rss, _) = results["A"], results["B"]
        rows.append([round_index + 1, "".join(order), a_wall, b_wall, a_wall / b_wall,
                     a_rss, b_rss, a_rss / b_rss])
        print(f"round {round_index + 1}: A {a_wall:.2f} s {a_rss} MiB, "
              f"B {b_wall:.2f} s {b_rss} MiB", flush=True)

    print()
    print_table(["round", "order", "A s", "B s", "time A/B", "A MiB", "B MiB", "RSS A/B"], rows)
    time_ratio = median([row[4] for row in rows])
    rss_ratio = median([row[7] for row in rows])
    print(f"median time A/B: {time_ratio:.3f} (target <= {TIME_TARGET}: "
          f"{'met' if time_ratio <= TIME_TARGET else 'missed'})")
    print(f"median peak RSS A/B: {rss_ratio:.3f} (target <= {RSS_TARGET}: "
          f"{'met' if rss_ratio <= RSS_TARGET else 'missed'})")


def check_same_pixels(pixova_out: Path, plain_out: Path, batch: int) -> None:
    """Print whether both runs made the same images, matched by the seed in each file name."""
    from PIL import Image

    plain = {path.stem: path for path in plain_out.glob("*.png")}
    pixova = {seed: path for seed in plain for path in pixova_out.glob(f"*-{seed}-*.png")}
    if len(plain) != batch or len(pixova) != batch:
        print(f"note: expected {batch} images each, found {len(pixova)} and {len(plain)}")
        return
    same = sum(
        Image.open(pixova[seed]).tobytes() == Image.open(plain[seed]).tobytes() for seed in plain
    )
    print(f"same pixels in {same} of {batch} image pairs", flush=True)


if __name__ == "__main__":
    main()
