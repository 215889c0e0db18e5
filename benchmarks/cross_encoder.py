"""Fits ``sourcetrace.link.cross_encoder`` (LoRA on every MiniLM layer) on MSRP train.

MSRP train is split (stratified, fixed seed) into a fitting part (1 - HELD) and a held-out
part (HELD): the adapters are fitted on the first; the threshold and how the cross-encoder
joins the classifier are chosen on the held-out part (``benchmarks/propositions.py
--train``), never on dev. Writes ``src/sourcetrace/link/data/cross_encoder.npz.xz`` and the
held-out logits to ``$SOURCETRACE_CACHE`` (default ``~/.cache/sourcetrace``).

Usage: ``python benchmarks/cross_encoder.py [--epochs E] [--steps N]`` (``--steps``: time N
optimiser steps and stop, nothing written).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from propositions import CACHE, DATA, read_pairs, scores  # noqa: E402
from sourcetrace.link import cross_encoder as ce  # noqa: E402

ADAPTER = ROOT / "src" / "sourcetrace" / "link" / "data" / ce.ADAPTER
HELD = 0.2
SEED = 0
BATCH = 16
LR = 1e-3
WEIGHT_DECAY = 0.01
WARMUP = 0.1


def split(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fitting rows and held-out rows of train (stratified, fixed seed)."""
    from sklearn.model_selection import train_test_split

    fit, held = train_test_split(np.arange(len(y)), test_size=HELD, stratify=y,
                                 random_state=SEED)
    return np.sort(fit), np.sort(held)


def held_logits_path() -> Path:
    return CACHE / "cross-encoder-held.json"


def _batches(tokenizer, pairs: list[tuple[str, str]], rows: list[int], torch):
    texts = [ce.sorted_pair(pairs[k][0], pairs[k][1]) for k in rows]
    enc = tokenizer([a for a, _ in texts], [b for _, b in texts], truncation=True,
                    max_length=ce.MAX_LENGTH, padding=True, return_tensors="pt")
    return enc["input_ids"], enc["token_type_ids"], enc["attention_mask"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--steps", type=int, help="time this many steps, write nothing")
    parser.add_argument("--lr", type=float, default=LR)
    parser.add_argument("--rank", type=int, default=ce.RANK)
    args = parser.parse_args()
    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    train = read_pairs(DATA / "msr_paraphrase_train.txt")
    y = np.array([q for q, _, _ in train])
    pairs = [(a, b) for _, a, b in train]
    fit, held = split(y)

    model, tokenizer = ce.base_model()
    for p in model.parameters():
        p.requires_grad_(False)
    wrappers = ce.lora_modules(model, rank=args.rank, alpha=2.0 * args.rank)
    norms = {n: p for n, p in model.named_parameters() if "LayerNorm" in n}
    base_norms = {n: p.detach().clone() for n, p in norms.items()}
    for p in norms.values():
        p.requires_grad_(True)
    head = torch.nn.Linear(model.config.hidden_size, 1)
    torch.nn.init.zeros_(head.weight)
    torch.nn.init.zeros_(head.bias)
    lora = [p for w in wrappers.values() for p in (w.a, w.b)]
    optimiser = torch.optim.AdamW(
        [{"params": lora + list(head.parameters()), "weight_decay": WEIGHT_DECAY},
         {"params": list(norms.values()), "weight_decay": 0.0}], lr=args.lr)

    lengths = [len(x) for x in tokenizer([ce.sorted_pair(*pairs[k])[0] for k in fit],
                                         [ce.sorted_pair(*pairs[k])[1] for k in fit],
                                         truncation=True, max_length=ce.MAX_LENGTH)["input_ids"]]
    # batches of similar length (little padding), in a shuffled order each epoch
    rng = np.random.default_rng(SEED)
    per_epoch = len(ce.length_batches(lengths, BATCH))
    total = args.steps or int(round(args.epochs * per_epoch))
    warmup = max(1, int(WARMUP * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup))))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    step, started, running = 0, time.perf_counter(), []
    while step < total:
        # jitter the lengths so that batches differ between epochs yet stay length-sorted
        jitter = rng.random(len(lengths)) * 6
        order = sorted(range(len(fit)), key=lambda k: lengths[k] + jitter[k])
        batches = [order[i: i + BATCH] for i in range(0, len(order), BATCH)]
        for b in rng.permutation(len(batches)):
            if step >= total:
                break
            rows = [int(fit[k]) for k in batches[b]]
            ids, types, mask = _batches(tokenizer, pairs, rows, torch)
            hidden = model(input_ids=ids, token_type_ids=types,
                           attention_mask=mask).last_hidden_state
            logit = head(ce.mean_pool(hidden, mask))[:, 0]
            loss = loss_fn(logit, torch.tensor(y[rows], dtype=torch.float32))
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(lora + list(norms.values()), 1.0)
            optimiser.step()
            schedule.step()
            running.append(float(loss))
            step += 1
            if step % 20 == 0 or step == total:
                print(f"step {step}/{total} ({step / per_epoch:.2f} epochs): loss "
                      f"{np.mean(running[-20:]):.4f}, {time.perf_counter() - started:.0f} s",
                      flush=True)
    seconds = time.perf_counter() - started
    print(f"{step} steps of {BATCH} pairs: {seconds:.0f} s ({seconds / step:.2f} s per step; "
          f"{per_epoch} steps per epoch)")
    if args.steps:
        return

    delta: dict[str, np.ndarray] = {"scale": np.array(2.0, dtype=np.float32)}
    for path, w in wrappers.items():
        delta[path + ".lora_a"] = w.a.detach().numpy().astype(np.float16)
        delta[path + ".lora_b"] = w.b.detach().numpy().astype(np.float16)
    for name, p in norms.items():
        delta[name.replace(".base.", ".") + ".delta"] = (
            p.detach() - base_norms[name]).numpy().astype(np.float16)
    delta["head.weight"] = head.weight.detach()[0].numpy().astype(np.float32)
    delta["head.bias"] = head.bias.detach().numpy().astype(np.float32)[0]
    data = ce.write_delta(delta)
    ADAPTER.write_bytes(data)
    print(f"wrote {ADAPTER.relative_to(ROOT)} ({len(data) / 1e3:.0f} kB)")

    # the shipped (merged, float16) model on the held-out part of train
    ce.load.cache_clear()
    t = time.perf_counter()
    logits = ce.pair_logits([pairs[k] for k in held])
    print(f"held-out logits: {time.perf_counter() - t:.1f} s for {len(held)} pairs")
    yh = y[held]
    best = max(np.arange(-3, 3.01, 0.05), key=lambda t: scores(yh, logits >= t)[1])
    acc, f1 = scores(yh, logits >= best)
    print(f"held-out part of train ({len(held)} pairs): F1 {f1:.4f}, accuracy {acc:.4f} at "
          f"logit >= {best:.2f} (F1 at 0: {scores(yh, logits >= 0)[1]:.4f})")
    CACHE.mkdir(parents=True, exist_ok=True)
    held_logits_path().write_text(json.dumps(
        {"rows": held.tolist(), "logits": logits.tolist(), "adapter_bytes": len(data)}))


if __name__ == "__main__":
    main()
