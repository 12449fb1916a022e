"""Maintainers: documents, uploads, deletions, re-ingestion and user feedback, behind a password."""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from app_pages import common
from assistant.auth import Throttle, admin_secret, password_matches
from assistant.errors import CapacitiesError
from assistant.feedback import feedback_store
from assistant.files import read_json
from assistant.hostile import tampered
from assistant.render import escape_markdown
from ingest.corpus import MAX_UPLOAD_MB, check_upload, delete_document, save_upload
from ingest.manifest import Manifest

s = common.settings()
st.title("Administration")


@st.cache_resource
def _throttle() -> Throttle:
    """Shared by every visitor of this server; counts failures per client address."""
    return Throttle()


def _client() -> str:
    """The visitor's address (a reverse proxy's, behind one), else the browser session."""
    return str(
        getattr(st.context, "ip_address", None) or st.context.headers.get("X-Forwarded-For", "") or id(st.session_state)
    )


secret = admin_secret(st.secrets)
if not secret:
    st.warning(
        "La page d'administration est verrouillée : aucun mot de passe n'est défini.\n\n"
        "Définissez-en un avant de démarrer l'application, au choix :\n"
        "- la variable d'environnement `CAPACITIES_ADMIN_PASSWORD` ;\n"
        '- ou `admin_password = "…"` dans `.streamlit/secrets.toml` (fichier à ne pas versionner).'
    )
    st.stop()

if not st.session_state.get("admin"):
    with st.form("login"):
        given = st.text_input("Mot de passe administrateur", type="password")
        submitted = st.form_submit_button("Se connecter")
    if submitted:
        throttle, client = _throttle(), _client()
        time.sleep(throttle.delay(client))  # slowed retries: 0 s, then 1, 2, 4… seconds after this client's failures
        if password_matches(given, secret):  # (statements, not an expression: Streamlit would show its "None")
            throttle.succeeded(client)
            st.session_state["admin"] = True
            st.rerun()
        throttle.failed(client)
        st.error("Mot de passe incorrect.")
    st.stop()

if st.sidebar.button("Se déconnecter"):
    st.session_state["admin"] = False
    st.rerun()

outcome = st.container()  # what the last action did, above the tabs whichever is open
tab_docs, tab_add, tab_feedback, tab_gaps, tab_parcours = st.tabs(
    ["Documents", "Ajouter ou remplacer", "Avis des utilisateurs", "Lacunes et signalements", "Couverture du parcours"]
)


def _reingest(title: str, rebuild: bool = False, done: str = "", forget: tuple[str, ...] = ()) -> None:
    """Run an ingestion (in the server's background thread: leaving the page does not stop it), then draw
    the page again on the new index: its outcome is said at the top, the widgets in ``forget`` reset."""
    while not common.start_ingest(s, title, rebuild=rebuild):
        st.info("Une indexation est déjà en cours : elle se termine d'abord.")
        common.wait_for_ingest(s)
    report, error = common.wait_for_ingest(s)
    st.session_state["admin_outcome"] = (done, report, error)
    for key in forget:
        st.session_state.pop(key, None)
    st.rerun()


def _show_outcome() -> None:
    """What the last action of this page did (it drew the page again since)."""
    done, report, error = st.session_state.pop("admin_outcome", ("", None, None))
    if done:
        st.info(done)
    if error:
        st.error(error)
    elif report is not None:
        (st.success if report.ok else st.warning)("Ingestion terminée." if report.ok else "Ingestion avec erreurs.")
        st.code(report.summary(), language=None)


# --------------------------------------------------------------------------- documents
with outcome:
    _show_outcome()
with tab_docs:
    manifest = Manifest.read(s.manifest_path)
    last = read_json(s.report_path, {})
    rows = [
        {
            "document": src,
            "titre": d.title,
            "pages": d.pages,
            "passages": d.chunks,
            "indexé le": (d.ingested_at or "—")[:16].replace("T", " "),
            "avertissements": " · ".join(d.warnings),
        }
        for src, d in sorted(manifest.documents.items())
    ]
    st.metric("Documents indexés", len(rows))
    # a deliverable that speaks to an AI may have been tampered with: said first, page by page
    for src, d in sorted(manifest.documents.items()):
        for w in d.warnings:
            if tampered(w):
                st.warning(escape_markdown(f"{src} : {w}"), icon=":material/gpp_maybe:")
    narrow = st.column_config.Column(width="small")
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={
            "pages": narrow,
            "passages": narrow,
            "indexé le": narrow,
            "titre": st.column_config.Column(width="medium"),
        },
        column_order=["document", "pages", "passages", "indexé le", "avertissements", "titre"],
    )
    for src, msg in (last.get("failed") or {}).items():
        st.error(escape_markdown(f"Dernière ingestion — {src} : {msg}"))
    if manifest.dirty:
        st.warning("La dernière ingestion n'est pas allée au bout : relancez-la.")

    can_ingest = common.app_ingests(s)
    if not can_ingest:
        st.info(
            "Cette instance lit un serveur Chroma partagé : l'indexation, l'ajout et le retrait de documents "
            "se font sur la machine d'ingestion (`capacities ingest`), ou ici avec `CAPACITIES_APP_INGEST=yes` "
            "si cette instance est la seule à écrire."
        )
    else:
        st.header("Réindexer", anchor="reindexer")
        st.caption("Incrémental : seuls les documents nouveaux, modifiés ou retirés sont traités.")
        col1, col2 = st.columns(2)
        if col1.button("Réindexer le corpus", icon=":material/sync:"):
            _reingest("Réindexation")
        rebuild = col2.checkbox("Tout reconstruire (recalcule tous les passages, long)", key="rebuild")
        if rebuild and col2.button("Reconstruire l'index"):
            _reingest("Reconstruction complète", rebuild=True)

        st.header("Retirer un document", anchor="retirer")
        if rows:
            victim = st.selectbox("Document à retirer", [r["document"] for r in rows], key="delete_doc")
            sure = st.checkbox("Je confirme : retirer ce document du corpus et des deux index", key="delete_ok")
            if st.button("Retirer", disabled=not sure, type="primary"):
                try:
                    kept = delete_document(victim, s)
                except CapacitiesError as e:
                    st.error(str(e))
                else:
                    kept_in = kept.relative_to(s.data_dir.parent)
                    done = f"{victim} retiré ; fichier déplacé dans {kept_in} (récupérable)."
                    _reingest(f"Retrait de {victim}", done=done, forget=("delete_doc", "delete_ok"))

# --------------------------------------------------------------------------- upload
with tab_add:
    if not can_ingest:
        st.info("Ajout de documents désactivé sur cette instance (voir l'onglet « Documents »).")
    else:
        st.caption(f"PDF, Markdown ou texte, {MAX_UPLOAD_MB} Mo au plus. Le nom du fichier est nettoyé.")
        # any type is taken, then checked here: a wrong one gets a French message (Streamlit's own refusal is
        # an English tooltip on a red chip)
        uploaded = st.file_uploader("Livrable", key="upload")
        replace = st.checkbox("Remplacer le document existant s'il porte le même nom", key="replace")
        if uploaded is not None and st.button("Ajouter au corpus et indexer", type="primary"):
            data = uploaded.getvalue()
            try:
                upload = check_upload(uploaded.name, data, s.corpus_dir, replace=replace)
                kept = save_upload(upload, data, s)
            except CapacitiesError as e:
                st.error(str(e))
            else:
                verb = "remplacé" if upload.replaces else "ajouté"
                done = f"{upload.source} {verb}." + (f" Ancienne version gardée dans {kept.name}." if kept else "")
                _reingest(f"Indexation de {upload.source}", done=done, forget=("upload", "replace"))

# --------------------------------------------------------------------------- feedback
with tab_feedback:
    store = feedback_store(s)
    counts = store.counts()
    c1, c2 = st.columns(2)
    c1.metric("Avis positifs", counts["up"])
    c2.metric("Avis négatifs", counts["down"])
    bad = store.latest(rating=0, limit=30)
    if not bad:
        st.info("Aucun avis négatif pour l'instant.")
    for fb in bad:
        pages = ", ".join(f"{p['source']} p. {p['page']}" for p in fb["pages"]) or "aucune (abstention)"
        with st.expander(escape_markdown(f"{fb['created']} — {fb['question'][:90]}")):
            st.markdown(f"**Question** : {escape_markdown(fb['question'])}")
            st.markdown("**Réponse**")
            st.text(fb["answer"])
            st.markdown(f"**Pages citées** : {pages}")
            if fb["comment"]:
                st.markdown(f"**Commentaire** : {escape_markdown(fb['comment'])}")

# --------------------------------------------------------------------------- parcours coverage
with tab_parcours:
    from assistant import parcours

    roadmaps = parcours.Roadmaps.read(s.roadmaps_path)
    if roadmaps is None:
        st.info("Le parcours n'a pas encore été calculé : il l'est à l'ingestion, ou à la première visite de sa page.")
    else:
        st.caption(
            "Par étape : les documents et pages qui la nourrissent, et les questions guides mal couvertes "
            f"(sans réponse, ou moins de {parcours.MIN_STEPS} étapes citées) : les livrables à écrire ensuite."
        )
        rows = parcours.coverage(roadmaps)
        st.dataframe(
            [
                {
                    "étape": r["title"],
                    "documents": r["documents"],
                    "pages": r["pages"],
                    "questions mal couvertes": len(r["poor"]),
                }
                for r in rows
            ],
            hide_index=True,
            width="stretch",
        )
        for r in rows:
            for poor in r["poor"]:
                st.warning(escape_markdown(f"{r['title']} — {poor['question']} ({poor['mode']} : {poor['why']})"))

# --------------------------------------------------------------------------- gaps and flags
with tab_gaps:
    from assistant import gaps as gaps_mod

    gstore = gaps_mod.gap_store(s)
    all_gaps, flags = gstore.gaps(), gstore.flags()
    st.caption(
        "Les questions restées sans réponse ou mal notées, groupées par thème, et les signalements des lecteurs : "
        "le programme de travail des auteurs. Aucune donnée personnelle n'est gardée."
    )

    def _triage(table: str, row: dict, key: str) -> None:
        c1, c2, c3 = st.columns([2, 4, 1], vertical_alignment="bottom")
        status = c1.selectbox(
            "Statut",
            list(gaps_mod.STATUSES),
            index=list(gaps_mod.STATUSES).index(row["status"]),
            format_func=gaps_mod.STATUSES.get,
            key=f"{key}-status",
        )
        note = c2.text_input("Note", value=row["note"], key=f"{key}-note")
        if c3.button("Enregistrer", key=f"{key}-save"):
            gstore.triage(table, row["id"], status, note)
            st.toast("Statut enregistré.")

    st.header("Questions sans bonne réponse, par thème")
    if not all_gaps:
        st.info("Aucune question sans réponse enregistrée pour l'instant.")
    else:
        groups = gaps_mod.themes(all_gaps, lambda qs: common.question_vectors(s, qs))
        st.dataframe(
            [
                {
                    "thème": g.label,
                    "questions": g.size,
                    "couvertes depuis": sum(1 for x in g.gaps if x["covered_by"]),
                    "4 dernières semaines": " · ".join(str(n) for n in g.trend()),
                }
                for g in groups
            ],
            hide_index=True,
            width="stretch",
        )
        for gi, g in enumerate(groups):
            with st.expander(escape_markdown(f"{g.label} — {g.size} question(s)")):
                for row in g.gaps:
                    covered = f" — couverte par {row['covered_by']}" if row["covered_by"] else ""
                    st.markdown(
                        escape_markdown(
                            f"« {row['question']} » ({gaps_mod.GAP_REASONS[row['reason']]}, {row['created'][:10]}"
                        )
                        + escape_markdown(f", plus proches : {', '.join(row['nearest']) or '—'}){covered}")
                    )
                    _triage("gaps", row, f"gap-{gi}-{row['id']}")

    st.header("Signalements, par document et page")
    if not flags:
        st.info("Aucun signalement pour l'instant.")
    for row in flags:
        st.markdown(
            escape_markdown(
                f"{row['source']}, p. {row['page']} — {gaps_mod.KINDS[row['kind']]} : {row['comment'] or '—'}"
            )
            + escape_markdown(f" (question : « {row['question']} », {row['created'][:10]})")
        )
        _triage("flags", row, f"flag-{row['id']}")

    st.header("Exporter")
    st.download_button(
        "Tout exporter (CSV)",
        data=gaps_mod.to_csv(all_gaps, flags),
        file_name="lacunes-signalements.csv",
        mime="text/csv",
    )
    titles = {src: d.title for src, d in Manifest.read(s.manifest_path).documents.items()}
    if titles:
        doc = st.selectbox("Retours pour un livrable", list(titles), format_func=lambda x: titles[x], key="gaps_doc")
        st.download_button(
            "Retours pour la prochaine version (Markdown)",
            data=gaps_mod.report_for(doc, titles[doc], all_gaps, flags),
            file_name=f"retours-{Path(doc).stem}.md",
            mime="text/markdown",
        )
