"""Sign-in glue for the pages: who is using the dashboard and whether they may write.

Out of the box (no ``[auth]`` in .streamlit/secrets.toml) anyone who can open the
dashboard may upload; it listens on localhost only. With ``[auth]`` configured,
st.login signs users in through OpenID Connect and only the editors listed in
``[kpi] editors`` (or env KPI_EDITORS) see upload, commit, rollback and restore.
Every write handler calls ``require_editor`` again at the click: a session drawn for
an editor cannot write after its user has lost the right.
"""
from __future__ import annotations

import hashlib
import re
import time

import streamlit as st

from kpi.auth import LOCAL_USER, department_editors, editors_from, env_editors, may_edit, signed_in_name
from kpi.store import store_dir, write_log
from ui.data import per_run

# A name that markdown can only show as itself (an e-mail address at most becomes a mailto link); anything
# else a user or an IdP supplied is shown with st.text, never through markdown.
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$")


def auth_configured() -> bool:
    # Once per run: each read of st.secrets looks for the files again (0.6 ms without any), and a run asks often.
    return per_run("auth_configured", _auth_in_secrets)


def _auth_in_secrets() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all
        return False


def _kpi_secrets() -> tuple[object, object]:
    try:
        kpi = st.secrets.get("kpi", {})
        return kpi.get("editors"), kpi.get("departments", {})
    except Exception:
        return None, {}


def _editors() -> frozenset[str]:
    """Editors of every department and of the department shown (the sidebar's choice)."""
    listed, by_department = per_run("kpi_secrets", _kpi_secrets)
    dept = getattr(st.session_state.get("_filters"), "dept", "")
    return editors_from(listed) | env_editors() | department_editors(dept, by_department)


def logged_in() -> bool:
    try:
        return bool(st.user.get("is_logged_in", False))
    except Exception:
        return False


def current_user() -> str:
    """The name recorded with every batch and edit."""
    if auth_configured() and logged_in():
        return signed_in_name(st.user.get("email") or st.user.get("name") or "unknown")  # recorded by the text rule
    return LOCAL_USER


def can_edit() -> bool:
    signed_in = logged_in() if auth_configured() else False
    email = st.user.get("email") if signed_in else None
    return may_edit(auth_configured(), signed_in, email, _editors())


def plain_name(name: str) -> bool:
    """True when ``name`` is safe inside markdown as it is (a plain e-mail address)."""
    return bool(_PLAIN_NAME.match(name)) and len(name) <= 254


def require_editor(action: str) -> bool:
    """Check the editor right where a write happens (in the button's on_click), not only when the button was drawn.

    Returns False when the current user may not write now (signed out, or removed from the editors since the
    page was drawn): nothing may be written then. The refusal is shown in Japanese and recorded in the store's
    log. ``action`` names what was refused, e.g. "実績の登録".
    """
    if can_edit():
        return True
    who = current_user() if logged_in() else "（サインインしていません）"
    dept = getattr(st.session_state.get("_filters"), "dept", "")
    ref = write_log(store_dir() / dept if dept else store_dir(), "refused-write", f"action={action!r} user={who!r}: not an editor at the click")
    st.error(f"編集者の権限が確認できないため、{action}を行いませんでした（何も保存していません。記録: {ref}）。"
             "画面を表示した後に権限が変わった可能性があります。必要な場合は管理者に編集者への追加を依頼してください。",
             icon=":material/lock:")
    return False


# Where a user was when they pressed サインイン, by browser: the sign-in goes to the identity provider and comes back
# to the app's root in a new session (session state is gone), so the place is kept on the server for a while.
RETURN_SECONDS = 15 * 60
XSRF_COOKIE = "_streamlit_xsrf"


@st.cache_resource
def _returns() -> dict[str, tuple[float, str, dict[str, list[str]]]]:
    return {}


def browser_key() -> str | None:
    """This browser, across the sign-in redirect: a hash of the XSRF token Streamlit keeps in a cookie (the token
    stays the same while the cookie's masked form changes); None without the cookie."""
    raw = st.context.cookies.get(XSRF_COOKIE)
    if not raw:
        return None
    token: bytes = raw.encode()
    try:
        from streamlit.web.server.starlette import starlette_app_utils

        token = starlette_app_utils.decode_xsrf_token_string(raw)[0] or token
    except Exception:  # another server or version: the cookie as it is (still stable while the browser keeps it)
        pass
    return hashlib.sha256(token).hexdigest()


def remember_place(page: str) -> None:
    """Keep the page (its url_path) and the query string (所属, 年度, 経営課題, 基準月, the chosen indicator) to come back to."""
    key = browser_key()
    if key is None:
        return
    now = time.time()
    returns = _returns()
    for k in [k for k, (at, _, _) in returns.items() if now - at > RETURN_SECONDS]:
        del returns[k]
    returns[key] = (now, page, {k: st.query_params.get_all(k) for k in st.query_params})


def take_place() -> tuple[str, dict[str, list[str]]] | None:
    """The place remembered for this browser before it signed in, once (None when there is none or it is stale)."""
    key = browser_key()
    held = _returns().pop(key, None) if key else None
    if held is None or time.time() - held[0] > RETURN_SECONDS:
        return None
    return held[1], held[2]


def return_after_sign_in(pages: dict[str, st.Page], current: str) -> None:
    """Right after sign-in (the first run signed in): back to the page and view the user signed in from.

    ``pages`` maps each url_path to its page, ``current`` is the page shown. Called by app.py before the sidebar
    reads the URL, so the department, year, 経営課題 and 基準月 in the restored query string apply."""
    if not auth_configured() or not logged_in() or st.session_state.get("_returned"):
        return
    st.session_state["_returned"] = True
    place = take_place()
    if place is None:
        return
    page, query = place
    for k, values in query.items():
        st.query_params[k] = values if len(values) > 1 else values[0]
    target = pages.get(page)
    if target is not None and page != current:
        st.switch_page(target, query_params=query)


def _sign_in(page: str) -> None:
    remember_place(page)
    st.login()


def account_box(page: str) -> None:
    """In the sidebar of every page (drawn by app.py): who is signed in, with sign-in / sign-out buttons (only when
    sign-in is configured). ``page`` is the page's url_path, remembered so that the user comes back to it after
    signing in."""
    if not auth_configured():
        return
    with st.sidebar:
        st.divider()
        if logged_in():
            role = "編集者" if can_edit() else "閲覧のみ"
            st.caption(f"サインイン中（{role}）")
            st.text(current_user())  # a name from the sign-in provider: plain text (Markdown made a mail link of it)
            if st.button("サインアウト", key="logout", icon=":material/logout:"):
                st.logout()
        else:
            st.caption("閲覧のみ（サインインしていません）。編集者はサインインすると実績の登録や振り返りの記入ができます。")
            if st.button("サインイン", key="login", icon=":material/login:"):
                _sign_in(page)


def editor_notice(action: str) -> None:
    """Why the write actions are not shown to this user (Japanese)."""
    if logged_in():
        name = current_user()
        who = f"{_literal(name)} さんは" if plain_name(name) else "サインイン中のアカウントは"
        st.info(f"{who}編集者として登録されていないため、{action}はできません（閲覧のみ）。"
                "編集が必要な場合は、ダッシュボードの管理者に編集者への追加を依頼してください。", icon=":material/lock:")
    else:
        st.info(f"{action}は編集者だけが行えます。サイドバーの「サインイン」からサインインしてください。", icon=":material/lock:")


def write_as_editor(action, done: str, what: str = "記録") -> None:
    """Run a write only if the user may still edit (require_editor: checked at the click, not only when
    the form was drawn); a refusal in Japanese, a ValueError's message shown, else a toast and a rerun."""
    if not require_editor(what):
        return
    try:
        action()
    except ValueError as exc:  # a refusal may quote what was typed: escaped, never read as Markdown
        st.error(_literal(str(exc)))
    else:
        st.toast(_literal(done))
        st.rerun()


def _literal(text: str) -> str:
    from ui.tables import escape  # ui.tables imports this module

    return escape(text)
