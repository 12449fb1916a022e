"""Ingestion benchmark: ingest the corpus into a fresh data folder, then embed the same chunks and the
same whole pages again alone, in the same process, and compare (ratio total / embedding-only).

    python -m benchmarks.ingest [--corpus DIR] [--docs N]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.models import load_embedder
from assistant.settings import Settings
from benchmarks.common import save
from ingest.load import load_document
from ingest.pipeline import by_length, discover, embed_title, page_texts, page_vectors, run_ingest
from ingest.split import split_document


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.ingest", description=__doc__)
    ap.add_argument("--corpus", type=Path, default=None, help="corpus folder (default: the project's corpus/)")
    ap.add_argument("--docs", type=int, default=0, help="only the first N documents (0 = all)")
    ap.add_argument("--data-dir", type=Path, default=None, help="build the index there and keep it (must be empty)")
    args = ap.parse_args(argv)
    if args.data_dir and args.data_dir.exists() and any(args.data_dir.iterdir()):
        ap.error(f"{args.data_dir} n'est pas vide : le banc d'essai part d'un index vide.")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    base = Settings.from_env(corpus_dir=args.corpus)
    tmp = Path(tempfile.mkdtemp(prefix="capacities-bench-"))
    corpus = base.corpus_dir
    if args.docs:
        corpus = tmp / "corpus"
        for src, path in list(discover(base.corpus_dir).items())[: args.docs]:
            (corpus / src).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, corpus / src)
    data_dir = args.data_dir or tmp / "data"
    s = dataclasses.replace(base, corpus_dir=corpus, data_dir=data_dir, chroma_url="")
    try:
        t0 = time.perf_counter()
        embedder = load_embedder(s)
        load_model = time.perf_counter() - t0

        t0 = time.perf_counter()
        report = run_ingest(s, embedder=embedder, progress=sys.stderr.isatty())
        total = time.perf_counter() - t0

        # the same chunks and the same whole pages, embedded alone with the same batches: the physical floor
        files = discover(corpus)
        batches, page_batches = [], []
        for src in report.added:
            chunks = split_document(
                load_document(files[src], corpus, ocr=s.ocr), s.chunk_size, s.chunk_overlap, s.chunk_within_pages
            )
            batches += [chunks[i : i + s.embed_batch_size] for i in range(0, len(chunks), s.embed_batch_size)]
            texts = page_texts(chunks)
            pages = by_length(texts, list(texts))
            page_batches += [
                (texts, pages[i : i + s.embed_batch_size]) for i in range(0, len(pages), s.embed_batch_size)
            ]
        t0 = time.perf_counter()
        for b in batches:
            embedder.embed_documents([c.text for c in b], [embed_title(c) for c in b])
        embed_chunks_only = time.perf_counter() - t0
        t0 = time.perf_counter()
        for texts, b in page_batches:
            page_vectors(embedder, texts, b)
        embed_pages_only = time.perf_counter() - t0
        embed_only = embed_chunks_only + embed_pages_only

        t0 = time.perf_counter()
        noop = run_ingest(s, progress=False)
        noop_inproc = time.perf_counter() - t0
        env = os.environ | {"CAPACITIES_CORPUS_DIR": str(corpus), "CAPACITIES_DATA_DIR": str(s.data_dir)}
        t0 = time.perf_counter()
        cli = subprocess.run(
            [sys.executable, "-m", "capacities", "ingest", "--no-progress"], env=env, capture_output=True, text=True
        )
        noop_cli = time.perf_counter() - t0
        assert cli.returncode == 0 and not noop.added and not noop.model_loaded, cli.stderr

        n_chunks = report.chunks
        results = {
            "command": "python -m benchmarks.ingest" + (f" --docs {args.docs}" if args.docs else ""),
            "embed_model": embedder.name,
            "dtype": getattr(embedder, "dtype", "n/a"),
            "documents": len(report.added),
            "failed": len(report.failed),
            "pages": report.pages,
            "chunks": n_chunks,
            "characters": sum(len(c.text) for b in batches for c in b),
            "model_load_s": round(load_model, 2),
            "total_s": round(total, 2),
            "split_s": {k: round(v, 2) for k, v in report.seconds.items()},
            "embed_only_s": round(embed_only, 2),
            "embed_only_chunks_s": round(embed_chunks_only, 2),
            "embed_only_pages_s": round(embed_pages_only, 2),
            "ratio_total_to_embed_only": round(total / embed_only, 3) if embed_only else None,
            "pages_per_s": round(report.pages / total, 2),
            "chunks_per_s": round(n_chunks / total, 2),
            "noop_reingest_s": round(noop_inproc, 3),
            "noop_reingest_cli_s": round(noop_cli, 3),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    path = save("ingest", results)
    sp = results["split_s"]
    print(f"Documents {results['documents']}, pages {results['pages']}, passages {n_chunks} ({results['dtype']})")
    print(f"Total {total:.1f} s : {results['pages_per_s']} pages/s, {results['chunks_per_s']} passages/s")
    print(
        f"  lecture+nettoyage {sp['load']} s, découpage {sp['split']} s, "
        f"embeddings {sp['embed']} s, stockage {sp['store']} s"
    )
    print(
        f"Embeddings seuls : {embed_only:.1f} s (passages {embed_chunks_only:.1f} s, pages entières "
        f"{embed_pages_only:.1f} s) → ratio total / embeddings seuls = {results['ratio_total_to_embed_only']}"
    )
    print(f"Ré-ingestion sans changement : {noop_inproc:.3f} s (en processus), {noop_cli:.3f} s (commande complète)")
    print(f"Résultats : {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
