"""End to end in a real browser: the app served by Streamlit, Debian's Chromium driven by Playwright.

Starts the app on a small fixture corpus, asks a question, waits for the answer, opens the citation
card and its page image, and saves screenshots under test-artifacts/ (look at them)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from app_pages.interface import ENGLISH
from assistant.settings import PROJECT_ROOT
from tests.helpers import AXE, CHROMIUM, build_pdf, free_port, write_md

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
ADMIN_PASSWORD = "mot-de-passe-de-test"


@contextlib.contextmanager
def _browser_page():  # noqa: ANN202
    """A page of Debian's Chromium, headless, desktop-sized and in French; closed with the block."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield browser.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
        finally:
            browser.close()


def _set_toggle(page, toggle, on: bool) -> None:  # noqa: ANN001
    """Switch a Streamlit toggle as a user does: once the app is idle, click its label, and click again if the
    click was lost to a rerun that redrew the widget (CI saw the card's toggle stay off after one click)."""
    from playwright.sync_api import expect

    box = expect(toggle.locator("input"))
    switched = box.to_be_checked if on else box.not_to_be_checked
    for attempt in range(3):
        page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=60_000)
        toggle.locator("label").click()
        try:
            switched(timeout=10_000)
            return
        except AssertionError:
            if attempt == 2:
                raise


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
    write_md(
        corpus,
        "parcours.toml",
        '[stages.donnees]\ntitle = "Données"\nwhen = "Le projet s\'appuie sur des données."\n'
        'questions = ["Comment publier un jeu de données sur le portail national ?"]\n',
    )
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
        "CAPACITIES_ADMIN_PASSWORD": ADMIN_PASSWORD,
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
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    with _browser_page() as page:
        page.goto(served_app, wait_until="domcontentloaded")
        box = page.get_by_test_id("stChatInputTextArea")
        expect(box).to_be_visible(timeout=90_000)  # the first visit builds the index
        page.screenshot(path=str(ARTIFACTS / "chat-empty.png"))
        box.fill("Comment publier un jeu de données de la mairie sur le portail national ?")
        box.press("Enter")
        # the first card, [1]: the answer now reads further and may cite a second passage of that page
        card = page.get_by_test_id("stExpander").filter(has_text="Guide des données locales — p. 2").first
        expect(card).to_be_visible(timeout=60_000)
        answer = page.get_by_test_id("stChatMessage").last
        expect(answer).to_contain_text("[1]")
        expect(answer).to_contain_text("Sources")
        expect(answer).not_to_contain_text("Pour aller plus loin")  # the cards list the documents
        card.locator("summary").click()
        expect(card).to_contain_text("Créez une organisation au nom de la mairie")
        _set_toggle(page, card.get_by_test_id("stCheckbox").filter(has_text="Voir la page"), on=True)
        expect(card.get_by_role("img")).to_be_visible(timeout=30_000)
        expect(card).to_contain_text("page 2 (passage surligné)")
        card.screenshot(path=str(ARTIFACTS / "citation-card.png"))
        answer.scroll_into_view_if_needed()
        page.get_by_test_id("stChatMessage").nth(-2).scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "chat-answer.png"))
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

    from playwright.sync_api import expect

    app_host = urlparse(hostile_app).netloc
    requests: list[str] = []
    with _browser_page() as page:
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
    outside = [u for u in requests if urlparse(u).scheme in {"http", "https"} and urlparse(u).netloc != app_host]
    assert not outside, outside
    assert not any("phish.example" in h or TRACKER in h for h in hrefs), hrefs
    assert not any(TRACKER in u for u in srcs), srcs


def _audit(page, view: str) -> list[str]:  # noqa: ANN001
    """axe-core on the page as it is; the report saved in test-artifacts/; the serious and critical findings."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    (ARTIFACTS / f"axe-{view}.json").write_text(json.dumps(result["violations"], ensure_ascii=False, indent=1))
    return [
        f"{view}: {v['id']} ({v['impact']}) {v['help']} — {v['nodes'][0]['target']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _english(page, view: str) -> list[str]:  # noqa: ANN001
    """Streamlit's English words still seen (the page's text) or announced (its accessibility tree)."""
    seen = page.locator("body").inner_text() + "\n" + page.locator("body").aria_snapshot()
    return [f"{view}: « {w} »" for w in ENGLISH if w in seen]


def _check(page, view: str, findings: list[str]) -> None:  # noqa: ANN001
    page.wait_for_timeout(500)  # the interface script has translated what was just drawn
    assert page.evaluate("document.documentElement.lang") == "fr", view
    findings += _audit(page, view) + _english(page, view)
    page.screenshot(path=str(ARTIFACTS / f"{view}.png"), full_page=True)


def test_the_three_users_find_a_french_accessible_app(served_app: str) -> None:
    """Issue 13: an agent (keyboard only), an élu and a maintainer, on desktop and on a phone: the page is in
    French (lang and Streamlit's own words), axe-core finds nothing serious or critical on the four views,
    and a new answer is in a live region."""
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    findings: list[str] = []
    with _browser_page() as page:
        # the agent, keyboard only: Tab to the question box, type, Enter; open a source card with Enter
        page.goto(served_app, wait_until="domcontentloaded")
        box = page.get_by_test_id("stChatInputTextArea")
        expect(box).to_be_visible(timeout=90_000)
        for _ in range(60):
            if page.evaluate("document.activeElement?.dataset?.testid") == "stChatInputTextArea":
                break
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement?.dataset?.testid") == "stChatInputTextArea"
        page.keyboard.type("Comment publier un jeu de données de la mairie sur le portail national ?")
        page.keyboard.press("Enter")
        card = page.get_by_test_id("stExpander").first
        expect(card).to_be_visible(timeout=60_000)
        log = page.locator('[role="log"][aria-live="polite"]')
        expect(log).to_have_count(1)
        expect(log).to_contain_text("Créez une organisation")  # the answer is inside the live region
        card.locator("summary").focus()
        page.keyboard.press("Enter")
        expect(card).to_contain_text("Voir la page")
        _check(page, "agent-chat", findings)
        # the agent flags the cited passage for the authors
        card.get_by_role("button", name="Signaler").click()
        popover = page.get_by_test_id("stPopoverBody")
        popover.get_by_text("Information obsolète").click()
        popover.get_by_role("textbox").fill("Le portail a changé de nom.")
        popover.get_by_role("button", name="Envoyer le signalement").click()
        expect(page.get_by_text("votre signalement est transmis")).to_be_visible(timeout=15_000)
        page.keyboard.press("Escape")
        # the document filter: a chosen document is named whole, and its chip speaks French
        page.get_by_test_id("stMultiSelect").click()
        page.get_by_role("option", name="Guide des données locales").click()
        page.keyboard.press("Escape")
        chip = page.locator("[data-tag] > span").first
        expect(chip).to_have_text("Guide des données locales")
        assert chip.evaluate("e => e.scrollWidth <= e.clientWidth")  # not cut with an ellipsis
        _check(page, "agent-filter", findings)
        # a page link of the sidebar shows where the focus is
        link = page.locator('[data-testid="stSidebarNav"] a').first
        link.focus()
        outline = link.evaluate("e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth")
        style, width = outline.split()
        assert style == "solid" and float(width.removesuffix("px")) >= 2, outline  # not the browser's thin ring
        # the agent's roadmap for a stage: a cited checklist, ticked with the keyboard
        page.goto(f"{served_app}/parcours", wait_until="domcontentloaded")
        step = page.get_by_test_id("stCheckbox").first
        expect(step).to_contain_text("[1]", timeout=60_000)  # a cited step
        step.locator("input").focus()
        page.keyboard.press("Space")
        expect(step.locator("input")).to_be_checked()
        _check(page, "agent-parcours", findings)
        for role in ("Élu", "Entreprise qui travaille avec les collectivités"):  # the two other roles
            page.get_by_role("radio", name=role).check(force=True)
            expect(page.get_by_role("radio", name=role)).to_be_checked()
            expect(page.get_by_test_id("stCheckbox").first).to_contain_text("[1]", timeout=30_000)
        _check(page, "company-parcours", findings)
        # the élu: a plain summary of a deliverable
        page.goto(f"{served_app}/resume", wait_until="domcontentloaded")
        page.get_by_role("button", name="Résumer").click()
        expect(page.get_by_text("Points clés")).to_be_visible(timeout=60_000)
        _check(page, "elu-summary", findings)
        # switched off, the toggle's track stays outlined (Streamlit draws it pale grey on white)
        toggle = page.get_by_test_id("stCheckbox").filter(has_text="Version pour élus")
        _set_toggle(page, toggle, on=False)
        shadow = toggle.evaluate(  # the track is the knob's parent
            "el => { const t = el.querySelector('div:has(> div:only-child:empty)');"
            " return t ? getComputedStyle(t).boxShadow : el.outerHTML }"
        )
        assert "rgb(74, 77, 87)" in shadow, shadow
        # the maintainer: a wrong password first (no stray "None"), then the right one
        page.goto(f"{served_app}/admin", wait_until="domcontentloaded")
        password = page.get_by_label("Mot de passe administrateur")
        password.fill("mauvais")
        password.press("Enter")
        expect(page.get_by_text("Mot de passe incorrect.")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("None", exact=True)).to_have_count(0)
        password.fill(ADMIN_PASSWORD)
        password.press("Enter")
        expect(page.get_by_text("Documents indexés")).to_be_visible(timeout=30_000)
        _check(page, "maintainer-admin", findings)
        page.get_by_role("tab", name="Lacunes et signalements").click()
        expect(page.get_by_text("Information obsolète : Le portail a changé de nom.")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("guide_donnees.pdf, p. 2")).to_be_visible()
        _check(page, "maintainer-gaps", findings)
        # a phone
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(served_app, wait_until="domcontentloaded")
        expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=30_000)
        expect(page.get_by_role("radiogroup", name="Mode de réponse")).to_be_visible()  # not behind the sidebar
        _check(page, "mobile-chat", findings)
    assert not findings, findings
