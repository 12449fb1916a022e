"""Test-only fault injection: ``CAPACITIES_TEST_KILL_AT=<point>[:<n>]`` sends SIGKILL to the process
the n-th time (default: the first) ingestion passes ``<point>``. Unset (always, outside tests), a
check costs one dictionary lookup. The points, in the order a run meets them:

- ``parse``: a document has been read and split (nothing written yet)
- ``embed``: a batch of embeddings has been written to Chroma (between batches)
- ``store``: a document's chunks are all in Chroma, its manifest entry not yet written
- ``manifest``: a manifest's temporary file is written, not yet renamed over the old one
- ``bm25``: the new BM25 folder is written; the old one is renamed away, the new not yet in place
- ``publish``: the BM25 snapshot is in place, the published list in Chroma not yet updated
- ``gc``: the new snapshot is published, old chunks not yet deleted from Chroma
"""

from __future__ import annotations

import os
import signal

ENV = "CAPACITIES_TEST_KILL_AT"
POINTS = ("parse", "embed", "store", "manifest", "bm25", "publish", "gc")
_seen: dict[str, int] = {}


def point(name: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    target, _, nth = spec.partition(":")
    if target != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
