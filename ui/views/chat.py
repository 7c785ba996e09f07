"""Chat: ask how the migration is going; answers come from the ledger and cite their numbers."""

from __future__ import annotations

import streamlit as st

from ui import state
from ui.chat.engine import IntentRouter, ask, default_embedder

ws = state.workspace()
st.title("Ask about the migration")
st.caption("Answers come from this workspace's ledger and map. Patient values are never shown"
           + (f"; LLM: {ws.settings.options.llm}." if ws.settings.options.llm else "; offline (no LLM configured)."))


@st.cache_resource(show_spinner="Loading the local language model ...")
def _router() -> IntentRouter:
    return IntentRouter(embedder=default_embedder())


history: list[tuple[str, str, str]] = st.session_state.setdefault("chat_history", [])
if not history:
    st.markdown("Try: *how many patients are loaded?* · *what failed and why?* · *is anything waiting for my review?* · "
                "*why was pager mapped to mobile?*")
for role, text, facts in history:
    with st.chat_message(role):
        st.markdown(text)
        if facts:
            st.caption(facts)

question = st.chat_input("Ask a question about the migration")
if question:
    answer = ask(ws, question, router=_router(), llm=ws.settings.options.llm)
    facts = ("Numbers used: " + ", ".join(f"{k} = {v}" for k, v in answer.facts)) if answer.facts else ""
    history.append(("user", question, ""))
    history.append(("assistant", answer.text, facts))
    st.rerun()
