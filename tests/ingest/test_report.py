"""The run's report: the estimate announced before a long run of embeddings (issue 18, point 8)."""

from __future__ import annotations

import pytest

from ingest.pipeline import run_ingest
from ingest.report import DEFAULT_RATE, IngestReport, estimate_line, previous_rates, save_report
from tests.fakes import HashEmbedder
from tests.helpers import write_md


@pytest.mark.parametrize(
    ("passages", "rate", "expected"),
    [
        (20, None, ""),  # about 7 s: not a long run
        (1274, None, "environ 7 min 19 s (débit de référence sur 2 cœurs : 2,9 passages/s)"),
        (1274, 5.0, "environ 4 min 15 s (débit mesuré ici à la dernière ingestion : 5,0 passages/s)"),
        (34_494, None, "34\u202f494 passages de 1 document(s), environ 3 h 18 min"),
    ],
)
def test_the_estimate_says_how_long_from_the_rate_measured_here_or_the_benchmarks(passages, rate, expected):
    line = estimate_line(passages, 1, rate)
    assert (expected in line) if expected else line == ""
    if line:
        assert line.startswith("À calculer : ")


def test_a_long_run_is_announced_before_its_first_embedding_then_measured_for_the_next(settings):
    sentence = "La commune publie un jeu de données avec sa description, sa licence et son producteur. "
    write_md(settings.corpus_dir, "a.md", "# A\n\n" + "\n\n".join(f"{i}. {sentence * 8}" for i in range(40)))
    seen: list[tuple[str, int, str]] = []
    report = run_ingest(settings, embedder=HashEmbedder(256), progress=lambda *a: seen.append((a[0], a[1], a[3])))
    assert report.ok and report.embedded >= DEFAULT_RATE * 10  # long at the reference rate: announced
    stages = [stage for stage, _, _ in seen]
    first = stages.index("Estimation")
    assert "Embeddings" not in stages[:first] and f"{report.embedded} passages" in seen[first][2]
    assert report.estimate == seen[first][2]
    rate = report.embed_rates["hash-256"]
    assert rate > 100  # the fake embedder is fast: the next estimate uses what was measured here
    save_report(settings, report)
    assert previous_rates(settings) == {"hash-256": rate}

    write_md(settings.corpus_dir, "a.md", "# A\n\n" + "\n\n".join(f"{i}. {sentence * 7}" for i in range(40)))
    seen.clear()
    again = run_ingest(settings, embedder=HashEmbedder(256), progress=lambda *a: seen.append((a[0], a[1], a[3])))
    assert again.embedded >= DEFAULT_RATE * 10 and "Estimation" not in [s for s, _, _ in seen] and not again.estimate
    assert again.embed_rates["hash-256"] > 100


def test_a_short_run_keeps_the_rate_measured_before(settings):
    save_report(settings, IngestReport(embed_rates={"hash-256": 4.2}))
    write_md(settings.corpus_dir, "a.md", "# A\n\nUne seule phrase sur les données ouvertes de la commune.\n")
    report = run_ingest(settings, embedder=HashEmbedder(256), progress=False)
    assert report.embedded < 32 and report.embed_rates == {"hash-256": 4.2}


def test_a_document_of_one_passage_is_said_in_the_singular():
    report = IngestReport(documents={"ok.md": {"pages": 1, "chunks": 1}, "b.md": {"pages": 2, "chunks": 3}})
    text = report.summary()
    assert "ok.md : 1 p., 1 passage\n" in text + "\n" and "b.md : 2 p., 3 passages" in text
