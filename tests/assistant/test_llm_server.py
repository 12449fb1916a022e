"""The generative backends against a real OpenAI-compatible server: `capacities serve-llm` with the 0.5B
model (llama.cpp through xllamacpp), spoken to by the ``openai`` backend as the Albert API or vLLM would be.
The cases a real model cannot be made to produce on demand (a citation to a passage that does not exist,
an answer citing nothing) stay with the hand-written server in ``test_answer.py`` and ``test_hostile.py``."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from assistant.answer import Assistant
from assistant.errors import CapacitiesError
from assistant.models import OpenAICompatibleChat
from assistant.settings import PROJECT_ROOT
from assistant.types import Answer
from evals.metrics import markers_resolved
from tests.helpers import free_port, indexed_assistant, write_md

pytestmark = [pytest.mark.slow, pytest.mark.llm]
MODEL = "qwen2.5-coder-0.5b"


@pytest.fixture(scope="module")
def llm_url():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "capacities", "serve-llm", "--model", MODEL, "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=os.environ | {"HF_HUB_OFFLINE": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        try:
            if urllib.request.urlopen(f"{url}/health", timeout=2).status == 200:
                break
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            pytest.fail("capacities serve-llm n'a pas démarré :\n" + (proc.stdout.read() if proc.stdout else ""))
        time.sleep(0.5)
    yield f"{url}/v1"
    proc.terminate()
    proc.wait(timeout=20)


def test_the_server_streams_an_answer(llm_url):
    chat = OpenAICompatibleChat(llm_url, MODEL, max_tokens=40)
    pieces = list(
        chat.stream([{"role": "user", "content": "Donne en une phrase un conseil pour publier des données."}])
    )
    assert len(pieces) > 3 and "".join(pieces).strip()  # token by token, not all at once


def test_the_openai_backend_answers_with_checked_citations_or_falls_back(llm_url, settings):
    s = dataclasses.replace(settings, llm_base_url=llm_url, llm_model=MODEL, llm_max_tokens=200)
    write_md(
        s.corpus_dir,
        "donnees.md",
        "# Publier des données\n\nPour publier un jeu de données, créez une organisation au nom de la mairie. "
        "Déposez ensuite le fichier sur data.gouv.fr et décrivez le jeu de données. "
        "Choisissez enfin une licence ouverte, par exemple la Licence Ouverte.\n",
    )
    assistant: Assistant = indexed_assistant(s)
    streamed, final = [], None
    for piece in assistant.stream("Comment publier un jeu de données de la mairie ?", backend="openai"):
        if isinstance(piece, Answer):
            final = piece
        else:
            streamed.append(piece)
    assert final is not None and not final.abstained
    assert streamed  # generated token by token, shown as it comes, then checked
    print(f"backend {final.backend}; warnings {final.warnings}")
    if final.backend == "openai":  # what the model wrote, kept only with citations that point at a passage
        ok, total = markers_resolved(final.text, len(final.citations))
        assert total and ok == total, final.text
    else:  # nothing usable was cited: the extractive answer, said so
        assert final.backend == "extractive"
        assert any("réponse extractive affichée" in w for w in final.warnings), final.warnings


def test_a_server_that_does_not_answer_is_a_french_message():
    chat = OpenAICompatibleChat(f"http://127.0.0.1:{free_port()}/v1", MODEL)
    with pytest.raises(CapacitiesError, match="Serveur de modèle injoignable"):
        list(chat.stream([{"role": "user", "content": "Bonjour"}]))


def test_the_backend_eval_measures_the_real_model_beside_the_extractive_answer(llm_url, settings):
    """``capacities eval --backend``'s rows, on the real 0.5B model behind the server: every figure is
    computed from what it generated, not assumed."""
    from evals.backends import evaluate, render

    s = dataclasses.replace(settings, llm_base_url=llm_url, llm_model=MODEL, llm_max_tokens=120)
    write_md(
        s.corpus_dir,
        "donnees.md",
        "# Publier des données\n\nPour publier un jeu de données, créez une organisation au nom de la mairie. "
        "Déposez ensuite le fichier sur data.gouv.fr et décrivez le jeu de données.\n",
    )
    question = {
        "id": "t1",
        "question": "Comment publier un jeu de données de la mairie ?",
        "kind": "procedure",
        "expected": [{"file": "donnees.md", "pages": [1]}],
        "answer_points": ["créer une organisation au nom de la mairie", "déposer le fichier sur data.gouv.fr"],
    }
    rows = evaluate(indexed_assistant(s), [question], "openai", [])
    assert list(rows) == ["extractive", f"openai:{MODEL}"]
    gen = rows[f"openai:{MODEL}"]
    one = gen["per_question"][0]
    assert one["generated"].strip() and 0 < one["first_ms"] <= one["total_ms"]
    assert gen["answered"] == 1 and gen["coverage"] is not None and gen["faithful"] is not None
    assert rows["extractive"]["faithful"] == 1.0  # quotes, each cited
    md = "\n".join(
        render(
            {
                "date": "d",
                "machine": {"cpu": "c", "cores": 2},
                "command": "x",
                "seconds": 1.0,
                "questions": 1,
                "set": "t.jsonl",
                "rows": rows,
            }
        )
    )
    assert f"openai:{MODEL}" in md and "extractif (défaut)" in md
