"""« Parcours projet » : say where the project stands and who you are; get the stage's roadmap, each
step cited, to tick, annotate and take to the next meeting."""

from __future__ import annotations

import streamlit as st

from app_pages import common
from assistant import parcours
from assistant.errors import CapacitiesError
from assistant.render import escape_markdown, safe_markdown

s, assistant = common.boot()

st.title("Parcours projet")
st.caption(
    "Les livrables CAPACities s'utilisent « à la carte », selon l'avancement du projet : choisissez l'étape où "
    "vous en êtes ; l'assistant répond aux questions qui la guident, chaque étape citée avec sa page."
)


try:
    roadmaps, warning = common.roadmaps(s, assistant)
except CapacitiesError as e:
    st.error(str(e))
    st.stop()
if warning:
    st.warning(warning)
if roadmaps is None:
    st.info(f"Aucun parcours n'est défini : ajoutez le fichier {s.parcours_path.name} au dossier du corpus.")
    st.stop()

stages = {st_.id: st_ for st_ in roadmaps.parcours.stages}
profiles = {p.id: p for p in roadmaps.parcours.profiles}
left, middle, right = st.columns([2, 2, 2])
with left:
    stage_id = st.selectbox(
        "Où en est votre projet ?", list(stages), format_func=lambda i: stages[i].title, key="parcours_stage"
    )
with middle:
    role = st.radio("Vous êtes", list(parcours.ROLES), format_func=parcours.ROLES.get, key="parcours_role")
with right:
    profile_id = st.selectbox(
        "Votre territoire (facultatif)",
        ["", *profiles],
        format_func=lambda i: profiles[i].label if i else "Non précisé",
        key="parcours_profile",
    )
stage, profile = stages[stage_id], profiles.get(profile_id)
st.markdown(f"**{escape_markdown(stage.title)}** — {escape_markdown(stage.when)}")
if profile is not None and stage.id in profile.notes:
    st.info(escape_markdown(profile.notes[stage.id]), icon=":material/location_city:")

entries = roadmaps.for_stage(stage.id, role)
done: set[tuple[int, int]] = set()
notes: dict[int, str] = {}
for qi, entry in enumerate(entries):
    st.header(f"{qi + 1}. {entry.question}")
    if entry.answer.abstained:
        st.warning(safe_markdown(entry.answer.text), icon=":material/search_off:")
        continue
    for si, step in enumerate(entry.cited_steps):
        marks = "".join(f" [{n}]" for n in step.citations)
        key = f"done-{stage.id}-{role}-{qi}-{si}"
        if st.checkbox(escape_markdown(step.text) + marks, key=key):
            done.add((qi, si))
    note = st.text_input("Note", key=f"note-{stage.id}-{role}-{qi}", placeholder="Ce qui est fait, qui s'en charge…")
    if note.strip():
        notes[qi] = note
    common.show_sources(entry.answer, s, f"parcours-{stage.id}-{role}-{qi}", entry.question)

sheet = parcours.Sheet(stage, role, entries, profile, done, notes)
c1, c2 = st.columns(2)
c1.download_button(
    "Exporter la feuille de route (Word)",
    data=parcours.to_docx(sheet),
    file_name=f"parcours-{stage.id}.docx",
    mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    icon=":material/description:",
)
c2.download_button(
    "Exporter la feuille de route (Markdown)",
    data=parcours.to_markdown(sheet),
    file_name=f"parcours-{stage.id}.md",
    mime="text/markdown",
    icon=":material/download:",
)

following = roadmaps.parcours.next_stage(stage.id)
if following is not None:
    st.header("Et ensuite ?")
    st.markdown(f"**{escape_markdown(following.title)}** — {escape_markdown(following.when)}")

    def _go() -> None:
        st.session_state["parcours_stage"] = following.id

    st.button(f"Passer à l'étape « {following.title} »", on_click=_go, icon=":material/arrow_forward:")

st.header("Une autre question sur cette étape")
question = st.text_input("Votre question", key=f"free-{stage.id}", placeholder="Posée d'abord aux documents de l'étape")
if question.strip():
    scope = roadmaps.stages_documents(stage.id)
    try:
        answer = assistant.ask(question, mode=parcours.MODE[role], sources=scope or None)
        if answer.abstained and scope:  # the stage's documents are silent: the whole corpus
            answer = assistant.ask(question, mode=parcours.MODE[role])
    except CapacitiesError as e:
        st.error(str(e))
    else:
        if answer.abstained:
            st.warning(safe_markdown(answer.text), icon=":material/search_off:")
        else:
            st.markdown(safe_markdown(common.answer_body(answer)))
            common.show_sources(answer, s, f"parcours-free-{stage.id}")
