"""Where benchmarks save their results, with the date and the machine they ran on."""

from __future__ import annotations

import json
import time
from pathlib import Path

from measure import machine

RESULTS = Path(__file__).resolve().parent / "results"


def save(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    data = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine()} | data
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
