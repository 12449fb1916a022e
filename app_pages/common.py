"""What every page of the app shares: settings, the model and index loaded once, the first-run
index build with a progress bar, and the citation cards."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import streamlit as st

from assistant.answer import Assistant
from assistant.errors import CapacitiesError
from assistant.hostile import plain
from assistant.models import Embedder, load_embedder
from assistant.render import citation_label, escape_markdown, quote, render_page
from assistant.retrieve import Retriever
from assistant.settings import Settings
from assistant.types import Answer, Passage

MODES = {"agent": "Agent : étapes à suivre", "elu": "Élu : résumé en langage clair"}


def settings() -> Settings:
    """Read on every run (cheap), so the environment decides; resources below are cached per settings."""
    return Settings.from_env()


def _key(s: Settings) -> str:
    return repr(s)


@st.cache_resource(show_spinner="Chargement du modèle d'embeddings…")
def embedder(key: str, _s: Settings) -> Embedder:
    return load_embedder(_s)


@st.cache_data(show_spinner=False, max_entries=4096)
def _question_vector(key: str, question: str, _s: Settings) -> list[float]:
    return embedder(key, _s).embed_query(question)


def question_vectors(s: Settings, questions: list[str]) -> list[list[float]]:
    """Query vectors of recorded questions, each computed once per process (the admin page draws its
    themes again at every click)."""
    return [_question_vector(_key(s), q, s) for q in questions]


@st.cache_resource
def _chroma(key: str, _s: Settings):  # noqa: ANN202
    """One client per process for a Chroma server (None for the embedded store)."""
    from assistant.store import chroma_client

    return chroma_client(_s) if _s.chroma_url else None


def index_version(s: Settings) -> str:
    """Changes when an ingestion publishes a new snapshot (here or in another process or machine)."""
    from assistant.store import published_stamp

    return published_stamp(s, _chroma(_key(s), s)) or ""


@st.cache_resource
def _own_versions(key: str) -> set[str]:
    """Snapshots this process published itself (its embedded Chroma client already sees them)."""
    return set()


@st.cache_resource(show_spinner="Chargement de l'index…", max_entries=2)
def _assistant(key: str, version: str, _s: Settings) -> Assistant:
    if version not in _own_versions(key) and not _s.chroma_url and not ingest_running(_s):
        # written by another process (e.g. `capacities ingest`): an embedded client keeps the vector
        # index it loaded, so start from fresh clients
        from assistant.store import reset_chroma_cache

        reset_chroma_cache()
    retriever = Retriever(_s, embedder=embedder(key, _s), client=_chroma(key, _s))
    retriever.warm_up()  # under the loading spinner, not in the first answer's time
    return Assistant.load(_s, retriever)


def assistant(s: Settings) -> Assistant:
    return _assistant(_key(s), index_version(s), s)


@st.cache_resource(show_spinner="Préparation du parcours…", max_entries=2)
def _roadmaps(key: str, version: str, edited: int, _s: Settings, _a: Assistant):  # noqa: ANN202
    from assistant import parcours

    return parcours.current(_a, _s)


def roadmaps(s: Settings, a: Assistant):  # noqa: ANN201
    """The parcours's roadmaps on the published snapshot, once per snapshot and per edit of the parcours."""
    edited = s.parcours_path.stat().st_mtime_ns if s.parcours_path.is_file() else 0
    return _roadmaps(_key(s), index_version(s), edited, s, a)


_LABEL_LINE = re.compile(r"\n*^(\*\*[^*\n]+\*\*)$\n*", re.MULTILINE)


def answer_body(answer: Answer) -> str:
    """The answer without its closing list of documents, which the source cards show with their pages;
    a label ("**En bref**") is a paragraph of its own (a single line break would run it into its text)."""
    from assistant.prompts import FURTHER

    return _LABEL_LINE.sub(r"\n\n\1\n\n", answer.text.split(f"\n\n{FURTHER}")[0]).strip()


def stream_answer(
    a: Assistant,
    question: str,
    mode: str,
    turns: list[dict],
    sources: list[str] | None,
    final: dict,
    follow_up: bool = True,
) -> Iterator[str]:
    """The chat's call: the conversation so far resolves follow-ups; text pieces are yielded as a
    backend streams them, and the checked Answer lands in ``final["answer"]``. ``follow_up=False``:
    the question stands on its own (a next question chosen under an answer is a heading, not a reply)."""
    history = [t["answer"].question or t["question"] for t in turns] if follow_up else []
    for piece in a.stream(question, mode=mode, history=history, sources=sources or None):
        if isinstance(piece, Answer):
            final["answer"] = piece
        else:
            yield piece


# --------------------------------------------------------------------------- ingestion from the app


def app_ingests(s: Settings) -> bool:
    """Whether this app process indexes the corpus. Not by default with a Chroma server: there, one
    ingestion machine writes and the app processes only read (see the README, « Déploiement »)."""
    return s.app_ingest == "yes" or (s.app_ingest == "auto" and not s.chroma_url)


@st.cache_resource
def _ingest_state(key: str) -> dict:
    return {"lock": threading.Lock(), "thread": None, "checked": False, "runs": 0}


def ingest_running(s: Settings) -> bool:
    t = _ingest_state(_key(s))["thread"]
    return t is not None and t.is_alive()


def start_ingest(s: Settings, title: str, rebuild: bool = False, startup: bool = False) -> bool:
    """Start an ingestion in a thread owned by the server process, not by a visitor's page run (a click
    or a closed tab stops a page run). False if one is already running (wait for it, then retry).
    Only the ``startup`` run holds visitors back; during the others, they query the current index."""
    state = _ingest_state(_key(s))
    with state["lock"]:
        if state["thread"] is not None and state["thread"].is_alive():
            return False
        state.update(title=title, progress=(0.0, "Préparation…"), estimate="", report=None, error=None, startup=startup)
        state["runs"] += 1
        state["thread"] = threading.Thread(target=_ingest_job, args=(s, rebuild, state), daemon=True)
        state["thread"].start()
        return True


def _ingest_job(s: Settings, rebuild: bool, state: dict) -> None:
    from ingest.pipeline import run_ingest
    from ingest.report import save_report

    def on_progress(stage: str, done: int, total: int, label: str) -> None:
        if stage == "Estimation":  # announced once, before a long run of embeddings
            state["estimate"] = label
            return
        frac = min(done / total if total else 1.0, 1.0)
        state["progress"] = (frac, f"{stage} : {done}/{total}" + (f" — {label}" if label else ""))

    key = _key(s)
    try:
        report = run_ingest(
            s,
            rebuild=rebuild,
            embedder_factory=lambda _: embedder(key, s),
            client=_chroma(key, s),
            progress=on_progress,
        )
        save_report(s, report)
        state["report"] = report
    except CapacitiesError as e:
        state["error"] = str(e)
    except Exception:  # logged for the maintainer; the visitor gets a French sentence
        logging.getLogger("capacities.app").exception("ingestion failed")
        state["error"] = "L'indexation a échoué de façon inattendue (détails dans le journal du serveur)."
    finally:
        _own_versions(key).add(index_version(s))


def wait_for_ingest(s: Settings):  # noqa: ANN201
    """Show the running ingestion's progress until it ends; returns (report, error message)."""
    state = _ingest_state(_key(s))
    thread = state["thread"]
    if thread is None:
        return None, None
    if thread.is_alive():
        st.write(f"**{state['title']}**")
        bar, note = st.progress(0.0, text="Préparation…"), st.empty()
        while thread.is_alive():
            frac, text = state["progress"]
            bar.progress(frac, text=text)
            if state["estimate"]:
                note.caption(state["estimate"])
            time.sleep(0.3)
        bar.progress(1.0, text="Terminé.")
    return state["report"], state["error"]


def ensure_index(s: Settings) -> None:
    """Once per server process: bring the index in line with the corpus, with a progress bar that
    every visitor sees. The first run builds it; later runs find nothing to do in a fraction of a second."""
    if not app_ingests(s):
        return
    state = _ingest_state(_key(s))
    with state["lock"]:
        first_check, state["checked"] = not state["checked"], True
    if first_check:
        from ingest.manifest import Manifest

        first = not Manifest.read(s.manifest_path).documents
        title = "Construction de l'index (première utilisation)" if first else "Mise à jour de l'index"
        start_ingest(s, title, startup=True)
    if not state.get("startup") or st.session_state.get("_ingest_seen") == state["runs"]:
        return  # seen already, or a maintainer's run: visitors keep using the current index meanwhile
    box = st.empty()
    with box.container():
        report, error = wait_for_ingest(s)
    box.empty()
    st.session_state["_ingest_seen"] = state["runs"]
    if error:
        st.error(error)
        state["checked"] = False  # try again at the next page run (e.g. once the disk has room)
    elif report is not None and not report.ok:
        st.warning(f"Certains documents n'ont pas pu être indexés :\n\n```\n{report.summary()}\n```")


@st.cache_resource(ttl=86_400)
def _purged(key: str, _s: Settings) -> int:
    """Feedback past its retention deleted, once a day per process (``capacities purge-feedback`` too)."""
    from assistant.feedback import feedback_store
    from assistant.gaps import gap_store

    return feedback_store(_s).purge(_s.feedback_retention_days) + gap_store(_s).purge(_s.feedback_retention_days)


def boot() -> tuple[Settings, Assistant]:
    """What a page that answers needs: the settings, an up-to-date index, the loaded assistant."""
    s = settings()
    _purged(_key(s), s)
    ensure_index(s)
    try:
        return s, assistant(s)
    except CapacitiesError as e:
        st.error(str(e))
        st.stop()
        raise  # st.stop() ends the run; this line is never reached


def titles(a: Assistant) -> dict[str, str]:
    """Document title by source, for filters and pickers."""
    out: dict[str, str] = {}
    for c in a.retriever.lexical.chunks:
        out.setdefault(c.source, c.title or c.source)
    return dict(sorted(out.items(), key=lambda kv: kv[1].lower()))


@st.cache_data(show_spinner=False, max_entries=64)
def _page_png(path: str, mtime: int, page: int, passage: str) -> tuple[bytes, bool]:
    import io

    image, found = render_page(Path(path), page, passage)
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return buf.getvalue(), found


def show_sources(answer: Answer, s: Settings, key: str, question: str = "") -> None:
    """One card per citation: the [n] of the text, the document, the page, the passage, the page itself,
    and "Signaler" (an error, outdated information, something missing) for the deliverable's authors."""
    if not answer.citations:
        return
    st.markdown("**Sources**")
    for n, p in enumerate(answer.citations, 1):
        path = s.corpus_dir / p.source
        is_pdf = path.suffix.lower() == ".pdf" and path.is_file()
        toggle_key = f"page-{key}-{n}"
        # kept open while its page is shown: a rerun (e.g. the toggle) redraws the card closed otherwise
        with st.expander(citation_label(n, p), expanded=bool(st.session_state.get(toggle_key))):
            st.caption(escape_markdown(f"{p.source} · section : {plain(p.section) or '—'}"))
            st.markdown(quote(p.text))
            # the page under its passage, as wide as the card: readable without the fullscreen button
            if is_pdf and st.toggle("Voir la page", key=toggle_key):
                _page_image(p, path, n, f"png-{toggle_key}")
            _flag_form(p, s, question or answer.question, f"flag-{key}-{n}")


def _flag_form(p: Passage, s: Settings, question: str, key: str) -> None:
    from assistant.gaps import KINDS, gap_store

    # a form: choosing and typing draw nothing again until the flag is sent
    with st.popover("Signaler", icon=":material/flag:"), st.form(key, clear_on_submit=True, border=False):
        kind = st.radio("Nature", list(KINDS), format_func=KINDS.get, key=f"{key}-kind", horizontal=True)
        comment = st.text_area("Précisez (facultatif)", key=f"{key}-comment", max_chars=2000)
        if st.form_submit_button("Envoyer le signalement"):
            gap_store(s).flag(p, question, kind, comment)
            st.toast("Merci : votre signalement est transmis aux responsables des livrables.")


def record_gap(a: Assistant, s: Settings, question: str, answer: Answer, reason: str) -> None:
    """A question without a good answer, kept for the maintainers (with the nearest documents and the
    best score; nothing about who asked)."""
    from assistant.gaps import gap_store

    try:
        passages = (
            a.retriever.search(answer.question or question, k=s.top_k) if reason == "abstention" else answer.citations
        )
        gap_store(s).record_gap(answer.question or question, answer, passages, reason)
    except Exception:  # noqa: BLE001 - the backlog must never cost the user an answer
        logging.getLogger("capacities.app").exception("gap not recorded")


def _page_image(p: Passage, path: Path, n: int, key: str) -> None:
    try:
        png, found = _page_png(str(path), path.stat().st_mtime_ns, p.page_start, p.text)
    except CapacitiesError as e:
        st.warning(str(e))
        return
    except Exception:  # a PDF that pdfium cannot draw: the passage above is still there
        logging.getLogger("capacities.app").exception("page rendering failed")
        st.warning("Impossible d'afficher cette page du PDF.")
        return
    title = plain(p.title)
    st.image(
        png,
        caption=f"{title}, page {p.page_start} (passage surligné)",
        width="stretch",
        alt=f"Page {p.page_start} de « {title} », où le passage [{n}] est surligné ; son texte est cité au-dessus.",
    )
    st.download_button(
        "Ouvrir la page en grand (image PNG)",
        data=png,
        file_name=f"{Path(p.source).stem}-page-{p.page_start}.png",
        mime="image/png",
        key=key,
        icon=":material/zoom_in:",
    )
    if not found:
        st.caption("Le passage n'a pas pu être surligné sur l'image (texte du PDF différent du texte nettoyé).")
