"""Float32 MiniLM vectors that depend on the text alone: batches of one token count, one
torch thread each, short batches made up with copies of their texts
(:func:`sourcetrace.link.embeddings.encode_texts`)."""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from sourcetrace.link import embeddings, propositions

# Our own sentences: several share a token count (so buckets hold several texts), a few are
# shorter than 16 word pieces (the rows below which MKL takes another kernel), one is long.
TEXTS = [
    "The ferry was late.",
    "The bus was late.",
    "The tram was full.",
    "Rain closed the road.",
    "Snow closed the pass.",
    "Fog closed the port.",
    "The harbour authority closed the northern pier after a crane collapsed on Monday.",
    "A crane collapsed at the northern pier, the harbour authority said on Tuesday.",
    "Officials said the pier would stay closed for at least two more weeks.",
    "The regional bus company raised its fares by eight percent this month.",
    "Bus fares in the region went up by eight percent, the company said.",
    "Heavy rain flooded the lower town and cut the railway line to the coast overnight.",
    "The railway line to the coast was cut by floods in the lower town overnight.",
    "Teachers in the district voted to strike over pay, the union said on Friday, after "
    "talks with the regional council broke down for the third time this year over the "
    "council's offer, which the union called an insult to staff who had worked through "
    "two winters of closures, flooded classrooms and a shortage of substitute teachers.",
]


def test_a_text_has_the_same_floats_in_any_batching(monkeypatch: Any) -> None:
    """All texts in one call, each text alone, and random batches (sizes 1-4, shuffled
    buckets and texts): the same float32 vectors bit for bit. The padded float32 batches
    used before (texts of other lengths in one batch) fail this."""
    together = embeddings.encode_batches([TEXTS])[0]
    alone = np.vstack([embeddings.encode_batches([[t]])[0] for t in TEXTS])
    assert np.array_equal(together, alone)
    lengths = embeddings.token_count(embeddings.load_model(), TEXTS)
    assert len(set(lengths)) < len(TEXTS)  # some batches hold several texts
    assert min(lengths) * 2 < embeddings.MIN_ROWS  # short texts are in
    real = embeddings.bucket_batches
    for seed in range(3):
        rng = random.Random(seed)

        def shuffled(lengths: list[int], batch_size: int = 64, rng: Any = rng) -> list[list[int]]:
            out = []
            for bucket in real(lengths, 10**6):
                rng.shuffle(bucket)
                k = 0
                while k < len(bucket):
                    size = rng.randint(1, 4)
                    out.append(bucket[k : k + size])
                    k += size
            rng.shuffle(out)
            return out

        monkeypatch.setattr(embeddings, "bucket_batches", shuffled)
        order = list(range(len(TEXTS)))
        rng.shuffle(order)
        got = embeddings.encode_batches([[TEXTS[i] for i in order]])[0]
        assert np.array_equal(got, together[order])
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_every_model_batch_has_one_token_count() -> None:
    lengths = [9, 12, 9, 40, 12, 9]
    batches = embeddings.bucket_batches(lengths, batch_size=2)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(len({lengths[i] for i in b}) == 1 and len(b) <= 2 for b in batches)
    assert [lengths[b[0]] for b in batches] == [40, 12, 9, 9]  # longest first


def test_the_torch_thread_setting_is_restored() -> None:
    import torch

    before = torch.get_num_threads()
    embeddings.encode_texts(TEXTS[:3])
    assert torch.get_num_threads() == before


def test_token_vectors_do_not_depend_on_the_other_texts() -> None:
    """The classifier's token pass: the same word-piece vectors for a text whatever else
    is in the call."""
    together = propositions.token_vectors(TEXTS)
    for text in TEXTS:
        alone = propositions.token_vectors([text])[text]
        for a, b in zip(together[text], alone, strict=True):
            assert np.array_equal(a, b)
