"""What every page of the app shares: settings, the model and index loaded once, the first-run
index build with a progress bar, and the citation cards."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import streamlit as st

from assistant.answer import Assistant
from assistant.errors import CapacitiesError
from assistant.models import Embedder, load_embedder
from assistant.retrieve import Retriever
from assistant.settings import Settings
from assistant.types import Answer, Passage
from assistant.web import citation_label, quote, render_page

MODES = {"agent": "Agent : étapes à suivre", "elu": "Élu : résumé en langage clair"}


def settings() -> Settings:
    """Read on every run (cheap), so the environment decides; resources below are cached per settings."""
    return Settings.from_env()


def _key(s: Settings) -> str:
    return repr(s)


@st.cache_resource(show_spinner="Chargement du modèle d'embeddings…")
def embedder(key: str, _s: Settings) -> Embedder:
    return load_embedder(_s)


def index_version(s: Settings) -> str:
    """Changes when an ingestion publishes a new snapshot (here or in another process or machine)."""
    from assistant.store import published_stamp

    return published_stamp(s) or ""


@st.cache_resource
def _own_versions(key: str) -> set[str]:
    """Snapshots this process published itself (its embedded Chroma client already sees them)."""
    return set()


@st.cache_resource(show_spinner="Chargement de l'index…", max_entries=2)
def _assistant(key: str, version: str, _s: Settings) -> Assistant:
    if version not in _own_versions(key) and not _s.chroma_url:
        # written by another process (e.g. `capacities ingest`): an embedded client keeps the vector
        # index it loaded, so start from fresh clients
        from assistant.store import reset_chroma_cache

        reset_chroma_cache()
    return Assistant.load(_s, Retriever(_s, embedder=embedder(key, _s)))


def assistant(s: Settings) -> Assistant:
    return _assistant(_key(s), index_version(s), s)


def stream_answer(
    a: Assistant, question: str, mode: str, turns: list[dict], sources: list[str] | None, final: dict
) -> Iterator[str]:
    """The chat's call: the conversation so far resolves follow-ups; text pieces are yielded as a
    backend streams them, and the checked Answer lands in ``final["answer"]``."""
    history = [t["answer"].question or t["question"] for t in turns]
    for piece in a.stream(question, mode=mode, history=history, sources=sources or None):
        if isinstance(piece, Answer):
            final["answer"] = piece
        else:
            yield piece


@st.cache_resource
def _index_state(key: str) -> dict:
    return {"lock": threading.Lock(), "checked": False}


def ensure_index(s: Settings) -> None:
    """Once per server process: bring the index in line with the corpus, with a progress bar.
    The first run builds it; later runs find nothing to do in a fraction of a second. Visitors who
    arrive meanwhile wait, watching the same progress."""
    state = _index_state(_key(s))
    if state["checked"]:
        return
    box = st.empty()
    lock: threading.Lock = state["lock"]
    if not lock.acquire(blocking=False):
        with box.container():
            st.info("L'index des livrables est en cours de mise à jour : la page s'affichera dès qu'elle sera finie.")
            bar = st.progress(0.0)
        while not lock.acquire(timeout=1.0):
            frac, text = state.get("progress", (0.0, "Préparation…"))
            bar.progress(frac, text=text)
    try:
        if not state["checked"]:
            from ingest.pipeline import read_manifest

            first = not read_manifest(s.manifest_path)["documents"]
            title = "Construction de l'index (première utilisation)" if first else "Mise à jour de l'index"
            with box.container():
                report = run_ingest_with_progress(s, title, shared=state)
            state["checked"] = True
            if report is not None and not report.ok:
                st.session_state["ingest_warning"] = report.summary()
    finally:
        lock.release()
    box.empty()


def run_ingest_with_progress(s: Settings, title: str, rebuild: bool = False, shared: dict | None = None):  # noqa: ANN201
    """Run the ingestion with a Streamlit progress bar; returns the report (None if it could not start).
    ``shared`` receives the progress too, for other visitors to display."""
    from ingest.pipeline import run_ingest, save_report

    st.write(f"**{title}**")
    bar = st.progress(0.0, text="Préparation…")

    def on_progress(stage: str, done: int, total: int, label: str) -> None:
        frac = min(done / total if total else 1.0, 1.0)
        text = f"{stage} : {done}/{total}" + (f" — {label}" if label else "")
        bar.progress(frac, text=text)
        if shared is not None:
            shared["progress"] = (frac, text)

    try:
        report = run_ingest(s, rebuild=rebuild, embedder_factory=lambda _: embedder(_key(s), s), progress=on_progress)
    except CapacitiesError as e:
        bar.empty()
        st.error(str(e))
        return None
    save_report(s, report)
    _own_versions(_key(s)).add(index_version(s))
    bar.progress(1.0, text="Terminé.")
    return report


def boot() -> tuple[Settings, Assistant]:
    """What a page that answers needs: the settings, an up-to-date index, the loaded assistant."""
    s = settings()
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


def show_sources(answer: Answer, s: Settings, key: str) -> None:
    """One card per citation: the [n] of the text, the document, the page, the passage, and the page itself."""
    if not answer.citations:
        return
    st.markdown("**Sources**")
    for n, p in enumerate(answer.citations, 1):
        path = s.corpus_dir / p.source
        is_pdf = path.suffix.lower() == ".pdf" and path.is_file()
        toggle_key = f"page-{key}-{n}"
        # kept open while its page is shown: a rerun (e.g. the toggle) redraws the card closed otherwise
        with st.expander(citation_label(n, p), expanded=bool(st.session_state.get(toggle_key))):
            text_col, page_col = st.columns([3, 2]) if is_pdf else (st.container(), None)
            with text_col:
                st.caption(f"{p.source} · section : {p.section or '—'}")
                st.markdown(quote(p.text))
                show = is_pdf and st.toggle("Voir la page", key=toggle_key)
            if show and page_col is not None:
                with page_col:
                    _page_image(p, path)


def _page_image(p: Passage, path: Path) -> None:
    try:
        png, found = _page_png(str(path), path.stat().st_mtime_ns, p.page_start, p.text)
    except CapacitiesError as e:
        st.warning(str(e))
        return
    st.image(png, caption=f"{p.title}, page {p.page_start} (passage surligné)", width="stretch")
    if not found:
        st.caption("Le passage n'a pas pu être surligné sur l'image (texte du PDF différent du texte nettoyé).")
