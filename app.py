"""CAPACities assistant: the Streamlit app (chat, summaries for elected officials, admin page).

    streamlit run app.py        # or ./scripts/start.sh, which installs everything first

Settings come from CAPACITIES_* environment variables (see `capacities settings`).
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from app_pages import interface

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # every model is read from disk, never from a hub
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# a local icon: a Material icon as favicon is fetched from fonts.gstatic.com (offline, and a request out)
ICON = str(Path(__file__).parent / "assets" / "favicon.png")
st.set_page_config(page_title="Assistant CAPACities", page_icon=ICON, layout="wide")
interface.install()  # lang="fr", Streamlit's own words in French, contrast, focus (RGAA)

pages = [
    st.Page("app_pages/chat.py", title="Poser une question", icon=":material/forum:", default=True),
    st.Page("app_pages/parcours.py", title="Parcours projet", icon=":material/route:", url_path="parcours"),
    st.Page("app_pages/summary.py", title="Résumé pour élus", icon=":material/summarize:", url_path="resume"),
    st.Page("app_pages/admin.py", title="Administration", icon=":material/lock:", url_path="admin"),
    st.Page(
        "app_pages/accessibility.py", title="Accessibilité", icon=":material/accessibility:", url_path="accessibilite"
    ),
    st.Page("app_pages/privacy.py", title="Données personnelles", icon=":material/shield:", url_path="donnees"),
]
st.navigation(pages).run()
