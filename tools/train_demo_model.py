"""Train the built-in Pixova demo text-to-image model on synthetic shapes.

The model is a small Stable Diffusion 1.x-style pipeline: a CLIP tokenizer with
its own word-level vocabulary, a CLIP text encoder, an AutoencoderKL with f=4
(64x64 images to 16x16x4 latents) and a UNet2DConditionModel trained for
epsilon prediction on a DDPM noise schedule. Training runs in phases:

1. build the tokenizer from the caption words,
2. train the autoencoder,
3. measure the latent scaling factor,
4. train the text encoder and UNet together,
5. save the pipeline, the app defaults and the model card.

Example, from the repository root:

    python tools/train_demo_model.py --output resources/models/pixova-demo
"""

from __future__ import annotations

import os

# PyTorch's OpenMP threads spin while they wait by default, which slows training
# several times over when other processes share the CPU cores. This has to be
# set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import copy
import logging
import random
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import (
    AutoencoderKL,
    DDPMScheduler,
    DPMSolverMultistepScheduler,
    StableDiffusionPipeline,
    UNet2DConditionModel,
)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

import demo_data
import demo_model_files

logger = logging.getLogger("train_demo_model")

MAX_TOKENS = 77
LATENT_CHANNELS = 4
TEXT_HIDDEN_SIZE = 128
# Weight of the KL term, which is summed over latent elements and divided by the
# pixel count. It only keeps latent values bounded: reconstruction dominates.
KL_WEIGHT = 1e-4
# Min-SNR-gamma loss weighting (arXiv:2303.09556) scales each sample's loss by
# min(SNR, gamma) / SNR, so low-noise timesteps do not dominate training.
MIN_SNR_GAMMA = 5.0


@dataclass
class PhaseReport:
    """Steps run and wall-clock seconds spent in one training phase."""

    steps: int = 0
    seconds: float = 0.0
    final_loss: float = float("nan")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=Path("resources/models/pixova-demo"),
                        help="pipeline folder to write (replaced if it exists)")
    parser.add_argument("--seed", type=int, default=1234, help="random seed")
    parser.add_argument("--vae-steps", type=int, default=1400,
                        help="maximum autoencoder optimizer steps")
    parser.add_argument("--vae-minutes", type=float, default=13.0,
                        help="wall-clock limit for autoencoder training, in minutes")
    parser.add_argument("--vae-batch-size", type=int, default=8)
    parser.add_argument("--unet-steps", type=int, default=3500,
                        help="maximum text encoder + UNet optimizer steps")
    parser.add_argument("--unet-minutes", type=float, default=70.0,
                        help="wall-clock limit for text encoder + UNet training, in minutes")
    parser.add_argument("--unet-batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=5e-4,
                        help="peak learning rate of the text encoder + UNet phase")
    parser.add_argument("--default-steps", type=int, default=20,
                        help="inference steps recommended in pixova_model.json")
    parser.add_argument("--default-cfg", type=float, default=2.0,
                        help="guidance scale recommended in pixova_model.json; at 3 and above, "
                             "more squares came out with rounded corners")
    parser.add_argument("--init-from", type=Path,
                        help="pipeline folder to continue from: its autoencoder is kept and its "
                             "text encoder and UNet are trained further (skips phases 2 and 3)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--log-every", type=int, default=25, help="steps between progress lines")
    return parser.parse_args(argv)


# Phase 1: tokenizer -----------------------------------------------------------


def build_tokenizer() -> tuple[CLIPTokenizer, dict[str, int], list[tuple[str, str]]]:
    """Build a CLIP tokenizer whose vocabulary contains every caption word as one token."""
    words = demo_data.caption_words()
    merges = demo_model_files.learn_bpe_merges(words)
    vocab = demo_model_files.build_vocab(words, merges)
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=MAX_TOKENS)
    for word in words:
        token_ids = tokenizer(word).input_ids
        if len(token_ids) != 3:
            raise RuntimeError(f"caption word {word!r} was split into tokens {token_ids}")
    logger.info("tokenizer: %d tokens, %d merges", len(vocab), len(merges))
    return tokenizer, vocab, merges


# Phase 2: autoencoder ---------------------------------------------------------


def create_autoencoder() -> AutoencoderKL:
    # Three blocks give a downsampling factor of 2**(3 - 1) = 4.
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 3,
        up_block_types=("UpDecoderBlock2D",) * 3,
        block_out_channels=(16, 32, 64),
        layers_per_block=1,
        latent_channels=LATENT_CHANNELS,
        norm_num_groups=4,
        sample_size=demo_data.IMAGE_SIZE,
    )


def train_autoencoder(args: argparse.Namespace, data_rng: random.Random) -> tuple[AutoencoderKL, PhaseReport]:
    """Train the autoencoder on reconstruction with a small KL penalty."""
    vae = create_autoencoder()
    optimizer = torch.optim.AdamW(vae.parameters(), lr=1e-3, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=1e-3, total_steps=args.vae_steps, pct_start=0.05
    )
    combos = demo_data.training_combos()
    report = PhaseReport()
    start = time.monotonic()
    losses: list[float] = []

    for step in range(1, args.vae_steps + 1):
        pixels, _ = demo_data.sample_batch(data_rng, args.vae_batch_size, combos)
        pixels = torch.from_numpy(pixels)
        posterior = vae.encode(pixels).latent_dist
        reconstruction = vae.decode(posterior.sample()).sample
        recon_loss = F.l1_loss(reconstruction, pixels) + F.mse_loss(reconstruction, pixels)
        kl_loss = posterior.kl().mean() / pixels[0].numel()
        loss = recon_loss + KL_WEIGHT * kl_loss

        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()

        losses.append(recon_loss.item())
        elapsed = time.monotonic() - start
        if step % args.log_every == 0 or step == args.vae_steps:
            logger.info("vae step %d/%d  recon %.4f  kl %.1f  %.2f s/step",
                        step, args.vae_steps, np.mean(losses[-args.log_every:]),
                        kl_loss.item() * pixels[0].numel(), elapsed / step)
        report.steps = step
        if elapsed > args.vae_minutes * 60:
            logger.info("vae time limit of %.1f min reached at step %d", args.vae_minutes, step)
            break

    report.seconds = time.monotonic() - start
    report.final_loss = float(np.mean(losses[-args.log_every:]))
    vae.eval().requires_grad_(False)
    return vae, report


# Phase 3: latent scaling ------------------------------------------------------


@torch.no_grad()
def measure_scaling_factor(vae: AutoencoderKL, data_rng: random.Random, samples: int = 512) -> float:
    """Set and return the VAE scaling factor that gives latents unit standard deviation."""
    combos = demo_data.training_combos()
    latents = []
    for _ in range(samples // 64):
        pixels, _ = demo_data.sample_batch(data_rng, 64, combos)
        latents.append(vae.encode(torch.from_numpy(pixels)).latent_dist.mode())
    latents = torch.cat(latents)
    scaling_factor = float(1.0 / latents.std())
    vae.register_to_config(scaling_factor=scaling_factor)
    logger.info("latent mean %.3f, std %.3f, scaling_factor %.4f",
                latents.mean().item(), latents.std().item(), scaling_factor)
    return scaling_factor


# Phase 4: text encoder and UNet -----------------------------------------------


def create_text_encoder(vocab_size: int) -> CLIPTextModel:
    config = CLIPTextConfig(
        vocab_size=vocab_size,
        hidden_size=TEXT_HIDDEN_SIZE,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=MAX_TOKENS,
        projection_dim=TEXT_HIDDEN_SIZE,
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
    )
    return CLIPTextModel(config)


def create_unet() -> UNet2DConditionModel:
    latent_size = demo_data.IMAGE_SIZE // 4
    return UNet2DConditionModel(
        sample_size=latent_size,
        in_channels=LATENT_CHANNELS,
        out_channels=LATENT_CHANNELS,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        block_out_channels=(32, 64, 128),
        layers_per_block=1,
        attention_head_dim=8,
        cross_attention_dim=TEXT_HIDDEN_SIZE,
        norm_num_groups=8,
    )


def create_scheduler() -> DPMSolverMultistepScheduler:
    """Create the inference scheduler; training uses a DDPMScheduler with its betas."""
    return DPMSolverMultistepScheduler(
        num_train_timesteps=1000,
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        prediction_type="epsilon",
        steps_offset=1,
    )


def min_snr_weights(noise_scheduler: DDPMScheduler, timesteps: torch.Tensor) -> torch.Tensor:
    alphas_cumprod = noise_scheduler.alphas_cumprod[timesteps]
    snr = alphas_cumprod / (1.0 - alphas_cumprod)
    return torch.clamp(snr, max=MIN_SNR_GAMMA) / snr


def learning_rate_factor(step: int, total_steps: int, warmup_steps: int = 100) -> float:
    """Return the factor for linear warmup followed by cosine decay to 10 %."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return 0.1 + 0.9 * 0.5 * (1.0 + np.cos(np.pi * progress))


def denoiser_loss(batch, models, noise_scheduler, generator) -> torch.Tensor:
    """Return the min-SNR weighted epsilon-prediction loss of one batch."""
    latents, token_ids = batch
    text_encoder, unet = models
    noise = torch.randn(latents.shape, generator=generator)
    timesteps = torch.randint(0, noise_scheduler.config.num_train_timesteps,
                              (latents.shape[0],), generator=generator)
    noisy_latents = noise_scheduler.add_noise(latents, noise, timesteps)
    encoder_states = text_encoder(token_ids).last_hidden_state
    prediction = unet(noisy_latents, timesteps, encoder_states).sample
    per_sample = F.mse_loss(prediction, noise, reduction="none").mean(dim=(1, 2, 3))
    return (per_sample * min_snr_weights(noise_scheduler, timesteps)).mean()


@torch.no_grad()
def encode_batch(vae, tokenizer, data_rng, batch_size, combos):
    pixels, captions = demo_data.sample_batch(data_rng, batch_size, combos)
    # The posterior mean, not a sample, so the UNet learns latents without the
    # encoder's sampling noise.
    latents = vae.encode(torch.from_numpy(pixels)).latent_dist.mode()
    token_ids = tokenizer(captions, padding="max_length", max_length=MAX_TOKENS,
                          truncation=True, return_tensors="pt").input_ids
    return latents * vae.config.scaling_factor, token_ids


def train_denoiser(args, vae, tokenizer, data_rng, models) -> tuple[CLIPTextModel, UNet2DConditionModel, PhaseReport]:
    """Train the text encoder and UNet jointly; return their EMA weights."""
    text_encoder, unet = models
    text_encoder.train().requires_grad_(True)
    unet.train().requires_grad_(True)
    ema_models = [copy.deepcopy(text_encoder).requires_grad_(False), copy.deepcopy(unet).requires_grad_(False)]
    parameters = list(text_encoder.parameters()) + list(unet.parameters())
    ema_parameters = list(ema_models[0].parameters()) + list(ema_models[1].parameters())
    optimizer = torch.optim.AdamW(parameters, lr=args.learning_rate, weight_decay=1e-2)
    noise_scheduler = DDPMScheduler.from_config(create_scheduler().config)
    generator = torch.Generator().manual_seed(args.seed)
    combos = demo_data.training_combos()
    report, losses, start = PhaseReport(), [], time.monotonic()

    for step in range(args.unet_steps):
        for group in optimizer.param_groups:
            group["lr"] = args.learning_rate * learning_rate_factor(step, args.unet_steps)
        batch = encode_batch(vae, tokenizer, data_rng, args.unet_batch_size, combos)
        loss = denoiser_loss(batch, (text_encoder, unet), noise_scheduler, generator)

        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        # EMA decay warms up from 0 so early weights fade quickly.
        decay = min(0.995, (1 + step) / (10 + step))
        with torch.no_grad():
            torch._foreach_lerp_(ema_parameters, parameters, 1.0 - decay)

        losses.append(loss.item())
        report.steps, elapsed = step + 1, time.monotonic() - start
        if report.steps % args.log_every == 0 or report.steps == args.unet_steps:
            logger.info("unet step %d/%d  loss %.4f  lr %.2e  %.2f s/step", report.steps,
                        args.unet_steps, np.mean(losses[-args.log_every:]),
                        optimizer.param_groups[0]["lr"], elapsed / report.steps)
        if elapsed > args.unet_minutes * 60:
            logger.info("unet time limit of %.1f min reached at step %d", args.unet_minutes, report.steps)
            break

    report.seconds = time.monotonic() - start
    report.final_loss = float(np.mean(losses[-args.log_every:]))
    return ema_models[0].eval(), ema_models[1].eval(), report


# Phase 5: save ----------------------------------------------------------------


def save_pipeline(args, components, vocab, merges) -> None:
    """Save the pipeline with safetensors weights and the plain tokenizer files."""
    tokenizer, text_encoder, vae, unet = components
    pipeline = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=create_scheduler(),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    demo_model_files.clear_output_folder(args.output)
    pipeline.save_pretrained(args.output, safe_serialization=True)
    demo_model_files.write_tokenizer_files(args.output / "tokenizer", vocab, merges)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    data_rng = random.Random(args.seed)
    started = time.monotonic()

    logger.info("phase 1: tokenizer")
    tokenizer, vocab, merges = build_tokenizer()
    reports: dict[str, PhaseReport] = {}
    if args.init_from is None:
        logger.info("phase 2: autoencoder")
        vae, reports["autoencoder"] = train_autoencoder(args, data_rng)
        logger.info("phase 3: latent scaling factor")
        measure_scaling_factor(vae, data_rng)
        models = (create_text_encoder(len(tokenizer)), create_unet())
        previous_runs = []
    else:
        logger.info("phases 2 and 3: autoencoder and text encoder + UNet loaded from %s", args.init_from)
        vae = AutoencoderKL.from_pretrained(args.init_from / "vae").eval().requires_grad_(False)
        models = (CLIPTextModel.from_pretrained(args.init_from / "text_encoder"),
                  UNet2DConditionModel.from_pretrained(args.init_from / "unet"))
        previous_runs = demo_model_files.read_training_runs(args.init_from)
    logger.info("phase 4: text encoder and UNet")
    text_encoder, unet, reports["text encoder + UNet"] = train_denoiser(args, vae, tokenizer, data_rng, models)
    logger.info("phase 5: save to %s", args.output)
    save_pipeline(args, (tokenizer, text_encoder, vae, unet), vocab, merges)

    run = {
        "command": "python " + shlex.join(["tools/train_demo_model.py", *argv]),
        "phases": [{"name": name, "steps": report.steps, "minutes": round(report.seconds / 60, 1),
                    "final_loss": round(report.final_loss, 4)} for name, report in reports.items()],
        "total_minutes": round((time.monotonic() - started) / 60, 1),
        "threads": args.threads,
    }
    demo_model_files.write_app_defaults(args.output, create_scheduler(), args.default_steps, args.default_cfg)
    demo_model_files.write_model_card(args.output, previous_runs + [run])
    logger.info("done in %.1f min; folder size %.1f MB", run["total_minutes"],
                demo_model_files.folder_size_bytes(args.output) / 1e6)
    return 0


if __name__ == "__main__":
    sys.exit(main())
