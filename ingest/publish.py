"""Publishing a new snapshot, and only then collecting the old chunks.

Readers only show the chunks of the published snapshot (``assistant/store.py``): the BM25 folder,
swapped in with a rename, and the same list of chunk ids recorded in Chroma. So a run publishes
exactly the chunks the manifest names (BM25 first, then the list in Chroma, then the glossary),
then deletes the chunks nobody names any more, and marks the manifest clean last: during a run
readers see the old index, after it the new one, never half of each.
"""

from __future__ import annotations

from assistant import faults
from assistant.files import write_json_atomic
from assistant.hostile import InjectionScreen
from assistant.settings import Settings
from assistant.store import DenseStore, LexicalIndex, snapshot_digest
from ingest.glossary import build_glossary
from ingest.manifest import Manifest
from ingest.report import IngestReport


def publish(
    settings: Settings,
    store: DenseStore,
    manifest: Manifest,
    report: IngestReport,
    screen: InjectionScreen | None = None,
) -> None:
    """Publish exactly the chunks the manifest names, then delete the chunks nobody names.

    BM25 snapshot swapped in with a rename, the same ids recorded in Chroma, the glossary; only
    then the garbage collection of old chunks, and the manifest marked clean last.
    """
    docs_state = manifest.documents
    wanted: dict[str, set[str]] = {}
    for src, d in docs_state.items():  # manifests written before ids were recorded: ask the store
        wanted[src] = set(d.ids) if d.ids is not None else store.ids_for_source(src)
    chunks = store.get_chunks(set().union(*wanted.values()) if wanted else set())
    got = {c.id for c in chunks}
    lost = sorted(src for src, ids in wanted.items() if not ids <= got)
    for src in lost:  # the store was wiped or restored from elsewhere: read the document again next time
        del docs_state[src]
        report.failed[src] = (
            f"{src} : passages absents de Chroma (index effacé ou restauré ?) ; relancez `capacities ingest`."
        )
    chunks = [c for c in chunks if c.source not in lost]
    published = {c.id for c in chunks}
    LexicalIndex.build(chunks).save(settings.bm25_dir)
    faults.point("publish")
    store.publish(published)
    glossary = build_glossary(c.text for c in chunks)
    # an élu answer spells out these acronyms: a definition that speaks to an AI never gets there
    flags = (screen or InjectionScreen()).hostile(list(glossary.values()))
    report.glossary_refused = sorted(a for a, f in zip(glossary, flags, strict=True) if f)
    write_json_atomic(settings.glossary_path, {a: g for a, g in glossary.items() if a not in report.glossary_refused})
    faults.point("gc")
    stray = store.all_ids() - published  # old versions, removed documents, runs stopped midway
    store.delete_ids(stray)
    manifest.dirty = False
    manifest.published = snapshot_digest(published)
    manifest.write(settings.manifest_path)
