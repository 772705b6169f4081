"""Who may write: the editors allow-list, independent of Streamlit.

Out of the box (no sign-in configured) the dashboard listens on localhost only and
whoever opens it may upload. Once sign-in (OpenID Connect through st.login) is
configured, only the listed editors may write; everyone signed in may view.

With several departments (所属), an editor is either an editor of every department (``[kpi] editors``,
env ``KPI_EDITORS``) or of one (``[kpi.departments.<id>] editors``, env ``KPI_EDITORS_<ID>``): an editor
of one department cannot write to another's store.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

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


def env_name(dept_id: str) -> str:
    """KPI_EDITORS_<ID>: the department id upper-cased, anything but letters and digits as _."""
    return "KPI_EDITORS_" + re.sub(r"[^A-Za-z0-9]", "_", dept_id).upper()


def department_editors(dept_id: str, listed: Mapping | None = None) -> frozenset[str]:
    """The editors of one department: ``listed`` (the secrets' [kpi.departments]) and env KPI_EDITORS_<ID>."""
    if not dept_id:
        return frozenset()
    own = (listed or {}).get(dept_id) or {}
    return editors_from(own.get("editors") if isinstance(own, Mapping) else own) | editors_from(os.environ.get(env_name(dept_id)))


def may_edit(auth_configured: bool, logged_in: bool, email: str | None, editors: frozenset[str]) -> bool:
    if not auth_configured:
        return True
    return bool(logged_in and email and email.strip().lower() in editors)
