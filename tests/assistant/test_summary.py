"""Deliverable summaries on real corpus documents, split as ingestion splits them (no model needed)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from assistant.readability import kandel_moles
from assistant.summary import POINTS, summarize
from evals.metrics import answer_body, answer_units, non_advice_units
from ingest.load import load_document
from ingest.split import split_document
from tests.helpers import CORPUS

DOCS = ["pdf/dinum_guide_achats_numeriques_responsables_2021.pdf", "pdf/etalab_guide_publier_data_gouv.pdf"]


@pytest.fixture(scope="module")
def retriever():
    chunks = [c for src in DOCS for c in split_document(load_document(CORPUS / src, CORPUS, ocr=False))]
    return SimpleNamespace(lexical=SimpleNamespace(chunks=chunks), sources=DOCS)


@pytest.mark.parametrize("source", DOCS)
def test_key_points_are_body_text_spread_over_the_document(retriever, source):
    ans = summarize(retriever, source, "agent")
    points = re.findall(r"^- (.+) \[\d+\]$", answer_body(ans.text), re.M)
    assert len(points) == POINTS["agent"]
    assert non_advice_units(ans.text) == []  # no contents line, running header, questionnaire item, heading
    assert "TABLE DES MATI" not in ans.text and "GUIDE ACHATS NUMÉRIQUE RESPONSABLE |" not in ans.text
    pages = [c.page_start for c in ans.citations]
    n_pages = max(c.page_end for c in retriever.lexical.chunks if c.source == source)
    assert max(pages) - min(pages) >= n_pages / 2, pages  # from the first half and the second half
    assert all(c.source == source for c in ans.citations)


@pytest.mark.parametrize("source", DOCS)
def test_elu_summary_is_shorter_and_plainer_than_the_agent_one(retriever, source):
    agent, elu = summarize(retriever, source, "agent"), summarize(retriever, source, "elu")
    a_units, e_units = answer_units(agent.text), answer_units(elu.text)
    assert len(e_units) < len(a_units)
    assert len(answer_body(elu.text).split()) < 0.7 * len(answer_body(agent.text).split())
    assert kandel_moles(answer_body(elu.text)) > kandel_moles(answer_body(agent.text))
    assert max(len(u.split()) for u, _ in e_units) <= 25
    assert non_advice_units(elu.text) == []


@pytest.mark.parametrize("source", DOCS)
def test_the_elu_summary_says_which_points_it_put_in_plain_words(retriever, source):
    """The agent version quotes; the élu version may say a point with common words, and then says how many."""
    from assistant import prompts

    def quoted(ans):
        points = re.findall(r"^- (.+?)(?: \[…\])? \[(\d+)\]$", answer_body(ans.text), re.M)
        flat = [re.sub(r"\s+", " ", c.text) for c in ans.citations]
        return [
            p.rstrip(".") in flat[int(n) - 1] or p.rstrip(".").rstrip(" […]") in flat[int(n) - 1] for p, n in points
        ]

    agent, elu = summarize(retriever, source, "agent"), summarize(retriever, source, "elu")
    assert all(quoted(agent)) and not agent.warnings
    rewritten = quoted(elu).count(False)
    assert elu.warnings == ([prompts.SIMPLIFIED.format(n=rewritten)] if rewritten else [])


def summary_passage(i: int, sentences: list[str]):
    """A passage of one block per sentence."""
    from assistant.types import Passage

    return Passage(f"c{i}", "\n".join(sentences), "pdf/guide.pdf", "Guide", i + 1, i + 1, "", i)


@pytest.mark.parametrize("mode", ["agent", "elu"])
def test_a_summary_never_gives_a_noun_phrase_as_a_key_point(mode):
    """ "Contrôle de la mise en place des statistiques d'usage." and "Jeu de données du registre parcellaire bio."
    were key points of the RGESN and ANCT summaries: no verb, they say nothing."""
    from assistant.summary import body_units

    units = body_units(
        [
            summary_passage(
                0,
                [
                    "Contrôle de la mise en place des statistiques d’usage.",
                    "Jeu de données du registre parcellaire bio des communes.",
                    "La commune publie ses données sur data.gouv.fr chaque année.",
                ],
            )
        ],
        mode,
    )
    assert [u.text for u in units] == ["La commune publie ses données sur data.gouv.fr chaque année."]


def test_a_question_with_the_next_criterion_s_number_glued_on_is_still_a_question():
    from assistant.blocks import non_advice

    assert non_advice("Le service numérique a-t-il défini ses cibles utilisatrices ?1.2.") == "question"
    assert non_advice("Le service numérique définit ses cibles utilisatrices.") is None
