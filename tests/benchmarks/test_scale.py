"""The scale benchmark's synthetic corpora: real paragraphs first, then seeded variations."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.scale import synthetic
from measure import percentile, rss_mb

CONTEXTS = [
    "Le compostage collectif réduit les déchets. Il demande un référent. Les habitants y apportent leurs restes.",
    "Le covoiturage rural relie les villages. Les trajets sont courts. Une application met en relation.",
    "La bibliothèque numérise ses fonds. Les lecteurs réservent en ligne.",
]


def _vectors(n: int, dim: int = 16) -> np.ndarray:
    v = np.random.default_rng(0).standard_normal((n, dim)).astype("float32")
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_synthetic_keeps_real_base_then_varies() -> None:
    vecs = _vectors(3)
    texts, out, base = synthetic(CONTEXTS, vecs, 10, noise=0.25, seed=0)
    assert len(texts) == 10 and out.shape == (10, 16)
    assert texts[:3] == CONTEXTS and np.allclose(out[:3], vecs)  # first copy: the real paragraph and vector
    assert base == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    # a copy is the same sentences shuffled plus one borrowed sentence
    assert texts[3] != CONTEXTS[0]
    assert all(s in texts[3] for s in ["Le compostage collectif réduit les déchets.", "Il demande un référent."])
    cos = float(out[3] @ vecs[0])
    assert cos == pytest.approx(1 / np.sqrt(1 + 0.25**2), abs=0.02)  # noise orthogonal-ish in 16-d, norm 0.25
    again = synthetic(CONTEXTS, vecs, 10, noise=0.25, seed=0)
    assert again[0] == texts and np.array_equal(again[1], out)
    other = synthetic(CONTEXTS, vecs, 10, noise=0.25, seed=1)
    assert other[0][:3] == texts[:3] and other[0][3:] != texts[3:]


def test_common_helpers() -> None:
    assert percentile([5.0], 95) == 5.0
    assert percentile([float(x) for x in range(1, 101)], 50) == pytest.approx(50.5)
    assert rss_mb() > 10
