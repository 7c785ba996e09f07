"""The practice admin's review app: `bridgework review` serves it on 127.0.0.1."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run ui/app.py` puts ui/ on sys.path, not the project root.
_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from ui import state  # noqa: E402

VIEWS = Path(__file__).parent / "views"

st.set_page_config(page_title="bridgework", page_icon=":material/dentistry:", layout="wide")

PAGES = [
    st.Page(str(VIEWS / "connect.py"), title="Connect", icon=":material/cable:", default=True),
    st.Page(str(VIEWS / "review.py"), title="Review the map", icon=":material/fact_check:"),
    st.Page(str(VIEWS / "plan.py"), title="Schema plan", icon=":material/schema:"),
    st.Page(str(VIEWS / "check.py"), title="Data check", icon=":material/rule:"),
    st.Page(str(VIEWS / "sample.py"), title="Sample & diff", icon=":material/difference:"),
    st.Page(str(VIEWS / "run.py"), title="Run", icon=":material/play_circle:"),
    st.Page(str(VIEWS / "reconcile.py"), title="Reconcile & rollback", icon=":material/balance:"),
    st.Page(str(VIEWS / "chat.py"), title="Ask", icon=":material/chat:"),
]

ws = state.workspace()
with st.sidebar:
    st.markdown(f"**Workspace** `{ws.root.name}`  \n{ws.settings.source.kind} → {ws.settings.destination.kind}")
    st.text_input("Your name (recorded with every decision)", value=state.operator(ws), key="operator")

st.navigation(PAGES).run()
