"""End to end in a real browser: the app served by Streamlit, Debian's Chromium driven by Playwright.

Starts the app on a small fixture corpus, asks a question, waits for the answer, opens the citation
card and its page image, and saves screenshots under test-artifacts/ (look at them)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT
from tests.helpers import CHROMIUM, build_pdf, free_port, write_md

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def served_app(tmp_path: Path):  # noqa: ANN201
    corpus = tmp_path / "corpus"
    build_pdf(
        corpus / "pdf" / "guide_donnees.pdf",
        [
            ["Guide des données locales", "Ce guide s'adresse aux agents des communes."],
            [
                "Publier un jeu de données sur le portail national.",
                "1. Créez un compte sur le portail.",
                "2. Créez une organisation au nom de la mairie.",
                "3. Déposez le fichier et décrivez le jeu de données.",
                "4. Choisissez une licence ouverte, par exemple la Licence Ouverte.",
            ],
        ],
        title="Guide des données locales",
    )
    write_md(corpus / "markdown", "sobriete.md", "# Sobriété\n\nLa collectivité mesure son parc de terminaux.\n")
    yield from _serve(corpus, tmp_path)


def _serve(corpus: Path, tmp_path: Path):  # noqa: ANN202
    """The app on this corpus, on a free port; its address while the test runs."""
    port = free_port()
    env = os.environ | {
        "CAPACITIES_CORPUS_DIR": str(corpus),
        "CAPACITIES_DATA_DIR": str(tmp_path / "data"),
        "CAPACITIES_EMBED_MODEL": "hash-256",
        "CAPACITIES_OCR": "false",
        "CAPACITIES_MIN_DENSE_SCORE": "0",
        "HF_HUB_OFFLINE": "1",
    }
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                pytest.fail("L'application n'a pas démarré :\n" + (tmp_path / "streamlit.log").read_text())
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_question_answer_and_citation_card_in_a_real_browser(served_app: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
            page.goto(served_app, wait_until="domcontentloaded")
            box = page.get_by_test_id("stChatInputTextArea")
            expect(box).to_be_visible(timeout=90_000)  # the first visit builds the index
            page.screenshot(path=str(ARTIFACTS / "chat-empty.png"))
            box.fill("Comment publier un jeu de données de la mairie sur le portail national ?")
            box.press("Enter")
            card = page.get_by_test_id("stExpander").filter(has_text="Guide des données locales — p. 2")
            expect(card).to_be_visible(timeout=60_000)
            answer = page.get_by_test_id("stChatMessage").last
            expect(answer).to_contain_text("[1]")
            expect(answer).to_contain_text("Sources")
            expect(answer).not_to_contain_text("Pour aller plus loin")  # the cards list the documents
            card.locator("summary").click()
            expect(card).to_contain_text("Créez une organisation au nom de la mairie")
            card.get_by_text("Voir la page").click()
            expect(card.get_by_role("img")).to_be_visible(timeout=30_000)
            expect(card).to_contain_text("page 2 (passage surligné)")
            card.screenshot(path=str(ARTIFACTS / "citation-card.png"))
            answer.scroll_into_view_if_needed()
            page.get_by_test_id("stChatMessage").nth(-2).scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "chat-answer.png"))
        finally:
            browser.close()
    assert (ARTIFACTS / "chat-answer.png").stat().st_size > 10_000


TRACKER = "198.51.100.7"  # TEST-NET-2: never a real host; a request to it is what the test looks for
HOSTILE_TITLE = (
    f"Guide des achats ![suivi](http://{TRACKER}/pixel.png) [Valider votre compte](https://phish.example/login)"
)


@pytest.fixture
def hostile_app(tmp_path: Path):  # noqa: ANN201
    """A PDF whose /Title and a Markdown file whose front matter carry an image and a link."""
    corpus = tmp_path / "corpus"
    build_pdf(
        corpus / "pdf" / "achats.pdf",
        [["Acheter du matériel reconditionné.", "1. Recensez le parc des terminaux de la mairie."]],
        title=HOSTILE_TITLE,
    )
    write_md(
        corpus / "markdown",
        "achats.md",
        f'---\ntitle: "{HOSTILE_TITLE}"\n---\n# Achats\n\nPour acheter du matériel reconditionné, la mairie '
        f"recense ses terminaux ![](http://{TRACKER}/corps.png) puis rédige le cahier des charges.\n",
    )
    yield from _serve(corpus, tmp_path)


def test_titles_from_documents_fetch_nothing_and_link_nowhere(hostile_app: str) -> None:
    """Issue 17, point 1: no request leaves for an address outside the app, no link to a document's address."""
    from urllib.parse import urlparse

    from playwright.sync_api import expect, sync_playwright

    app_host = urlparse(hostile_app).netloc
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
            page.on("request", lambda r: requests.append(r.url))
            page.goto(hostile_app, wait_until="domcontentloaded")
            box = page.get_by_test_id("stChatInputTextArea")
            expect(box).to_be_visible(timeout=90_000)
            box.fill("Comment acheter du matériel reconditionné pour la mairie ?")
            box.press("Enter")
            cards = page.get_by_test_id("stExpander")
            expect(cards.first).to_be_visible(timeout=60_000)
            for i in range(cards.count()):
                cards.nth(i).locator("summary").click()
            expect(cards.first).to_contain_text("Guide des achats")
            page.wait_for_timeout(1500)  # time for any image a label would load
            hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            srcs = page.eval_on_selector_all("img[src]", "els => els.map(e => e.src)")
        finally:
            browser.close()
    outside = [u for u in requests if urlparse(u).scheme in {"http", "https"} and urlparse(u).netloc != app_host]
    assert not outside, outside
    assert not any("phish.example" in h or TRACKER in h for h in hrefs), hrefs
    assert not any(TRACKER in u for u in srcs), srcs
