"""Read a CTranslate2 Whisper `model.bin` and turn it into a Hugging Face `WhisperForConditionalGeneration`.

The CTranslate2 file is simple: a version, the spec's name and revision, then named tensors (name, rank, dims,
dtype, bytes) and aliases. Its Whisper layout fuses projections: self-attention q/k/v is one (3d, d) matrix and
cross-attention k/v one (2d, d) matrix; Hugging Face keeps them apart and has no bias on k (CTranslate2 stores zeros
there, dropped here).
"""

from __future__ import annotations

import json
import struct
from typing import TYPE_CHECKING, Any

import numpy as np

from simulagent.errors import UserError
from simulagent.models.asr._bundled import ModelFiles

if TYPE_CHECKING:
    from transformers import WhisperForConditionalGeneration

__all__ = ["read_ctranslate2", "to_hf_state_dict", "to_transformers"]

# CTranslate2's DataType enum, for the types a float checkpoint holds.
_DTYPES: dict[int, Any] = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def read_ctranslate2(data: bytes) -> tuple[str, dict[str, np.ndarray]]:
    """Parse a CTranslate2 model.bin.

    Returns:
        the spec name and the variables by name (aliases resolved), as numpy arrays of their stored dtype.
    """
    view = memoryview(data)
    pos = 0

    def take(n: int) -> memoryview:
        nonlocal pos
        if pos + n > len(view):
            raise UserError("model.bin is truncated or not a CTranslate2 model")
        chunk = view[pos : pos + n]
        pos += n
        return chunk

    def u8() -> int:
        return int(take(1)[0])

    def u16() -> int:
        return int(struct.unpack("<H", take(2))[0])

    def u32() -> int:
        return int(struct.unpack("<I", take(4))[0])

    def text() -> str:
        return bytes(take(u16())).rstrip(b"\0").decode("utf-8")

    version = u32()
    if version < 5:
        raise UserError(f"CTranslate2 model format version {version} is too old to convert")
    spec = text()
    u32()  # spec revision
    variables: dict[str, np.ndarray] = {}
    for _ in range(u32()):
        name = text()
        dims = [u32() for _ in range(u8())]
        dtype_id = u8()
        raw = take(u32())
        if dtype_id not in _DTYPES:
            raise UserError(f"cannot convert {name}: CTranslate2 dtype {dtype_id} (quantized models are not supported)")
        variables[name] = np.frombuffer(raw, dtype=_DTYPES[dtype_id]).reshape(dims)
    for _ in range(u32()):
        alias, target = text(), text()
        variables[alias] = variables[target]
    return spec, variables


def _split(weight: np.ndarray, parts: int) -> list[np.ndarray]:
    return list(np.split(weight, parts, axis=0))


def to_hf_state_dict(variables: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Map CTranslate2 Whisper variables to Hugging Face names, and infer the architecture's sizes."""
    out: dict[str, np.ndarray] = {}
    sizes = {
        "d_model": int(variables["encoder/conv1/weight"].shape[0]),
        "num_mel_bins": int(variables["encoder/conv1/weight"].shape[1]),
        "vocab_size": int(variables["decoder/embeddings/weight"].shape[0]),
        "encoder_attention_heads": int(variables["encoder/num_heads"]),
        "decoder_attention_heads": int(variables["decoder/num_heads"]),
        "encoder_layers": sum(
            1 for k in variables if k.endswith("/self_attention/linear_0/weight") and k.startswith("encoder/")
        ),
        "decoder_layers": sum(
            1 for k in variables if k.endswith("/self_attention/linear_0/weight") and k.startswith("decoder/")
        ),
        "encoder_ffn_dim": int(variables["encoder/layer_0/ffn/linear_0/weight"].shape[0]),
        "decoder_ffn_dim": int(variables["decoder/layer_0/ffn/linear_0/weight"].shape[0]),
        "max_source_positions": int(variables["encoder/position_encodings/encodings"].shape[0]),
        "max_target_positions": int(variables["decoder/position_encodings/encodings"].shape[0]),
    }

    def norm(src: str, dst: str) -> None:
        out[f"{dst}.weight"] = variables[f"{src}/gamma"]
        out[f"{dst}.bias"] = variables[f"{src}/beta"]

    def linear(src: str, dst: str) -> None:
        out[f"{dst}.weight"] = variables[f"{src}/weight"]
        out[f"{dst}.bias"] = variables[f"{src}/bias"]

    def fused(src: str, dsts: list[str]) -> None:
        for dst, w, b in zip(
            dsts,
            _split(variables[f"{src}/weight"], len(dsts)),
            _split(variables[f"{src}/bias"], len(dsts)),
            strict=True,
        ):
            out[f"{dst}.weight"] = w
            if not dst.endswith("k_proj"):  # Hugging Face's Whisper has no key bias
                out[f"{dst}.bias"] = b

    for side in ("encoder", "decoder"):
        hf = f"model.{side}"
        for i in range(sizes[f"{side}_layers"]):
            src, dst = f"{side}/layer_{i}", f"{hf}.layers.{i}"
            norm(f"{src}/self_attention/layer_norm", f"{dst}.self_attn_layer_norm")
            fused(f"{src}/self_attention/linear_0", [f"{dst}.self_attn.{p}_proj" for p in "qkv"])
            linear(f"{src}/self_attention/linear_1", f"{dst}.self_attn.out_proj")
            norm(f"{src}/ffn/layer_norm", f"{dst}.final_layer_norm")
            linear(f"{src}/ffn/linear_0", f"{dst}.fc1")
            linear(f"{src}/ffn/linear_1", f"{dst}.fc2")
            if side == "decoder":
                norm(f"{src}/attention/layer_norm", f"{dst}.encoder_attn_layer_norm")
                linear(f"{src}/attention/linear_0", f"{dst}.encoder_attn.q_proj")
                fused(f"{src}/attention/linear_1", [f"{dst}.encoder_attn.{p}_proj" for p in "kv"])
                linear(f"{src}/attention/linear_2", f"{dst}.encoder_attn.out_proj")
        norm(f"{side}/layer_norm", f"{hf}.layer_norm")
        out[f"{hf}.embed_positions.weight"] = variables[f"{side}/position_encodings/encodings"]
    for conv in ("conv1", "conv2"):
        linear(f"encoder/{conv}", f"model.encoder.{conv}")
    out["model.decoder.embed_tokens.weight"] = variables["decoder/embeddings/weight"]
    out["proj_out.weight"] = variables.get("decoder/projection/weight", variables["decoder/embeddings/weight"])
    return out, sizes


def to_transformers(model: ModelFiles) -> WhisperForConditionalGeneration:
    """A float32 `WhisperForConditionalGeneration` holding the weights of a CTranslate2 Whisper model."""
    import torch
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    spec, variables = read_ctranslate2(model.files["model.bin"])
    if spec != "WhisperSpec":
        raise UserError(f"{model.name}: a {spec} model, not Whisper")
    state, sizes = to_hf_state_dict(variables)
    ct2_config = json.loads(model.files.get("config.json", b"{}"))
    eot = 50256 if sizes["vocab_size"] == 51864 else 50257  # English-only vocabularies are one token shorter
    settings: dict[str, Any] = {
        **sizes,
        "pad_token_id": eot,
        "bos_token_id": eot,
        "eos_token_id": eot,
        "decoder_start_token_id": eot + 1,
        "suppress_tokens": list(ct2_config.get("suppress_ids", [])),
        "begin_suppress_tokens": list(ct2_config.get("suppress_ids_begin", [220, eot])),
    }
    config = WhisperConfig(**settings)
    # Kept on the config, as Hugging Face's generation config keeps it, for attention-based word alignment.
    config.alignment_heads = ct2_config.get("alignment_heads")
    # Eager attention: the fused kernels do not return attention weights, which AlignAtt needs.
    config._attn_implementation = "eager"
    # Built on the meta device and then given the real tensors: random initialisation of weights about to be
    # replaced would take longer than the conversion itself.
    with torch.device("meta"):
        hf = WhisperForConditionalGeneration(config)
    tensors = {k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in state.items()}
    missing, unexpected = hf.load_state_dict(tensors, strict=False, assign=True)
    hf.tie_weights()
    missing = [k for k in missing if k != "proj_out.weight"]  # tied to the token embeddings
    if hf.proj_out.weight.is_meta:
        hf.proj_out.weight = hf.model.decoder.embed_tokens.weight
    if missing or unexpected:
        raise UserError(f"{model.name}: conversion mismatch; missing {missing[:3]}, unexpected {unexpected[:3]}")
    hf.eval()
    return hf
