"""Embedding dtype benchmark: float32, bfloat16 and dynamic int8 on the same real passages,
interleaved in one run; speed and cosine similarity to float32.

    python -m benchmarks.dtype [--passages N] [--rounds R]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from benchmarks.common import save


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.dtype", description=__doc__)
    ap.add_argument("--passages", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    from assistant.models import choose_dtype, resolve_embedder_path, set_threads
    from assistant.settings import Settings
    from ingest.load import load_document
    from ingest.split import split_document

    s = Settings.from_env()
    set_threads(s.threads)
    path = resolve_embedder_path(s.embed_model)
    doc = load_document(s.corpus_dir / "pdf/dinum_rgesn_v1.0.1_2022.pdf", s.corpus_dir, ocr=False)
    texts = [c.text for c in split_document(doc)][10 : 10 + args.passages]
    models = {
        "float32": SentenceTransformer(path, device="cpu", model_kwargs={"torch_dtype": torch.float32}),
        "bfloat16": SentenceTransformer(path, device="cpu", model_kwargs={"torch_dtype": torch.bfloat16}),
        "int8 (dynamique)": torch.ao.quantization.quantize_dynamic(
            SentenceTransformer(path, device="cpu"), {torch.nn.Linear}, dtype=torch.qint8
        ),
    }
    for m in models.values():  # warm-up
        m.encode_document(texts[:4])
    speed: dict[str, list[float]] = {k: [] for k in models}
    vecs = {}
    for _ in range(args.rounds):
        for name, m in models.items():
            t0 = time.perf_counter()
            v = m.encode_document(texts, batch_size=16, convert_to_numpy=True).astype("float64")
            vecs[name] = v / np.linalg.norm(v, axis=1, keepdims=True)
            speed[name].append(len(texts) / (time.perf_counter() - t0))
    ref = vecs["float32"]
    results = {
        "command": f"python -m benchmarks.dtype --passages {args.passages} --rounds {args.rounds}",
        "auto_choice": choose_dtype("auto"),
        "passages": len(texts),
        "dtypes": {
            name: {
                "passages_per_s": [round(x, 2) for x in speed[name]],
                "cosine_to_float32_min": round(float((vecs[name] * ref).sum(1).min()), 4),
                "cosine_to_float32_mean": round(float((vecs[name] * ref).sum(1).mean()), 4),
                "speed_ratio_to_float32": round(float(np.mean(speed[name]) / np.mean(speed["float32"])), 2),
            }
            for name in models
        },
    }
    path_out = save("dtype", results)
    print(f"{len(texts)} passages, {args.rounds} tours entrelacés ; choix automatique ici : {results['auto_choice']}")
    for name, d in results["dtypes"].items():
        print(
            f"  {name:<17} {d['passages_per_s']} passages/s (×{d['speed_ratio_to_float32']}) "
            f"cosinus / float32 : min {d['cosine_to_float32_min']}, moyen {d['cosine_to_float32_mean']}"
        )
    print(f"Résultats : {path_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
