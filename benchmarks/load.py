"""Bounded load test: N simulated users asking questions at once, in process, for a fixed time.

    python -m benchmarks.load [--users 20] [--seconds 60] [--think 0] [--via-app] [--out FILE]

One ``Assistant`` is shared by every user (as the app shares it between sessions); each user is a
thread that asks a question (from evals/questions.jsonl, agent and élu modes in turn), waits
``--think`` seconds, and asks again, until the time is up. With ``--via-app`` each user goes
through the app's own code path instead (app_pages/common.py: the cached, version-checked
Assistant and the chat's streaming call with the user's conversation as history; only the
drawing of the page is left out), in conversations of four questions. Reports errors, latency percentiles,
throughput and resident memory (after warm-up, sampled every second, at the end), in
benchmarks/results/load.json. It stops by itself: no new question after ``--seconds``, and
users still busy after a grace period are reported as errors.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
import traceback
from pathlib import Path

from benchmarks.common import RESULTS
from evals.questions import question_texts
from measure import machine, percentile, rss_mb


def app_asker():  # noqa: ANN201
    """``ask(user, question, mode)`` through the app's code path, one conversation per user."""
    from app_pages import common

    conversations: dict[int, list[dict]] = {}

    def ask(user: int, question: str, mode: str):  # noqa: ANN202
        turns = conversations.setdefault(user, [])
        if len(turns) == 4:
            turns.clear()  # "Nouvelle conversation"
        s = common.settings()
        final: dict = {}
        for _ in common.stream_answer(common.assistant(s), question, mode, turns, None, final):
            pass
        turns.append({"question": question, "answer": final["answer"]})
        return final["answer"]

    return ask


def run(assistant, questions: list[str], users: int, seconds: float, think: float, seed: int = 0, ask=None) -> dict:  # noqa: ANN001
    """Drive ``assistant.ask`` (or ``ask(user, question, mode)``) from ``users`` threads for ``seconds``."""
    if ask is None:
        ask = lambda _user, q, mode: assistant.ask(q, mode=mode)  # noqa: E731
    for q in questions[:3]:  # warm-up: lazy initialisation is not what we measure
        ask(-1, q, "agent")
    rss_before = rss_mb()
    latencies: list[float] = []
    errors: list[str] = []
    abstained = 0
    lock = threading.Lock()
    stop = threading.Event()
    samples: list[tuple[float, float]] = []
    t_start = time.perf_counter()

    def user(k: int) -> None:
        nonlocal abstained
        rng = random.Random(seed * 1000 + k)
        n = 0
        while not stop.is_set():
            q = rng.choice(questions)
            mode = "elu" if n % 2 else "agent"
            t0 = time.perf_counter()
            try:
                ans = ask(k, q, mode)
                took = time.perf_counter() - t0
                with lock:
                    latencies.append(took)
                    abstained += ans.abstained
            except Exception as e:  # noqa: BLE001 - every failure is counted, none stops the test
                with lock:
                    errors.append(f"{type(e).__name__}: {e} | {traceback.format_exc(limit=3)[-300:]}")
            n += 1
            if think:
                stop.wait(rng.uniform(0.5, 1.5) * think)

    def monitor() -> None:
        while not stop.wait(1.0):
            samples.append((round(time.perf_counter() - t_start, 1), round(rss_mb(), 1)))

    threads = [threading.Thread(target=user, args=(k,), daemon=True) for k in range(users)]
    watcher = threading.Thread(target=monitor, daemon=True)
    watcher.start()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    grace = time.perf_counter() + 60
    for t in threads:
        t.join(timeout=max(0.0, grace - time.perf_counter()))
    stuck = sum(t.is_alive() for t in threads)
    if stuck:
        errors.append(f"{stuck} utilisateur(s) encore bloqué(s) 60 s après la fin")
    elapsed = time.perf_counter() - t_start
    rss_after = rss_mb()
    half = [r for t, r in samples if t >= elapsed / 2]
    return {
        "users": users,
        "seconds": seconds,
        "think_s": think,
        "questions_asked": len(latencies) + len(errors),
        "answers": len(latencies),
        "abstained": abstained,
        "errors": len(errors),
        "error_samples": errors[:5],
        "throughput_per_s": round(len(latencies) / elapsed, 2),
        "latency_ms": {
            "p50": round(1000 * percentile(latencies, 50), 1),
            "p95": round(1000 * percentile(latencies, 95), 1),
            "p99": round(1000 * percentile(latencies, 99), 1),
            "max": round(1000 * max(latencies, default=float("nan")), 1),
        },
        "rss_mb": {
            "after_warmup": round(rss_before, 1),
            "end": round(rss_after, 1),
            "max": round(max([r for _, r in samples] + [rss_after]), 1),
            "second_half_min_max": [min(half, default=rss_after), max(half, default=rss_after)],
        },
        "rss_samples": samples[:: max(1, len(samples) // 30)],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__)
    ap.add_argument("--users", type=int, default=20, help="simulated users asking at the same time")
    ap.add_argument("--seconds", type=float, default=60.0, help="how long questions keep coming")
    ap.add_argument("--think", type=float, default=0.0, help="mean pause between a user's questions (0: none)")
    ap.add_argument("--via-app", action="store_true", help="through the app's code path (app_pages/common.py)")
    ap.add_argument("--out", type=Path, default=RESULTS / "load.json", help="where to write the results")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant.answer import Assistant
    from assistant.settings import Settings

    s = Settings.from_env()
    loadavg_before = os.getloadavg()[0]  # other work on the machine slows every figure below
    t0 = time.perf_counter()
    if args.via_app:
        ask = app_asker()
        ask(-1, "Comment publier des données ouvertes ?", "agent")  # loads the app's cached resources
        assistant = None
    else:
        ask, assistant = None, Assistant.load(s)
    load_s = time.perf_counter() - t0
    result = run(assistant, question_texts(), args.users, args.seconds, args.think, ask=ask)
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "command": "python -m benchmarks.load " + " ".join(argv if argv is not None else sys.argv[1:]),
        "embed_model": s.embed_model,
        "backend": s.backend,
        "path": "app (app_pages/common.py)" if args.via_app else "in process (Assistant.ask)",
        "index": str(s.data_dir),
        "load_s": round(load_s, 2),
        "loadavg_1min_before_after": [round(loadavg_before, 2), round(os.getloadavg()[0], 2)],
    } | result
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lat = result["latency_ms"]
    print(
        f"{result['answers']} réponses en {args.seconds:.0f} s ({result['throughput_per_s']}/s), "
        f"{result['errors']} erreur(s) ; latence p50 {lat['p50']} ms, p95 {lat['p95']} ms ; "
        f"mémoire {result['rss_mb']['after_warmup']} → {result['rss_mb']['end']} Mo. Résultats : {args.out}"
    )
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
