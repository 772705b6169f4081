"""Sign-in glue for the pages: who is using the dashboard and whether they may write."""
from __future__ import annotations

import streamlit as st

from kpi.auth import LOCAL_USER, editors_from, env_editors, may_edit


def auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all
        return False


def _editors() -> frozenset[str]:
    try:
        listed = st.secrets.get("kpi", {}).get("editors")
    except Exception:
        listed = None
    return editors_from(listed) | env_editors()


def current_user() -> str:
    """The name recorded with every batch and edit."""
    if auth_configured() and st.user.is_logged_in:
        return str(st.user.get("email") or st.user.get("name") or "unknown")
    return LOCAL_USER


def can_edit() -> bool:
    logged_in = bool(st.user.is_logged_in) if auth_configured() else False
    email = st.user.get("email") if logged_in else None
    return may_edit(auth_configured(), logged_in, email, _editors())
