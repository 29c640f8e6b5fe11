"""Tokenizer vocabulary, app defaults and model card of the Pixova demo model."""

from __future__ import annotations

import collections
import math
import json
import shutil
from pathlib import Path

import demo_data

BOS_TOKEN = "<|startoftext|>"
EOS_TOKEN = "<|endoftext|>"
END_OF_WORD = "</w>"


def _word_symbols(word: str) -> list[str]:
    return list(word[:-1]) + [word[-1] + END_OF_WORD]


def _apply_merge(symbols: list[str], pair: tuple[str, str]) -> list[str]:
    merged = []
    index = 0
    while index < len(symbols):
        if index + 1 < len(symbols) and (symbols[index], symbols[index + 1]) == pair:
            merged.append(symbols[index] + symbols[index + 1])
            index += 2
        else:
            merged.append(symbols[index])
            index += 1
    return merged


def learn_bpe_merges(words: list[str]) -> list[tuple[str, str]]:
    """Learn BPE merges until every word is a single token.

    Each step merges the most frequent adjacent pair, ties broken by sort order,
    exactly as BPE training does. Applying the merges in this order to any of
    the words therefore rebuilds the whole word.
    """
    symbols = {word: _word_symbols(word) for word in words}
    merges: list[tuple[str, str]] = []
    while any(len(parts) > 1 for parts in symbols.values()):
        pair_counts: collections.Counter[tuple[str, str]] = collections.Counter()
        for parts in symbols.values():
            pair_counts.update(zip(parts, parts[1:]))
        best = max(sorted(pair_counts), key=lambda pair: pair_counts[pair])
        merges.append(best)
        symbols = {word: _apply_merge(parts, best) for word, parts in symbols.items()}
    return merges


def build_vocab(words: list[str], merges: list[tuple[str, str]]) -> dict[str, int]:
    """Return token ids: special tokens, single letters, then merge results."""
    letters = sorted(set("".join(words)))
    tokens = [BOS_TOKEN, EOS_TOKEN]
    tokens += letters + [letter + END_OF_WORD for letter in letters]
    for left, right in merges:
        if left + right not in tokens:
            tokens.append(left + right)
    return {token: index for index, token in enumerate(tokens)}


def write_tokenizer_files(folder: Path, vocab: dict[str, int], merges: list[tuple[str, str]]) -> None:
    """Write vocab.json and merges.txt next to tokenizer.json.

    transformers 5 saves only tokenizer.json; the two plain files let
    tokenizers that read the original CLIP format load the vocabulary too.
    """
    (folder / "vocab.json").write_text(json.dumps(vocab, indent=1) + "\n", encoding="utf-8")
    lines = ["#version: 0.2"] + [f"{left} {right}" for left, right in merges]
    (folder / "merges.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def clear_output_folder(folder: Path) -> None:
    """Delete the files that save_pretrained writes so no stale weights remain."""
    for name in ("model_index.json", "README.md", "pixova_model.json"):
        (folder / name).unlink(missing_ok=True)
    for name in ("scheduler", "text_encoder", "tokenizer", "unet", "vae"):
        shutil.rmtree(folder / name, ignore_errors=True)


def folder_size_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def join_with_or(words) -> str:
    """Join words as "a, b or c"."""
    words = list(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def write_app_defaults(folder: Path, scheduler, steps: int, cfg_scale: float) -> None:
    """Write pixova_model.json, the generation settings that Pixova starts with."""
    example = demo_data.format_caption("red", "circle", "blue")
    defaults = {
        "name": "Pixova demo",
        "description": (
            f"Draws a {join_with_or(demo_data.COLORS)} {join_with_or(demo_data.SHAPES)} "
            f"on a plain background of another of those colours, from prompts such as "
            f"\"{example}\"."
        ),
        "width": demo_data.IMAGE_SIZE,
        "height": demo_data.IMAGE_SIZE,
        "steps": steps,
        "cfg_scale": cfg_scale,
        "scheduler": type(scheduler).__name__,
    }
    (folder / "pixova_model.json").write_text(json.dumps(defaults, indent=2) + "\n", encoding="utf-8")


def parameter_count(folder: Path, component: str) -> int:
    """Count the weights stored in one component's safetensors files."""
    from safetensors import safe_open

    total = 0
    for path in (folder / component).glob("*.safetensors"):
        with safe_open(path, framework="pt") as weights:
            for key in weights.keys():
                total += math.prod(weights.get_slice(key).get_shape())
    return total


def read_training_runs(folder: Path) -> list[dict]:
    """Return the training runs recorded in a model card written by write_model_card."""
    card = (folder / "README.md").read_text(encoding="utf-8")
    start = card.find(RUNS_MARKER)
    if start < 0:
        raise ValueError(f"{folder / 'README.md'} has no {RUNS_MARKER!r} comment; "
                         "it was not written by tools/train_demo_model.py")
    end = card.index("-->", start)
    return json.loads(card[start + len(RUNS_MARKER) : end])


def _format_runs(runs: list[dict]) -> str:
    sections = []
    for number, run in enumerate(runs, start=1):
        rows = "\n".join(
            f"| {phase['name']} | {phase['steps']} | {phase['minutes']:.1f} | {phase['final_loss']:.4f} |"
            for phase in run["phases"]
        )
        sections.append(
            f"Run {number} of {len(runs)}, from the repository root:\n\n```\n{run['command']}\n```\n\n"
            "| phase | steps | minutes | final loss |\n| --- | --- | --- | --- |\n"
            f"{rows}\n\nWall-clock time: {run['total_minutes']:.1f} minutes with "
            f"{run['threads']} torch threads."
        )
    return "\n\n".join(sections)


def write_model_card(folder: Path, runs: list[dict]) -> None:
    """Write README.md: what the model is, its data, and the training runs and times.

    Each run is a dict with "command", "phases" (name, steps, minutes,
    final_loss), "total_minutes" and "threads". The runs are also stored as
    JSON in an HTML comment so a later run started with --init-from can
    append to them.
    """
    held_out = "\n".join(
        f"- {demo_data.format_caption(*combo)}" for combo in demo_data.HELD_OUT_COMBOS
    )
    components = ("text_encoder", "unet", "vae")
    parameters = ", ".join(
        f"{name} {parameter_count(folder, name) / 1e6:.2f} M" for name in components
    )
    defaults = json.loads((folder / "pixova_model.json").read_text(encoding="utf-8"))
    card = MODEL_CARD_TEMPLATE.format(
        colors=join_with_or(demo_data.COLORS),
        shapes=join_with_or(demo_data.SHAPES),
        size=demo_data.IMAGE_SIZE,
        example=demo_data.format_caption("red", "circle", "blue"),
        empty_percent=round(demo_data.EMPTY_CAPTION_PROBABILITY * 100),
        partial_percent=round(demo_data.PARTIAL_CAPTION_PROBABILITY * 100),
        min_size=demo_data.MIN_SHAPE_SIZE,
        max_size=demo_data.MAX_SHAPE_SIZE,
        held_out=held_out,
        parameters=parameters,
        runs=_format_runs(runs),
        total_minutes=sum(run["total_minutes"] for run in runs),
        steps=defaults["steps"],
        cfg_scale=defaults["cfg_scale"],
        scheduler=defaults["scheduler"],
        size_mb=folder_size_bytes(folder) / 1e6,
    )
    card += f"\n{RUNS_MARKER}{json.dumps(runs)}-->\n"
    (folder / "README.md").write_text(card, encoding="utf-8")


RUNS_MARKER = "<!-- training-runs: "

MODEL_CARD_TEMPLATE = """\
---
license: cc0-1.0
library_name: diffusers
pipeline_tag: text-to-image
tags:
- stable-diffusion
- synthetic-data
---

# Pixova demo

A tiny text-to-image model that ships with Pixova Desktop so the app can
generate images offline on first launch. It draws a
{colors} {shapes}
on a plain background of another of those colours, at {size}x{size} pixels.
It knows nothing else.

It is a Stable Diffusion 1.x-style `StableDiffusionPipeline` trained from
scratch: `CLIPTokenizer` (own word-level vocabulary), `CLIPTextModel`,
`AutoencoderKL` (f=4, 4 latent channels) and `UNet2DConditionModel`.
Parameters: {parameters}. Folder size: {size_mb:.1f} MB.

```python
from diffusers import StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("resources/models/pixova-demo")
image = pipe("{example}", num_inference_steps={steps},
             guidance_scale={cfg_scale}, height={size}, width={size}).images[0]
```

Recommended settings (also in `pixova_model.json`): {scheduler},
{steps} steps, guidance scale {cfg_scale}, {size}x{size}.

## Training data

Synthetic images drawn with Pillow during training; no data set is stored.
Each image is one flat-coloured shape of {min_size}-{max_size} pixels at a
random position on a flat background of a different colour, captioned
"a {{color}} {{shape}} on a {{background}} background", for example
"{example}". {empty_percent} % of captions are empty, for classifier-free
guidance. {partial_percent} % name only some of the attributes (for example
"a circle on a white background", "a red circle" or just "red"), so single
words such as "red" work as negative prompts.

These colour-shape-background combinations never appear in training. Every
word and every pair of words in them does, so prompting them tests whether
the model composes words it learned separately:

{held_out}

## Training

{runs}

Total wall-clock time: {total_minutes:.1f} minutes on a 2-core CPU without a
GPU. Runs with the same commands, seeds and thread counts on the same machine
give the same weights, unless a phase stops at its time limit (`--vae-minutes`,
`--unet-minutes`) before its step count, as it does on a slower or busier
machine. The UNet and text encoder weights are exponential moving averages.

## Evaluation

`tests/test_demo_model_fidelity.py` generates images from the shipped
weights and classifies background colour, foreground colour and shape with a
fixed pixel-based classifier, for training and held-out combinations, and
checks that classifier-free guidance and negative prompts change the results.

## Limitations

The model is small and trained for little more than an hour on a CPU. Edges
are soft, and some squares come out with rounded corners. Guidance scales
above the default of {cfg_scale} make squares rounder: the default was chosen by
scoring the evaluation grid at several scales.
Only the vocabulary above is understood: other words are unknown tokens.
Sizes other than {size}x{size} were not trained. The images are not
meant to be useful beyond showing that the app works.

## Licence

The weights and this card are released under CC0-1.0 (public domain
dedication).
"""
