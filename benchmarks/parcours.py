"""How long the "Parcours projet" page takes to open, once ingested, against the same page computing
its answers on the spot (no ``data/parcours.json``), in turn, in one process.

    python -m benchmarks.parcours [--rounds 5]

The app runs in process (Streamlit's AppTest): the assistant and the model are loaded once, before the
timing; each timed run clears the page's cached roadmaps, so it reads them (or computes them) again.
Target: under 1 s once ingested. Writes benchmarks/results/parcours.json.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time

from benchmarks.common import save
from measure import percentile


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.parcours", description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from streamlit.testing.v1 import AppTest

    from app_pages import common
    from assistant.settings import PROJECT_ROOT, Settings

    s = Settings.from_env()
    if not s.parcours_path.is_file():
        print(f"Aucun parcours : {s.parcours_path} absent.", file=sys.stderr)
        return 2
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=600).run()  # loads the assistant
    at.switch_page("app_pages/parcours.py").run()  # and writes data/parcours.json if it was missing
    aside = s.roadmaps_path.with_name("parcours.bench-aside.json")
    times: dict[str, list[float]] = {"ingested": [], "computed": []}
    for _ in range(args.rounds):
        for name in times:  # in turn, so that drift hits both alike
            common._roadmaps.clear()  # noqa: SLF001 - the page's cache, cleared as a new process would find it
            if name == "computed":
                shutil.copy(s.roadmaps_path, aside)
                s.roadmaps_path.unlink()
            t0 = time.perf_counter()
            at.switch_page("app_pages/parcours.py").run()
            times[name].append(time.perf_counter() - t0)
            assert not at.exception, [e.value for e in at.exception]
            if name == "computed":
                shutil.move(aside, s.roadmaps_path)
    p50 = {k: round(percentile(v, 50), 3) for k, v in times.items()}
    result = {
        "rounds": args.rounds,
        "seconds": {k: [round(x, 3) for x in v] for k, v in times.items()},
        "p50_s": p50,
        "ratio_ingested_over_computed": round(p50["ingested"] / p50["computed"], 3),
        "target_s": 1.0,
        "met": p50["ingested"] < 1.0,
    }
    path = save("parcours", result)
    print(
        f"Ouverture de la page, p50 : {p50['ingested']} s avec les réponses calculées à l'ingestion, "
        f"{p50['computed']} s en les calculant sur place (rapport {result['ratio_ingested_over_computed']})."
    )
    print(f"Résultats : {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
