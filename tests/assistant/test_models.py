"""The lean query path of EmbeddingGemma (GemmaQueryPath): same output as transformers' forward.

Fast tests use a tiny random Gemma3 text model; the slow one uses the real EmbeddingGemma on the
eval questions.
"""

from __future__ import annotations

import types

import pytest

torch = pytest.importorskip("torch")
gemma3 = pytest.importorskip("transformers.models.gemma3.modeling_gemma3")

from assistant.models import GemmaQueryPath  # noqa: E402


def tiny_gemma(dtype=torch.float32, bidirectional: bool = True, sliding_window: int = 48):
    from transformers import Gemma3TextConfig

    torch.manual_seed(0)
    config = Gemma3TextConfig(
        vocab_size=128,
        hidden_size=64,
        intermediate_size=96,
        num_hidden_layers=4,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=32,
        sliding_window=sliding_window,
        layer_types=["sliding_attention", "sliding_attention", "sliding_attention", "full_attention"],
        use_bidirectional_attention=bidirectional,
        max_position_embeddings=256,
    )
    model = gemma3.Gemma3TextModel(config).eval()
    with torch.no_grad():  # RMSNorm weights start at zero: give them values so a wrong norm shows
        for name, p in model.named_parameters():
            if "norm" in name:
                p.normal_(0, 0.3)
    return types.SimpleNamespace(auto_model=model.to(dtype))  # what sentence-transformers' Transformer holds


def generic(transformer, ids):
    with torch.inference_mode():
        out = transformer.auto_model(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=False)
    return out.last_hidden_state


def cosine(a, b) -> float:
    return float(torch.nn.functional.cosine_similarity(a.float().flatten(), b.float().flatten(), dim=0))


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("length", [1, 7, "max"])
def test_lean_path_matches_the_generic_forward(dtype, length):
    transformer = tiny_gemma(dtype)
    path = GemmaQueryPath.build(transformer)
    assert path is not None
    ids = torch.randint(2, 128, (1, path.max_len if length == "max" else length))
    with torch.inference_mode():
        lean = path(ids)
    ref = generic(transformer, ids)
    assert lean.shape == ref.shape and lean.dtype == ref.dtype
    if dtype == torch.float32:
        torch.testing.assert_close(lean, ref, rtol=1e-4, atol=1e-4)
    else:
        assert cosine(lean, ref) > 0.9999


def test_longer_than_the_sliding_window_is_left_to_the_generic_forward():
    """Past the window a token no longer sees every other one: the maskless path must not run."""
    transformer = tiny_gemma(sliding_window=48)
    # bidirectional Gemma3 keeps the tokens at distance < 48 // 2 + 1 (transformers' config)
    assert transformer.auto_model.config.sliding_window == 25
    path = GemmaQueryPath.build(transformer)
    assert path.accepts(torch.ones(1, 25, dtype=torch.long))
    assert not path.accepts(torch.ones(1, 26, dtype=torch.long))
    assert not path.accepts(torch.ones(2, 8, dtype=torch.long))  # a padded batch needs masks


def test_only_a_bidirectional_gemma3_gets_the_lean_path():
    assert GemmaQueryPath.build(tiny_gemma(bidirectional=False)) is None  # causal Gemma3: masks matter
    assert GemmaQueryPath.build(types.SimpleNamespace(auto_model=torch.nn.Linear(4, 4))) is None
    assert GemmaQueryPath.build(object()) is None


def test_a_path_that_disagrees_with_the_generic_forward_is_refused():
    """The probe at build time catches a transformers change the lean path does not follow."""

    class Drifted(GemmaQueryPath):
        def _rms(self, x, norm):
            return x  # e.g. a norm the lean path does not know about

    assert Drifted.build(tiny_gemma()) is None


@pytest.mark.slow
def test_real_embeddinggemma_query_vectors_unchanged(capfd):
    """EmbeddingGemma on the eval questions: the lean path gives the generic forward's vectors; loading
    it writes no English progress bar to the terminal."""
    from assistant.models import load_embedder
    from assistant.settings import Settings
    from benchmarks.latency import generic_forward
    from evals.questions import question_texts

    embedder = load_embedder(Settings(embed_model="embeddinggemma-300m"))
    assert "Loading weights" not in capfd.readouterr().err
    questions = question_texts() + ["données ouvertes " * 200]  # the last one is past the window
    for q in questions:
        fast = torch.tensor(embedder.embed_query(q))
        ref = torch.nn.functional.normalize(generic_forward(embedder.model, q).float(), dim=-1)[0]
        assert cosine(fast, ref) > 0.9999, q
    assert isinstance(embedder._query_path, GemmaQueryPath)
