"""Who may write: the editors allow-list, independent of Streamlit.

Out of the box (no sign-in configured) the dashboard listens on localhost only and
whoever opens it may upload. Once sign-in (OpenID Connect through st.login) is
configured, only the listed editors may write; everyone signed in may view.

With several departments (所属), an editor is either an editor of every department (``[kpi] editors``,
env ``KPI_EDITORS``) or of one (``[kpi.departments.<id>] editors``, keyed by the exact department ID): an editor
of one department cannot write to another's store. The environment form ``KPI_EDITORS_<ID>`` exists only for an ID
of letters and digits alone (``KPI_EDITORS_DIGITAL`` for ``digital``): IDs are lower-case, so upper-casing them
cannot make two alike; an ID with ``-`` or ``_`` has no environment form (``east-1`` and ``east_1`` would both
become ``KPI_EDITORS_EAST_1``, and an editor of one would write to the other), its editors are listed in
secrets.toml.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

from kpi import text

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


_ENV_ID = re.compile(r"^[a-z0-9]+$")


def env_name(dept_id: str) -> str | None:
    """KPI_EDITORS_<ID> for an ID of lower-case letters and digits alone; None for any other ID (no environment form:
    one that mapped ``-`` and ``_`` alike, or upper and lower case, would give two departments one list)."""
    return "KPI_EDITORS_" + dept_id.upper() if _ENV_ID.match(dept_id) else None


def department_editors(dept_id: str, listed: Mapping | None = None) -> frozenset[str]:
    """The editors of one department: ``listed`` (the secrets' [kpi.departments], by the exact ID) and, for an ID of
    letters and digits alone, env KPI_EDITORS_<ID>."""
    if not dept_id:
        return frozenset()
    own = (listed or {}).get(dept_id) or {}
    name = env_name(dept_id)
    return editors_from(own.get("editors") if isinstance(own, Mapping) else own) | editors_from(os.environ.get(name) if name else None)


def user_name(name: object) -> str:
    """The name recorded with an edit (a sign-in's e-mail or name, --user, the OS login): normalised and checked by
    the one text rule (kpi.text, field ``user``: at most 100 characters, no control characters); ValueError if not."""
    return text.clean("user", name)


def signed_in_name(name: object) -> str:
    """The name a sign-in provider gives, made to follow the text rule rather than refused (the person cannot retype
    it): characters the rule refuses dropped, line breaks as spaces, at most 100 characters; "unknown" if none is left."""
    try:
        return user_name(name) or "unknown"
    except ValueError:
        kept = text.displayable(text.normalise(str(name or "")).replace("\n", " ").replace("\t", " "))
        kept = "".join(ch for ch in kept if text.problem(ch, text.FIELDS["user"]) is None)
        return kept[:text.max_chars("user")].strip() or "unknown"


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
