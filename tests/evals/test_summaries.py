"""The deliverable-summary report: three summaries of real corpus documents, scored against key points."""

from __future__ import annotations

from evals.summaries import WAYS, markdown, measure
from ingest.load import load_document
from ingest.split import split_document
from tests.helpers import CORPUS

SOURCE = "pdf/etalab_guide_publier_data_gouv.pdf"


def test_each_summary_is_scored_for_agents_and_elus_and_the_table_sets_them_side_by_side():
    chunks = {SOURCE: split_document(load_document(CORPUS / SOURCE, CORPUS, ocr=False))}
    reference = {
        "source": SOURCE,
        "key_points": ["créer un compte sur data.gouv.fr", "publier un jeu de données", "licence ouverte"],
    }
    missing = {"source": "pdf/absent.pdf", "key_points": ["rien"]}  # not indexed: left out, not scored as 0
    result = measure(chunks, [reference, missing])
    rows = result["rows"]
    assert set(rows) == {f"{w}/{m}" for w in WAYS for m in ("agent", "elu")}
    for key, r in rows.items():
        assert r["documents"] == 1 and 0.0 <= r["coverage"] <= 1.0, key
        assert r["points"] > 0 and r["not_advice"] == 0, key
    assert rows["summary/agent"]["noun_phrases"] == 0 and rows["summary/elu"]["noun_phrases"] == 0
    assert rows["summary/elu"]["median_words"] < rows["summary/agent"]["median_words"]
    assert rows["lead/agent"]["parts"] <= rows["summary/agent"]["parts"]  # the opening cites its first pages
    md = markdown(result | {"date": "2026-12-07 04:00", "machine": "AMD EPYC, 2 cœurs", "seconds": 3.0, "documents": 1})
    assert md.count("\n| ") == 1 + 6 and "| résumé en service" in md  # the header, then a row per summary and mode
