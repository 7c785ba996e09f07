"""Connect: where the data comes from and goes to; secrets go to the keyring, never to disk."""

from __future__ import annotations

import streamlit as st

from connectors.registry import CREDENTIALS
from connectors.secrets import secret, store_secret
from mapper.errors import BridgeworkError
from ui import state

ws = state.workspace()
st.title("Connect")
st.caption("Settings are saved in bridgework.toml. Passwords and keys are never written to disk: "
           "they go to your system's keyring (or stay in this session only).")

source, destination = ws.settings.source, ws.settings.destination
left, right = st.columns(2)

with left:
    st.subheader(f"Source: {source.kind}")
    options = source.options()
    if "path" in options:
        new_path = st.text_input("Path", value=str(options["path"]), key="source_path")
    if "url" in options:
        new_url = st.text_input("URL", value=str(options["url"]), key="source_url",
                                help='"local" serves the built-in emulator on 127.0.0.1.')
    for env, label, is_secret in CREDENTIALS.get(source.kind, ()):
        have = "set" if secret(env) else "not set"
        st.text_input(f"{label} ({have})", type="password" if is_secret else "default", key=f"cred_{env}")

with right:
    st.subheader(f"Destination: {destination.kind}")
    st.text_input("URL", value=destination.url, key="dest_url", help='"local" rehearses against the built-in emulator.')
    for env, label, is_secret in CREDENTIALS.get(destination.kind, ()):
        have = "set" if secret(env) else "not set"
        st.text_input(f"{label} ({have})", type="password" if is_secret else "default", key=f"cred_{env}")


def _save() -> None:
    settings = ws.settings
    if "source_path" in st.session_state and "path" in source.options():
        setattr(settings.source, "path", st.session_state["source_path"])
    if "source_url" in st.session_state and "url" in source.options():
        setattr(settings.source, "url", st.session_state["source_url"])
    settings.destination.url = st.session_state["dest_url"] or "local"
    ws.save_settings()
    kept = []
    for kind in (source.kind, destination.kind):
        for env, label, _ in CREDENTIALS.get(kind, ()):
            value = st.session_state.get(f"cred_{env}")
            if value:
                where = "keyring" if store_secret(env, value) else "this session only"
                kept.append(f"{label} ({where})")
    st.success("Saved settings." + (f" Credentials kept: {', '.join(kept)}." if kept else ""))


st.button("Save", on_click=_save, type="primary")

st.divider()
st.subheader("Test connection")
a, b = st.columns(2)
if a.button("Test source"):
    try:
        src = ws.open_source()
        try:
            schema = src.introspect(profile=False)
        finally:
            src.close()
        a.success(f"Source answered: {len(schema.entities)} entities.")
    except BridgeworkError as exc:
        a.error(str(exc))
if b.button("Test destination"):
    try:
        dest = ws.open_destination()
        try:
            schema = dest.describe()
        finally:
            dest.close()
        b.success(f"Destination answered: {len(schema.entities)} objects.")
    except BridgeworkError as exc:
        b.error(str(exc))
