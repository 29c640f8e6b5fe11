"""Compare it/s on a CUDA GPU: our engine against plain diffusers, 512x512 SD 1.x in fp16.

The pipeline has random weights in the SD 1.5 shapes (UNet block_out_channels 320, 640,
1280, 1280, cross_attention_dim 768, a 12-layer CLIP text encoder with 768 hidden units, the
SD VAE), so nothing is downloaded; speed does not depend on the weight values. It is saved
to a temporary folder and loaded by both sides with the default attention processor. it/s is
measured between step callbacks (after a CUDA synchronize) from the second step on.
Without a CUDA device it prints "skipped: no CUDA device" and exits 0; --cpu-dry-run runs a
scaled-down copy on the CPU to check the script itself.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from common import median, print_header, print_table, use_isolated_env

PROMPT = "a photograph of an astronaut riding a horse"


def build_sd15_like(folder: Path, dtype: object, device: str, scale: int) -> None:
    """Save a random-weight pipeline with SD 1.5's configs (channels divided by `scale`)."""
    import torch
    from diffusers import AutoencoderKL, PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in "abcdefghijklmnopqrstuvwxyz":
        vocab[char] = len(vocab)
        vocab[char + "</w>"] = len(vocab)
    with tempfile.TemporaryDirectory() as vocab_dir:
        (Path(vocab_dir) / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
        (Path(vocab_dir) / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
        tokenizer = CLIPTokenizer(str(Path(vocab_dir) / "vocab.json"),
                                  str(Path(vocab_dir) / "merges.txt"), model_max_length=77)

    torch.manual_seed(0)
    with torch.device(device):
        unet = UNet2DConditionModel(
            sample_size=64, in_channels=4, out_channels=4, layers_per_block=2,
            block_out_channels=tuple(c // scale for c in (320, 640, 1280, 1280)),
            down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
            up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
            cross_attention_dim=768 // scale, attention_head_dim=8,
            norm_num_groups=32 // scale,
        )
        vae = AutoencoderKL(
            in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2,
            block_out_channels=tuple(c // scale for c in (128, 256, 512, 512)),
            down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
            norm_num_groups=32 // scale, sample_size=512, scaling_factor=0.18215,
        )
        text_encoder = CLIPTextModel(CLIPTextConfig(
            vocab_size=49408, hidden_size=768 // scale, intermediate_size=3072 // scale,
            num_hidden_layers=12, num_attention_heads=12, max_position_embeddings=77,
            hidden_act="quick_gelu", projection_dim=768 // scale, bos_token_id=0, eos_token_id=1,
            pad_token_id=1,
        ))
    scheduler = PNDMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                              skip_prk_steps=True, steps_offset=1)
    pipeline = StableDiffusionPipeline(
        unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    ).to(dtype=dtype)
    pipeline.save_pretrained(folder, safe_serialization=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=25, help="steps per image (default: 25)")
    parser.add_argument("--rounds", type=int, default=3, help="A/B rounds (default: 3)")
    parser.add_argument("--size", type=int, default=512, help="width and height (default: 512)")
    parser.add_argument("--cpu-dry-run", action="store_true",
                        help="run a scaled-down model at 64x64 on the CPU to test the script")
    args = parser.parse_args()

    scratch = use_isolated_env("pixova-bench-gpu-")
    print_header("GPU it/s: engine against plain diffusers, SD 1.x shapes, fp16")
    import torch

    if not torch.cuda.is_available() and not args.cpu_dry_run:
        print("skipped: no CUDA device")
        return
    from diffusers import StableDiffusionPipeline

    from pixova_desktop.core.request import GenerationRequest
    from pixova_desktop.core.settings import EngineOptions
    from pixova_desktop.engine.runner import DiffusersEngine

    device, dtype, scale = ("cuda", torch.float16, 1) if not args.cpu_dry_run else (
        "cpu", torch.float32, 8)
    size = args.size if not args.cpu_dry_run else 64
    if device == "cuda":
        print(f"GPU: {torch.cuda.get_device_name(0)}, CUDA {torch.version.cuda}")
    folder = scratch / "sd15-random"
    started = time.perf_counter()
    build_sd15_like(folder, dtype, device, scale)
    print(f"built the random SD 1.5-shaped pipeline in {time.perf_counter() - started:.1f} s",
          flush=True)

    engine = DiffusersEngine(options=EngineOptions(device=device))
    plain = StableDiffusionPipeline.from_pretrained(str(folder), torch_dtype=dtype).to(device)
    plain.set_progress_bar_config(disable=True)
    print(f"attention processor: {type(plain.unet.attn_processors[next(iter(plain.unet.attn_processors))]).__name__}")

    def synced_stamp(stamps: list[float]) -> None:
        if device == "cuda":
            torch.cuda.synchronize()
        stamps.append(time.perf_counter())

    def run_engine(steps: int, seed: int) -> tuple[float, float]:
        stamps: list[float] = []
        request = GenerationRequest(prompt=PROMPT, model=str(folder), steps=steps, width=size,
                                    height=size, seed=seed, cfg_scale=7.5).validated()
        begin = time.perf_counter()
        for _ in engine.generate(request, lambda *_: synced_stamp(stamps), lambda: False):
            pass
        return iterations_per_second(stamps), time.perf_counter() - begin

    def run_plain(steps: int, seed: int) -> tuple[float, float]:
        stamps: list[float] = []

        def callback(pipe: object, step: int, timestep: object, tensors: dict) -> dict:
            synced_stamp(stamps)
            return tensors

        begin = time.perf_counter()
        with torch.inference_mode():
            plain(prompt=PROMPT, num_inference_steps=steps, guidance_scale=7.5, width=size,
                  height=size, generator=torch.Generator("cpu").manual_seed(seed),
                  callback_on_step_end=callback)
        return iterations_per_second(stamps), time.perf_counter() - begin

    run_engine(3, 0)  # warm-up: load into the engine's cache, kernel selection
    run_plain(3, 0)
    rows = []
    for round_index in range(args.rounds):
        engine_its, engine_s = run_engine(args.steps, round_index)
        plain_its, plain_s = run_plain(args.steps, round_index)
        rows.append([round_index + 1, engine_its, plain_its, engine_its / plain_its,
                     engine_s, plain_s])
    print_table(["round", "engine it/s", "diffusers it/s", "engine/diffusers", "engine s/image",
                 "diffusers s/image"], rows)
    print(f"{size}x{size}, {args.steps} steps, CFG 7.5, {str(dtype).replace('torch.', '')} on "
          f"{device}: median engine {median([r[1] for r in rows]):.2f} it/s, diffusers "
          f"{median([r[2] for r in rows]):.2f} it/s, ratio {median([r[3] for r in rows]):.3f}")


def iterations_per_second(stamps: list[float]) -> float:
    """Return steps per second between the first and the last step callback."""
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


if __name__ == "__main__":
    main()
