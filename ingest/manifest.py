"""The manifest (``data/manifest.json``): every indexed document by content hash, with its chunk ids,
the model that embedded them and whether the last run went to the end; and the ingestion lock.

It is rewritten atomically after each document (``assistant.files.write_json_atomic``), so a run
stopped at any point leaves a manifest that says what is in the store.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from assistant.errors import CapacitiesError
from assistant.files import read_json, write_json_atomic
from assistant.settings import Settings
from assistant.store import check_same_model

VERSION = 1


@dataclass
class DocumentEntry:
    """One indexed document: what was read and which chunks it gave."""

    sha256: str
    title: str
    pages: int
    chunks: int
    embedded: int = 0  # chunks embedded by the run that indexed it (the others were already stored)
    warnings: list[str] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    ids: list[str] | None = None  # None: written before ids were recorded (ask the store)
    ingested_at: str = ""

    @classmethod
    def from_json(cls, data: dict) -> DocumentEntry:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Manifest:
    embed_model: str | None = None
    pipeline: str | None = None  # fingerprint of the code and settings that turn a file into chunks
    dirty: bool = False  # set while a run is under way; cleared once both indexes are published
    published: str | None = None  # digest of the published chunk ids
    documents: dict[str, DocumentEntry] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """The manifest at ``path``; an empty one when it is absent, unreadable or of another version."""
        data = read_json(path, {})
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return cls()
        docs = {src: DocumentEntry.from_json(d) for src, d in data.get("documents", {}).items()}
        return cls(data.get("embed_model"), data.get("pipeline"), bool(data.get("dirty")), data.get("published"), docs)

    def to_json(self) -> dict:
        return {"version": VERSION} | asdict(self)

    def write(self, path: Path) -> None:
        write_json_atomic(path, self.to_json())

    def check_model(self, model_name: str) -> None:
        """Refuse to add vectors of another model to the index."""
        check_same_model(self.embed_model, None, model_name, None)


@contextlib.contextmanager
def ingest_lock(settings: Settings) -> Iterator[None]:
    """One ingestion (or backup, or restore) at a time per data folder; the lock goes away with the process."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with settings.lock_path.open("w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CapacitiesError(
                "Une autre ingestion est en cours sur ce dossier de données ; attendez qu'elle finisse."
            ) from None
        yield
