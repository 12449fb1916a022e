"""« Résumé pour élus » : pick a deliverable, get its key points in plain words, each with its page."""

from __future__ import annotations

import streamlit as st

from app_pages import common
from assistant.errors import CapacitiesError
from assistant.render import safe_markdown
from assistant.summary import summarize

s, assistant = common.boot()

st.title("Résumé pour élus")  # the navigation's name for this page
st.caption(
    "Choisissez un document : l'assistant en donne les points clés, chacun avec sa page. La version "
    "« élus » garde les phrases courtes, les dit en mots courants et développe les sigles ; la version "
    "« agents » cite les phrases mot pour mot."
)
docs = common.titles(assistant)
if not docs:
    st.info("Aucun document n'est indexé pour l'instant.")
    st.stop()
source = st.selectbox("Document", list(docs), format_func=lambda src: f"{docs[src]} ({src})", key="summary_doc")
plain = st.toggle("Version pour élus (langage clair)", value=True, key="summary_elu")
mode = "elu" if plain else "agent"
st.caption(
    "Version affichée : élus (langage clair)." if plain else "Version affichée : agents (citations mot pour mot)."
)
shown = st.session_state.get("summary")
# the toggle switched under a summary of this document: the summary follows it at once
switched = shown is not None and shown.question == source and shown.mode != mode
if st.button("Résumer", type="primary") or switched:
    try:
        st.session_state["summary"] = summarize(assistant.retriever, source, mode=mode, glossary=assistant.glossary)
    except CapacitiesError as e:
        st.error(str(e))

answer = st.session_state.get("summary")
if answer is not None and answer.question == source and answer.mode == mode:
    st.markdown(safe_markdown(common.answer_body(answer)))  # the cards below give each point's page
    for w in answer.warnings:
        st.caption(f"⚠ {w}")
    common.show_sources(answer, s, f"summary-{source}")
