"""CAPACities assistant: the Streamlit app (chat, summaries for elected officials, admin page).

    streamlit run app.py        # or ./scripts/start.sh, which installs everything first

Settings come from CAPACITIES_* environment variables (see `capacities settings`).
"""

from __future__ import annotations

import os

import streamlit as st

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # every model is read from disk, never from a hub
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

st.set_page_config(page_title="Assistant CAPACities", page_icon=":material/account_balance:", layout="wide")

pages = [
    st.Page("app_pages/chat.py", title="Poser une question", icon=":material/forum:", default=True),
    st.Page("app_pages/summary.py", title="Résumé pour élus", icon=":material/summarize:", url_path="resume"),
    st.Page("app_pages/admin.py", title="Administration", icon=":material/lock:", url_path="admin"),
]
st.navigation(pages).run()
