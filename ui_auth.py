"""Sign-in glue for the pages: who is using the dashboard and whether they may write.

Out of the box (no ``[auth]`` in .streamlit/secrets.toml) anyone who can open the
dashboard may upload; it listens on localhost only. With ``[auth]`` configured,
st.login signs users in through OpenID Connect and only the editors listed in
``[kpi] editors`` (or env KPI_EDITORS) see upload, commit, rollback and restore.
"""
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


def logged_in() -> bool:
    try:
        return bool(st.user.get("is_logged_in", False))
    except Exception:
        return False


def current_user() -> str:
    """The name recorded with every batch and edit."""
    if auth_configured() and logged_in():
        return str(st.user.get("email") or st.user.get("name") or "unknown")
    return LOCAL_USER


def can_edit() -> bool:
    signed_in = logged_in() if auth_configured() else False
    email = st.user.get("email") if signed_in else None
    return may_edit(auth_configured(), signed_in, email, _editors())


def account_box() -> None:
    """In the sidebar: who is signed in, with sign-in / sign-out buttons (only when sign-in is configured)."""
    if not auth_configured():
        return
    with st.sidebar:
        st.divider()
        if logged_in():
            role = "編集者" if can_edit() else "閲覧のみ"
            st.caption(f"サインイン中: {current_user()}（{role}）")
            if st.button("サインアウト", key="logout", icon=":material/logout:"):
                st.logout()
        else:
            st.caption("閲覧のみ（サインインしていません）")
            if st.button("サインイン", key="login", icon=":material/login:"):
                st.login()


def editor_notice(action: str) -> None:
    """Why the write actions are not shown to this user (Japanese)."""
    if logged_in():
        st.info(f"{current_user()} さんは編集者として登録されていないため、{action}はできません（閲覧のみ）。"
                "編集が必要な場合は、ダッシュボードの管理者に編集者への追加を依頼してください。", icon=":material/lock:")
    else:
        st.info(f"{action}は編集者だけが行えます。サイドバーの「サインイン」からサインインしてください。", icon=":material/lock:")
