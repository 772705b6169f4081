"""Who may write: the editors allow-list, independent of Streamlit.

Out of the box (no sign-in configured) the dashboard listens on localhost only and
whoever opens it may upload. Once sign-in (OpenID Connect through st.login) is
configured, only the listed editors may write; everyone signed in may view.
"""
from __future__ import annotations

import os
from collections.abc import Iterable

LOCAL_USER = "ローカル利用者"


def editors_from(values: Iterable[str] | str | None) -> frozenset[str]:
    """Normalised allow-list from a list or a comma/newline separated string."""
    if values is None:
        return frozenset()
    if isinstance(values, str):
        values = values.replace("\n", ",").split(",")
    return frozenset(v.strip().lower() for v in values if v and v.strip())


def env_editors() -> frozenset[str]:
    return editors_from(os.environ.get("KPI_EDITORS"))


def may_edit(auth_configured: bool, logged_in: bool, email: str | None, editors: frozenset[str]) -> bool:
    if not auth_configured:
        return True
    return bool(logged_in and email and email.strip().lower() in editors)
