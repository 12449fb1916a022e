"""Hostile input to ingestion (issue 18, points 3 and 8): a long run of letters through the cleaning,
and an oversized Markdown file through reading and the size limit.

    python -m benchmarks.hostile_input

A run of n letters must clean in time proportional to n (it was quadratic: 256 KB took 478 s); a
30 MB file of ordinary sentences must be refused before any embedding (it became 34,494 passages).
Results: benchmarks/results/hostile_input.json.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.common import save


def _clean_seconds(n: int) -> float:
    from assistant.types import Page
    from ingest.clean import clean_document_pages

    text = "Début. " + "a" * n + "-\nb fin.\n"
    t0 = time.perf_counter()
    clean_document_pages([Page("x.md", 1, text)], reflow=False)
    return time.perf_counter() - t0


def _no_model(_settings: object) -> object:
    raise RuntimeError("the oversized document must be refused before the model is loaded")


def main(argv: list[str] | None = None) -> int:  # noqa: ARG001 - no options
    from assistant.settings import Settings
    from ingest.pipeline import run_ingest

    runs = {n: round(min(_clean_seconds(n) for _ in range(3)), 4) for n in (8_000, 32_000, 256_000, 2_000_000)}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        sentence = "La commune publie ses données ouvertes sur le portail national avec leur description. "
        (corpus / "gros.md").write_text("# Gros\n\n" + sentence * (30_000_000 // len(sentence)), encoding="utf-8")
        s = Settings(corpus_dir=corpus, data_dir=Path(tmp) / "data", ocr=False)
        t0 = time.perf_counter()
        report = run_ingest(s, embedder_factory=_no_model, progress=False)  # refused before any model is needed
        big = {
            "mb": 30,
            "seconds": round(time.perf_counter() - t0, 1),
            "refused": "gros.md" in report.failed,
            "message": report.failed.get("gros.md", ""),
            "embedded": report.embedded,
        }
    ratio = runs[256_000] / max(runs[32_000], 1e-6)
    path = save(
        "hostile_input", {"clean_seconds_by_letters": runs, "ratio_256k_over_32k": round(ratio, 1), "big_markdown": big}
    )
    print(f"nettoyage d'une suite de lettres (s) : {runs} ; 256k / 32k = {ratio:.1f} (linéaire : 8)")
    print(f"Markdown de 30 Mo : refusé={big['refused']} en {big['seconds']} s, {big['embedded']} passage(s) calculé(s)")
    print(f"→ {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
