"""Measuring helpers shared by the evaluations and the benchmarks: percentiles, memory, the machine."""

from __future__ import annotations

import os
import platform
import statistics
from pathlib import Path


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (1 to 99) of the values, interpolated; NaN for none."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def rss_mb() -> float:
    """Resident memory of this process now, in MB (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict[str, object]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu or platform.processor(), "cores": os.cpu_count(), "python": platform.python_version()}


def pct(values: list[float], q: float) -> float | None:
    """The q-th percentile rounded to 0.1 for a report; None for no values."""
    return round(percentile(values, q), 1) if values else None
