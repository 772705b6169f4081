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


def policy_save_refusal(kpi_secrets: Mapping | None, auth_configured: bool, logged_in: bool, email: str | None,
                        dept_id: str, dept_exists: bool) -> str | None:
    """Why this user may not save an imported 運営方針 as ``dept_id``'s (Japanese), or None when they may.

    Only an editor of every department (``[kpi] editors`` / KPI_EDITORS) creates a NEW department; an editor of one
    department (``[kpi.departments.<id>] editors`` / KPI_EDITORS_<ID>) adds a year to that department only. Without
    sign-in configured the dashboard is local (listens on localhost) and anyone may, as with every other write."""
    if not auth_configured:
        return None
    kpi = kpi_secrets or {}
    if may_edit(True, logged_in, email, editors_from(kpi.get("editors")) | env_editors()):
        return None
    if not dept_exists:
        return (f"新しい所属「{dept_id}」を作れるのは、市全体の編集者（[kpi] editors）だけです。"
                "所属の追加は管理者に依頼してください")
    if may_edit(True, logged_in, email, department_editors(dept_id, kpi.get("departments"))):
        return None
    return f"所属「{dept_id}」の編集者ではないため、この所属に運営方針を追加できません（自分の所属にだけ追加できます）"
