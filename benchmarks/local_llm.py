"""Time to first token and generation speed of the local model (llama.cpp through xllamacpp) for prompts of
1 to N passages, with 1 and 2 threads, on the same questions; the prompt cache is off so every prompt is
read in full. What the thread setting and the passage budget of the local backend rest on.

    python -m benchmarks.local_llm [--model qwen2.5-coder-0.5b] [--k 1 2 4 6] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from benchmarks.common import save
from measure import percentile

QUESTIONS = [
    "Comment publier les données de la commune sur data.gouv.fr ?",
    "Comment intégrer des critères environnementaux dans un marché public numérique ?",
]


def _one(url: str, messages: list[dict], tokens: int) -> tuple[float, float, int]:
    import httpx

    body = {"messages": messages, "stream": True, "max_tokens": tokens, "temperature": 0.1, "cache_prompt": False}
    t0, first, pieces = time.perf_counter(), None, 0
    with httpx.stream("POST", url + "/chat/completions", json=body, timeout=600) as r:
        for line in r.iter_lines():
            if line.startswith("data:") and '"content":"' in line:
                pieces += 1
                first = first or time.perf_counter() - t0
    return first or float("nan"), time.perf_counter() - t0, pieces


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.local_llm", description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--k", type=int, nargs="+", default=[1, 2, 4, 6], help="passages in the prompt")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--tokens", type=int, default=60, help="tokens generated per answer")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant import prompts
    from assistant.answer import Assistant
    from assistant.models import start_local_server
    from assistant.settings import Settings

    assistant = Assistant.load(Settings.from_env())
    rows = []
    for threads in args.threads:
        server, url = start_local_server(args.model, threads=threads)
        _one(url, [{"role": "user", "content": "Bonjour"}], 4)  # warm-up
        for k in args.k:
            for q in QUESTIONS:
                passages = assistant.retriever.search(q, k=k)
                messages = [
                    {"role": "system", "content": prompts.SYSTEM_AGENT},
                    {"role": "user", "content": prompts.user_message(q, passages)},
                ]
                ttft, total, pieces = _one(url, messages, args.tokens)
                chars = sum(len(m["content"]) for m in messages)
                rows.append(
                    {
                        "threads": threads,
                        "k": k,
                        "prompt_chars": chars,
                        "ttft_s": round(ttft, 2),
                        "total_s": round(total, 2),
                        "tokens": pieces,
                        "gen_tok_s": round(max(pieces - 1, 0) / max(total - ttft, 1e-6), 1),
                    }
                )
                print(rows[-1], file=sys.stderr)
        del server
    summary = {
        f"threads={t} k={k}": {
            "ttft_p50_s": round(percentile([r["ttft_s"] for r in rows if r["threads"] == t and r["k"] == k], 50), 2),
            "gen_tok_s_p50": round(
                percentile([r["gen_tok_s"] for r in rows if r["threads"] == t and r["k"] == k], 50), 1
            ),
        }
        for t in args.threads
        for k in args.k
    }
    path = save("local_llm", {"model": args.model, "tokens": args.tokens, "rows": rows, "summary": summary})
    for name, v in summary.items():
        print(f"{name} : premier jeton {v['ttft_p50_s']} s, génération {v['gen_tok_s_p50']} jetons/s")
    print(f"Résultats : {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
