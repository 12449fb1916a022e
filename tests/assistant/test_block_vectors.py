"""Block vectors: pooled at ingestion with the chunk's own pass, stored with it, kept when it is unchanged."""

from __future__ import annotations

import json

from assistant import blocks as B
from assistant.retrieve import Retriever
from assistant.store import DenseStore
from ingest.pipeline import run_ingest
from tests.fakes import HashEmbedder
from tests.helpers import write_md

GUIDE = (
    "# Publier les données de la commune\n\n"
    "La commune publie ses données en suivant ces étapes :\n"
    "1. Créer un compte sur data.gouv.fr.\n"
    "2. Créer une organisation au nom de la mairie.\n"
    "3. Publier le jeu de données avec une licence ouverte.\n\n"
    "Le compostage des biodéchets réduit le volume des ordures ménagères.\n"
)


class CountingEmbedder(HashEmbedder):
    """The fake embedder, counting the texts it embeds."""

    def __init__(self) -> None:
        super().__init__(256)
        self.embedded = 0

    def embed_blocks(self, texts, titles, spans):
        self.embedded += len(texts)
        return super().embed_blocks(texts, titles, spans)


def stored(settings, client):
    dense = DenseStore(settings, None, None, client=client)
    return dense.get_chunks(dense.all_ids())


def test_block_vectors_reach_both_indexes_and_survive_a_second_ingestion(settings, ephemeral_client):
    write_md(settings.corpus_dir / "markdown", "guide.md", GUIDE)
    emb = CountingEmbedder()
    assert run_ingest(settings, embedder=emb, client=ephemeral_client, progress=False).ok
    chunks = stored(settings, ephemeral_client)
    assert chunks and emb.embedded == len(chunks)
    for c in chunks:
        vecs = B.unpack_vectors(c.block_vectors)
        assert vecs is not None and len(vecs) == len(B.decode(c.text, c.blocks))
    on_disk = json.loads((settings.bm25_dir / "chunks.json").read_text(encoding="utf-8"))
    assert {d["id"]: d["block_vectors"] for d in on_disk} == {c.id: c.block_vectors for c in chunks}

    # the code that makes chunks changed: every document is read again, nothing is embedded again, and
    # the metadata refresh keeps the stored vectors (Chroma merges what it is given)
    manifest = json.loads(settings.manifest_path.read_text(encoding="utf-8"))
    manifest["pipeline"] = "an older version"
    settings.manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    report = run_ingest(settings, embedder=emb, client=ephemeral_client, progress=False)
    assert report.ok and report.embedded == 0 and report.updated == ["markdown/guide.md"]
    assert {c.id: c.block_vectors for c in stored(settings, ephemeral_client)} == {
        c.id: c.block_vectors for c in chunks
    }

    # the vectors rank the blocks: the composting sentence is nearest to a question about compost
    retriever = Retriever(settings, embedder=emb, client=ephemeral_client)
    p = retriever.search("compostage des biodéchets et ordures ménagères", k=1)[0]
    vecs = B.unpack_vectors(p.block_vectors)
    sims = vecs @ B.query_for_blocks(retriever.query_vector("compostage des biodéchets ordures ménagères"), 256)
    best = B.decode(p.text, p.blocks)[int(sims.argmax())]
    assert best.text.startswith("Le compostage")
