"""Build a tiny random Stable Diffusion 1.x pipeline and export it as an LDM-layout single-file checkpoint."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import torch
from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
from safetensors.torch import load_file, save_file
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

UNET_PREFIX = "model.diffusion_model."
VAE_PREFIX = "first_stage_model."
TEXT_ENCODER_PREFIX = "cond_stage_model.transformer."

# Renames inside one UNet ResBlock, diffusers name -> LDM name.
UNET_RESNET_RENAMES = {
    "norm1.": "in_layers.0.",
    "conv1.": "in_layers.2.",
    "norm2.": "out_layers.0.",
    "conv2.": "out_layers.3.",
    "time_emb_proj.": "emb_layers.1.",
    "conv_shortcut.": "skip_connection.",
}
VAE_RESNET_RENAMES = {"conv_shortcut.": "nin_shortcut."}
VAE_ATTENTION_RENAMES = {
    "group_norm.": "norm.",
    "to_q.": "q.",
    "to_k.": "k.",
    "to_v.": "v.",
    "to_out.0.": "proj_out.",
}


def build_tiny_pipeline(folder: Path) -> Path:
    """Build a seeded random-weight tiny SD 1.x pipeline and save it to `folder` as safetensors."""
    chars = "abcdefghijklmnopqrstuvwxyz0123456789"
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in chars:
        vocab[char] = len(vocab)
        vocab[char + "</w>"] = len(vocab)

    with tempfile.TemporaryDirectory() as vocab_dir:
        vocab_file = Path(vocab_dir) / "vocab.json"
        merges_file = Path(vocab_dir) / "merges.txt"
        vocab_file.write_text(json.dumps(vocab), encoding="utf-8")
        merges_file.write_text("#version: 0.2\n", encoding="utf-8")
        tokenizer = CLIPTokenizer(str(vocab_file), str(merges_file), model_max_length=77)

    # 16 and 32 channels keep the saved folder at about 1.8 MB, and norm_num_groups must divide every channel count.
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(16, 32),
        layers_per_block=1,
        sample_size=16,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=4,
        norm_num_groups=8,
    )
    vae = AutoencoderKL(
        block_out_channels=[16, 32],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 2,
        up_block_types=["UpDecoderBlock2D"] * 2,
        latent_channels=4,
        norm_num_groups=8,
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=0,
            eos_token_id=1,
            hidden_size=32,
            intermediate_size=37,
            layer_norm_eps=1e-05,
            num_attention_heads=4,
            num_hidden_layers=2,
            pad_token_id=1,
            vocab_size=len(vocab),
            max_position_embeddings=77,
        )
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1
    )
    pipeline = StableDiffusionPipeline(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipeline.save_pretrained(folder, safe_serialization=True)
    return Path(folder)


def _rename_parts(suffix: str, renames: dict[str, str]) -> str:
    for diffusers_name, ldm_name in renames.items():
        suffix = suffix.replace(diffusers_name, ldm_name)
    return suffix


def _unet_prefix_map(config: dict) -> dict[str, tuple[str, dict[str, str]]]:
    """Map each diffusers UNet module prefix to its LDM prefix and the renames for keys below it."""
    layers_per_block = config["layers_per_block"]
    if not isinstance(layers_per_block, int):
        # diffusers' convert_ldm_unet_checkpoint reads layers_per_block as one int as well.
        raise ValueError(f"Invalid layers_per_block {layers_per_block!r}. The LDM layout needs one int for all blocks.")

    prefixes: dict[str, tuple[str, dict[str, str]]] = {
        "time_embedding.linear_1.": ("time_embed.0.", {}),
        "time_embedding.linear_2.": ("time_embed.2.", {}),
        "conv_in.": ("input_blocks.0.0.", {}),
        "conv_norm_out.": ("out.0.", {}),
        "conv_out.": ("out.2.", {}),
        "mid_block.resnets.0.": ("middle_block.0.", UNET_RESNET_RENAMES),
        "mid_block.attentions.0.": ("middle_block.1.", {}),
        "mid_block.resnets.1.": ("middle_block.2.", UNET_RESNET_RENAMES),
    }

    # LDM input_blocks: entry 0 is conv_in. Each down block adds `layers_per_block` entries of a ResBlock plus,
    # in cross-attention blocks, a SpatialTransformer. A Downsample entry follows every down block but the last.
    down_block_count = len(config["down_block_types"])
    for block in range(down_block_count):
        first_index = 1 + block * (layers_per_block + 1)
        for layer in range(layers_per_block):
            index = first_index + layer
            prefixes[f"down_blocks.{block}.resnets.{layer}."] = (f"input_blocks.{index}.0.", UNET_RESNET_RENAMES)
            prefixes[f"down_blocks.{block}.attentions.{layer}."] = (f"input_blocks.{index}.1.", {})
        if block < down_block_count - 1:
            downsample_index = first_index + layers_per_block
            prefixes[f"down_blocks.{block}.downsamplers.0.conv."] = (f"input_blocks.{downsample_index}.0.op.", {})

    # LDM output_blocks: each up block has `layers_per_block + 1` entries laid out like input_blocks.
    # The last entry of every block but the final one also holds the Upsample, after the transformer if any.
    up_block_types = config["up_block_types"]
    for block, block_type in enumerate(up_block_types):
        first_index = block * (layers_per_block + 1)
        for layer in range(layers_per_block + 1):
            index = first_index + layer
            prefixes[f"up_blocks.{block}.resnets.{layer}."] = (f"output_blocks.{index}.0.", UNET_RESNET_RENAMES)
            prefixes[f"up_blocks.{block}.attentions.{layer}."] = (f"output_blocks.{index}.1.", {})
        if block < len(up_block_types) - 1:
            last_index = first_index + layers_per_block
            upsample_slot = 2 if block_type.startswith("CrossAttn") else 1
            upsample_prefix = f"output_blocks.{last_index}.{upsample_slot}.conv."
            prefixes[f"up_blocks.{block}.upsamplers.0.conv."] = (upsample_prefix, {})
    return prefixes


def _vae_prefix_map(config: dict) -> dict[str, tuple[str, dict[str, str]]]:
    """Map each diffusers VAE module prefix to its LDM prefix and the renames for keys below it."""
    layers_per_block = config["layers_per_block"]
    prefixes: dict[str, tuple[str, dict[str, str]]] = {
        "quant_conv.": ("quant_conv.", {}),
        "post_quant_conv.": ("post_quant_conv.", {}),
    }
    for coder in ("encoder", "decoder"):
        prefixes[f"{coder}.conv_in."] = (f"{coder}.conv_in.", {})
        prefixes[f"{coder}.conv_out."] = (f"{coder}.conv_out.", {})
        prefixes[f"{coder}.conv_norm_out."] = (f"{coder}.norm_out.", {})
        prefixes[f"{coder}.mid_block.resnets.0."] = (f"{coder}.mid.block_1.", VAE_RESNET_RENAMES)
        prefixes[f"{coder}.mid_block.resnets.1."] = (f"{coder}.mid.block_2.", VAE_RESNET_RENAMES)
        prefixes[f"{coder}.mid_block.attentions.0."] = (f"{coder}.mid.attn_1.", VAE_ATTENTION_RENAMES)

    down_block_count = len(config["down_block_types"])
    for block in range(down_block_count):
        for layer in range(layers_per_block):
            prefixes[f"encoder.down_blocks.{block}.resnets.{layer}."] = (
                f"encoder.down.{block}.block.{layer}.",
                VAE_RESNET_RENAMES,
            )
        prefixes[f"encoder.down_blocks.{block}.downsamplers.0.conv."] = (f"encoder.down.{block}.downsample.conv.", {})

    # The LDM decoder numbers its up blocks from the lowest resolution up, so diffusers' up_blocks.0 is up.{n-1}.
    up_block_count = len(config["up_block_types"])
    for block in range(up_block_count):
        ldm_block = up_block_count - 1 - block
        for layer in range(layers_per_block + 1):
            prefixes[f"decoder.up_blocks.{block}.resnets.{layer}."] = (
                f"decoder.up.{ldm_block}.block.{layer}.",
                VAE_RESNET_RENAMES,
            )
        prefixes[f"decoder.up_blocks.{block}.upsamplers.0.conv."] = (f"decoder.up.{ldm_block}.upsample.conv.", {})
    return prefixes


def _convert_with_prefix_map(
    state_dict: dict[str, torch.Tensor], prefixes: dict[str, tuple[str, dict[str, str]]], component: str
) -> dict[str, tuple[str, torch.Tensor]]:
    """Rename every key of `state_dict` and return {diffusers key: (LDM key, tensor)}."""
    # Every prefix ends with a dot and none begins with another prefix, so at most one prefix matches a key.
    converted = {}
    for key, tensor in state_dict.items():
        match = next(((prefix, target) for prefix, target in prefixes.items() if key.startswith(prefix)), None)
        if match is None:
            raise ValueError(
                f"Cannot map {component} key {key!r} to the LDM layout. Only SD 1.x layouts are supported."
            )
        prefix, (ldm_prefix, renames) = match
        converted[key] = (ldm_prefix + _rename_parts(key[len(prefix) :], renames), tensor)
    return converted


def unet_to_ldm(state_dict: dict[str, torch.Tensor], config: dict) -> dict[str, torch.Tensor]:
    """Convert a diffusers UNet2DConditionModel state dict to LDM keys under `model.diffusion_model.`."""
    converted = _convert_with_prefix_map(state_dict, _unet_prefix_map(config), "UNet")
    return {UNET_PREFIX + ldm_key: tensor for ldm_key, tensor in converted.values()}


def vae_to_ldm(state_dict: dict[str, torch.Tensor], config: dict) -> dict[str, torch.Tensor]:
    """Convert a diffusers AutoencoderKL state dict to LDM keys under `first_stage_model.`."""
    converted = _convert_with_prefix_map(state_dict, _vae_prefix_map(config), "VAE")

    ldm_state_dict = {}
    for diffusers_key, (ldm_key, tensor) in converted.items():
        # The LDM mid-block attention uses 1x1 convolutions where diffusers uses linear layers,
        # so the q, k, v and proj_out weights gain two trailing dimensions of size 1.
        if ".mid_block.attentions." in diffusers_key and diffusers_key.endswith(".weight") and tensor.ndim == 2:
            tensor = tensor[:, :, None, None]
        ldm_state_dict[VAE_PREFIX + ldm_key] = tensor
    return ldm_state_dict


def text_encoder_to_ldm(state_dict: dict[str, torch.Tensor], config: dict) -> dict[str, torch.Tensor]:
    """Convert a transformers CLIPTextModel state dict to LDM keys under `cond_stage_model.transformer.`."""
    ldm_state_dict = {}
    for key, tensor in state_dict.items():
        # CLIPTextModel in transformers 5.25 has no `text_model.` level (diffusers 0.42 dates this to 5.6),
        # but the LDM layout has it.
        text_model_key = key if key.startswith("text_model.") else "text_model." + key
        ldm_state_dict[TEXT_ENCODER_PREFIX + text_model_key] = tensor

    # SD 1.x checkpoints commonly store the position_ids buffer too. transformers does not save it,
    # and diffusers skips it on load.
    position_ids = torch.arange(config["max_position_embeddings"])[None, :]
    ldm_state_dict[TEXT_ENCODER_PREFIX + "text_model.embeddings.position_ids"] = position_ids
    return ldm_state_dict


def _read_component(folder: Path, name: str, weights_file: str) -> tuple[dict[str, torch.Tensor], dict]:
    config = json.loads((folder / name / "config.json").read_text(encoding="utf-8"))
    return load_file(folder / name / weights_file), config


def export_ldm_checkpoint(folder: Path, out_file: Path) -> Path:
    """Write the UNet, VAE and text encoder of the diffusers pipeline in `folder` to one LDM-layout safetensors file."""
    folder = Path(folder)
    checkpoint = {}
    checkpoint.update(unet_to_ldm(*_read_component(folder, "unet", "diffusion_pytorch_model.safetensors")))
    checkpoint.update(vae_to_ldm(*_read_component(folder, "vae", "diffusion_pytorch_model.safetensors")))
    checkpoint.update(text_encoder_to_ldm(*_read_component(folder, "text_encoder", "model.safetensors")))
    checkpoint = {key: tensor.contiguous() for key, tensor in checkpoint.items()}
    save_file(checkpoint, out_file)
    return Path(out_file)
