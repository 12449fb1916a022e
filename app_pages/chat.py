"""The chat: questions in, cited answers out, sources you can open, feedback, export."""

from __future__ import annotations

import logging
import uuid

import streamlit as st

from app_pages import common
from assistant.errors import CapacitiesError
from assistant.feedback import feedback_store
from assistant.prompts import EXAMPLES, FOLLOW_UPS, NOT_COVERED, NOT_COVERED_IN, NOT_GIVEN, SEARCH_ALL
from assistant.render import escape_markdown, export_markdown, safe_markdown
from assistant.screening import characters, clean_question
from assistant.types import Answer

s, assistant = common.boot()

turns: list[dict] = st.session_state.setdefault("turns", [])
# refusals that a maintainer sees as gaps: nothing on the subject, or no figure where one was asked
NOT_COVERED_STARTS = (NOT_COVERED, NOT_COVERED_IN.split("(")[0], NOT_GIVEN.split("{")[0])

# --------------------------------------------------------------------------- sidebar
docs = common.titles(assistant)
# mode and filter survive page switches (Streamlit forgets widgets that were not drawn); a filter
# never names a document that has since been removed
st.session_state.setdefault("mode", st.session_state.get("_mode", "agent"))
st.session_state["doc_filter"] = [
    d for d in st.session_state.get("doc_filter", st.session_state.get("_doc_filter", [])) if d in docs
]

with st.sidebar:
    chosen = st.multiselect(
        "Limiter aux documents",
        list(docs),
        format_func=docs.get,
        key="doc_filter",
        placeholder="Tous les documents",
        help="Laisser vide pour chercher dans tout le corpus.",
    )
    if st.button("Nouvelle conversation", icon=":material/add_comment:", width="stretch"):
        st.session_state["turns"] = turns = []
    st.session_state["_doc_filter"] = chosen
    export_slot = st.empty()  # filled at the end of the run, so it includes the answer just given

st.title("Assistant CAPACities")
st.caption(
    "Posez une question sur les livrables CAPACities et les guides associés : chaque réponse cite le document "
    "et la page d'où elle vient. Mode « Agent » : les étapes à suivre ; mode « Élu » : l'essentiel en langage clair."
)
# in the page, not the sidebar: on a phone the sidebar hides behind a button
mode = st.radio("Mode de réponse", list(common.MODES), format_func=common.MODES.get, key="mode", horizontal=True)
st.session_state["_mode"] = mode


def _save_feedback(turn: dict) -> None:
    rating = st.session_state.get(f"fb-{turn['id']}")
    if rating is None:
        return
    store = feedback_store(s)
    if turn.get("feedback_id"):
        store.update(turn["feedback_id"], rating=rating)
    else:
        turn["feedback_id"] = store.add(turn["question"], turn["answer"], rating)
    if rating == 0 and not turn.get("gap_recorded"):  # a badly rated answer joins the maintainers' backlog
        common.record_gap(assistant, s, turn["question"], turn["answer"], "pouce_bas")
        turn["gap_recorded"] = True


def show_answer(turn: dict) -> None:
    answer: Answer = turn["answer"]
    if answer.abstained:
        st.warning(safe_markdown(answer.text), icon=":material/search_off:")
        if turn.get("sources") and st.button(SEARCH_ALL, key=f"all-{turn['id']}", icon=":material/travel_explore:"):
            st.session_state["pending"] = {"question": turn["question"], "sources": [], "follow_up": False}
            st.rerun()
    else:
        st.markdown(safe_markdown(common.answer_body(answer)))  # the source cards below list the documents
    for w in answer.warnings:
        st.caption(f"⚠ {w}")
    common.show_sources(answer, s, turn["id"], turn["question"])
    if answer.suggestions:
        st.markdown(f"**{FOLLOW_UPS}**")
        for k, sug in enumerate(answer.suggestions):
            # the label is a document's heading: shown as text, never as Markdown (links, images)
            if st.button(escape_markdown(sug.label), key=f"next-{turn['id']}-{k}", icon=":material/arrow_forward:"):
                st.session_state["pending"] = {"question": sug.question, "sources": [sug.source], "follow_up": False}
                st.rerun()
    left, right = st.columns([1, 4], vertical_alignment="center")
    with left:
        st.feedback("thumbs", key=f"fb-{turn['id']}", on_change=_save_feedback, args=(turn,))
    if turn.get("feedback_id"):
        with right, st.popover("Ajouter un commentaire"):
            comment = st.text_area("Qu'est-ce qui manquait ou était faux ?", key=f"fbc-{turn['id']}", max_chars=2000)
            if st.button("Envoyer", key=f"fbs-{turn['id']}") and comment.strip():
                feedback_store(s).update(turn["feedback_id"], comment=comment)
                st.toast("Merci, votre commentaire est enregistré.")


for turn in turns:
    with st.chat_message("user"):
        st.markdown(escape_markdown(turn["question"]))  # as typed (or as the heading chosen said it)
    with st.chat_message("assistant"):
        show_answer(turn)

question = st.chat_input("Votre question (ex. : comment lancer un projet de données dans ma commune ?)")
sources, follow_up = chosen, True
pending = st.session_state.pop("pending", None)
if pending and not question:  # chosen under an answer (a next question, everywhere) or corrected in the box
    question, sources, follow_up = pending["question"], pending["sources"], pending["follow_up"]


def _send_corrected() -> None:
    st.session_state["pending"] = {"question": st.session_state["shorten_box"], "sources": chosen, "follow_up": True}
    st.session_state.pop("to_shorten", None)


refused = st.session_state.get("to_shorten")
if refused is not None and not question:  # a refused question stays, to be corrected rather than typed again
    st.error(refused["error"])
    edited = st.text_area("Votre question, à corriger", value=refused["question"], key="shorten_box", height=150)
    st.caption(f"{characters(len(clean_question(edited)))} ; {characters(s.max_question_chars)} au plus.")
    st.button("Envoyer la question", key="shorten_send", icon=":material/send:", on_click=_send_corrected)
if question:
    st.session_state.pop("to_shorten", None)
examples = st.empty()  # gone once a question is asked, a clicked example included
if not turns and not question:
    with examples.container():
        st.markdown("**Exemples de questions :**")
        for i, example in enumerate(EXAMPLES):
            if st.button(example, key=f"example-{i}"):
                question = example
if question:
    examples.empty()

if question:
    with st.chat_message("user"):
        st.markdown(safe_markdown(question))
    with st.chat_message("assistant"):
        final: dict[str, Answer] = {}
        pieces = common.stream_answer(assistant, question, mode, turns, sources, final, follow_up)
        draft = st.empty()
        try:
            with st.spinner("Recherche dans les livrables…"):
                shown = ""
                for piece in pieces:  # a streaming backend's draft, sanitised like the final answer
                    shown += piece
                    draft.markdown(safe_markdown(shown) + " ▌")
        except CapacitiesError as e:
            draft.empty()
            st.error(str(e))
            if question.strip():
                st.session_state["to_shorten"] = {"question": question, "error": str(e)}
                st.session_state.pop("shorten_box", None)  # the box shows this question, not an older one
                st.rerun()
        except Exception:  # a bug or a lost server must not end the conversation with a traceback
            logging.getLogger("capacities.app").exception("question failed")
            draft.empty()
            st.error("Une erreur inattendue a empêché la réponse. Réessayez ; si elle persiste, prévenez l'équipe.")
        else:
            draft.empty()  # the streamed draft is replaced by the checked answer
            turn = {"id": uuid.uuid4().hex[:10], "question": question, "answer": final["answer"], "sources": sources}
            turns.append(turn)
            if turn["answer"].text.startswith(NOT_COVERED_STARTS):  # not covered (a refused order is no gap)
                common.record_gap(assistant, s, question, turn["answer"], "abstention")
            show_answer(turn)

with export_slot:
    st.download_button(
        "Exporter la conversation (Markdown)",
        data=export_markdown(turns) if turns else "",
        file_name="conversation-capacities.md",
        mime="text/markdown",
        disabled=not turns,
        width="stretch",
    )
