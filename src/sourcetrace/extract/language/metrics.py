"""Scores of SemEval-2020 Task 11 (Da San Martino et al.): span identification (SI) with partial
credit by character overlap, and technique classification (TC) micro-F1."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

Span = tuple[int, int]  # character offsets, end exclusive


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sorted spans with overlapping (not merely touching) ones joined: in SI a character is
    propaganda or not, so two overlapping gold fragments are one fragment."""
    out: list[list[int]] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if out and start < out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def si_scores(
    predicted: Mapping[str, Sequence[Span]], gold: Mapping[str, Sequence[Span]], merge: bool = True
) -> tuple[float, float, float]:
    """Precision, recall and F1 of span identification as SemEval-2020 Task 11 defines them.

    For predicted spans S and gold spans T of the same article, with
    C(s, t, h) = |s ∩ t| / h (characters in common, normalised by h):

        P(S, T) = 1/|S| · Σ_{s∈S} Σ_{t∈T} C(s, t, |s|)
        R(S, T) = 1/|T| · Σ_{s∈S} Σ_{t∈T} C(s, t, |t|)
        F1 = 2PR / (P + R)

    summed over all articles before dividing (|S| and |T| count spans of the whole corpus), so
    a prediction covering half of a gold span earns 0.5 of it in recall and full precision.
    Overlapping spans on each side are merged first (``merge``), as the task's SI scorer
    does, so that one character cannot earn credit twice. F1 is 0 when either side is empty
    (1 when both are).
    """
    p_num = r_num = 0.0
    n_pred = n_gold = 0
    for article in set(predicted) | set(gold):
        pred = list(predicted.get(article, ()))
        gd = list(gold.get(article, ()))
        if merge:
            pred, gd = merge_spans(pred), merge_spans(gd)
        else:
            pred = [s for s in pred if s[1] > s[0]]
            gd = [t for t in gd if t[1] > t[0]]
        n_pred += len(pred)
        n_gold += len(gd)
        for s_start, s_end in pred:
            for t_start, t_end in gd:
                inter = min(s_end, t_end) - max(s_start, t_start)
                if inter > 0:
                    p_num += inter / (s_end - s_start)
                    r_num += inter / (t_end - t_start)
    if n_pred == 0 and n_gold == 0:
        return 1.0, 1.0, 1.0
    p = p_num / n_pred if n_pred else 0.0
    r = r_num / n_gold if n_gold else 0.0
    f1 = 2 * p * r / (p + r) if p > 0 and r > 0 else 0.0
    return p, r, f1


def tc_micro_f1(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> float:
    """Micro-F1 of technique classification on gold spans.

    Each item is one distinct gold span with its gold techniques (usually one; a span annotated
    with two techniques appears twice in the PTC label file) and as many predicted techniques.
    Every prediction is a guess for one gold label, so precision = recall = micro-F1 = the share
    of gold labels matched (as a multiset per span: the order of a span's labels is free).
    """
    total = correct = 0
    for gd, pr in zip(gold, predicted, strict=True):
        total += len(gd)
        correct += sum((Counter(gd) & Counter(pr)).values())
    return correct / total if total else 0.0
