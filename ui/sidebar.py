"""The sidebar and the URL: the pages on offer, the filters every page obeys, the link to the current view."""
from __future__ import annotations

import contextlib
import copy
import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

from kpi import departments, fiscal, htmltable
from kpi.departments import Catalog
from ui import auth
from ui.data import Filters, catalog, load
from ui.tables import LINK_NOTES, escape, html, show_unused

# One row per page: add a page by adding a row. 市全体 shows only when the data root holds several departments.
PAGES = [
    ("app_pages/city.py", "市全体", ":material/location_city:"),
    ("app_pages/overview.py", "概要", ":material/dashboard:"),
    ("app_pages/budget.py", "予算", ":material/payments:"),
    ("app_pages/indicators.py", "指標", ":material/monitoring:"),
    ("app_pages/evaluation.py", "年度評価", ":material/grading:"),
    ("app_pages/upload.py", "実績アップロード", ":material/upload_file:"),
    ("app_pages/history.py", "履歴", ":material/history:"),
    ("app_pages/materials.py", "会議資料", ":material/slideshow:"),
    ("app_pages/policy_import.py", "方針の取り込み", ":material/post_add:"),
]


CITY_PAGE = "app_pages/city.py"
DEFAULT_PAGE = "app_pages/overview.py"
APP_ROOT = Path(__file__).resolve().parent.parent  # where app.py and app_pages/ are


# Pages that choose their own view and show no sidebar filters: 市全体 covers every department (a 所属, 経営課題 or
# 基準月 there would mean nothing) and has its own 年度.
OWN_VIEW = {CITY_PAGE}


def pages_for(rows: list[tuple[str, str, str]], cat: Catalog) -> list[tuple[str, str, str]]:
    """The pages to offer: 市全体 only when the data root holds several departments."""
    return [row for row in rows if row[0] != CITY_PAGE or cat.several]


def pages(cat: Catalog) -> dict[str, st.Page]:
    """This run's pages for st.navigation (path → st.Page): copies of pages made once per process. Making a page
    resolves and checks its file (about 7 % of the server's work for a page load under load, 9 pages on every run);
    a copy, because st.navigation marks the page it returns as runnable for that one run, and several sessions'
    runs overlap."""
    return {path: copy.copy(_page(path, title, icon)) for path, title, icon in pages_for(PAGES, cat)}


@functools.cache
def _page(path: str, title: str, icon: str) -> st.Page:
    return st.Page(str(APP_ROOT / path), title=title, icon=icon, default=path == DEFAULT_PAGE)


def page_list(pages: dict[str, st.Page], shown: st.Page) -> None:
    """At the top of the sidebar: the pages on offer as the app's own links (kpi.htmltable.pages_html), the shown one
    marked. st.navigation(position="hidden") still routes by the address; its own list is not drawn."""
    links = [htmltable.PageLink(page.title, page.icon, page.url_path or "./", page.url_path == shown.url_path)
             for page in pages.values()]
    with st.sidebar:
        html(htmltable.pages_html("ページ", links))


LATEST = "latest"  # written as such in the URL: a shared link says whether it meant "the newest" or a fixed month


URL_KEYS = ("dept", "fy", "issue", "as_of")


def url_choice(label: str, options: list[str], key: str, *, default: str, format_func=str, widget=st.selectbox,
               notes: list[str] | None = None, noun: str | None = None,
               within: Callable[[str], AbstractContextManager] | None = None, **kwargs) -> str:
    """A choice kept in the URL under ``key`` (?indicator=K2-2): a copied link reopens it. A value the choice does not
    offer is not used, and the reader is told so, naming it by ``noun`` (else the label): under the widget, or in
    ``notes`` for a widget in a closed popover. ``within``, given the value the widget will show, makes the container
    the widget is drawn in (a popover whose button names the current choice); the note goes under that container.
    ``widget=None``: the page draws no widget but links that change the address (view_href, kpi.htmltable.choices_html);
    the choice is remembered as a widget's is."""
    wanted, linked = st.query_params.get(key), link_value(key)
    link_choice(key, options, default=default)
    if widget is None:  # no widget: links on the page choose (view_href), and the address is read as above
        if wanted is None and st.session_state.get(SAME_PAGE):
            # Within the page the address is all: the Back button (or a link) to an address without the key means the
            # default. From another page the last choice comes back, as a widget's does.
            st.session_state[key] = default
        value = st.session_state[key]
    else:
        with within(st.session_state[key]) if within else contextlib.nullcontext():
            value = held_widget(widget, label, options, key, format_func=format_func, **kwargs)
    if linked is not None and linked not in options:
        note = unused_link_value(noun or label, linked)
        if notes is None:
            show_unused([note])
        else:
            notes.append(note)
    st.session_state[written_key(key)] = value
    # The default is not written into a URL that does not name the key (it means the same): each write is a
    # message and a history update in the browser, twice on every first visit to 指標.
    if st.query_params.get(key) != value and (key in st.query_params or value != default):
        st.query_params[key] = value
    return value


def link_choice(key: str, options: list[str], *, default: str) -> str:
    """The choice ``key`` this run shows, held in ``st.session_state[key]``: a link's value (?indicator=K2-2) when this
    view offers it, else the choice held, else the default. What is drawn before the choice's widget (links that carry
    it) asks here, so that a link's value is not known only from the widget on."""
    linked = link_value(key)
    if linked is not None and linked in options:
        st.session_state[key] = linked
    if st.session_state.get(key) not in options:
        st.session_state[key] = default
    return st.session_state[key]


def link_value(key: str) -> str | None:
    """The address's value under ``key`` when it is not what this session last put there: it came from a link (a
    copied one, a card's, the Back button). None when the address holds the session's own value or none."""
    wanted = st.query_params.get(key)
    return wanted if wanted is not None and wanted != st.session_state.get(written_key(key)) else None


def written_key(key: str) -> str:
    """Where the session keeps what it last put in the URL under ``key``: anything else there came from a link."""
    return f"_url_{key}"


WIDGET_ROUNDS = "_widget_rounds"  # per choice: how often its widget was renewed (held_widget)


def held_widget(widget: Callable, label: str, options: list, key: str, *, on_change: Callable[[], None] | None = None,
                **kwargs):
    """A widget that shows and changes the choice held in ``st.session_state[key]`` (the sidebar's filters, 指標's list).

    These widgets wait in popovers, and the browser draws a popover's widgets only while it is open. A value the
    script gives a widget that is not drawn never reaches the browser, which keeps the last value it saw and sends it
    back with the next run: a link or the back button that changed the choice was undone by the next click (基準月
    fell back to the month chosen before; 指標's list, opened after a card's link, went back to the indicator chosen
    before). So the choice is kept apart from its widget, the widget is drawn with the choice as its default, and it
    is renewed (a new key, unknown to the browser) whenever the choice was set by anything but the widget itself."""
    rounds = st.session_state.setdefault(WIDGET_ROUNDS, {})
    held, own = st.session_state[key], widget_key(key)
    if own in st.session_state and st.session_state[own] != held:
        rounds[key] = rounds.get(key, 0) + 1
        own = widget_key(key)

    def chosen() -> None:  # a choice made in the widget: held before the script runs, so all of the run sees it
        st.session_state[key] = st.session_state[own]
        if on_change:
            on_change()

    shown = {"index": options.index(held)} if widget is st.selectbox else {"default": held}
    return widget(label, options, key=own, on_change=chosen, **shown, **kwargs)


def widget_key(key: str) -> str:
    """The key of the widget that shows the choice ``key`` now (held_widget): ``as_of~0``, ``as_of~1`` after a link."""
    return f"{key}~{st.session_state.get(WIDGET_ROUNDS, {}).get(key, 0)}"


SAME_PAGE = "_same_page"  # this run shows the page the session's last run showed (set by arrived)


def arrived(page: str) -> None:
    """Note which page this run shows, and whether the last run showed the same one (url_choice without a widget)."""
    st.session_state[SAME_PAGE] = st.session_state.get("_page") == page
    st.session_state["_page"] = page


def view_href(choices: dict[str, str | None], defaults: dict[str, str]) -> str:
    """The address of this page with the view's filters as the address says them (URL_KEYS) and the page's own
    ``choices`` (order, show, indicator), each left out when it is its default or None: a link that shows the same
    view but for what it changes (kpi.htmltable.choices_html), also when opened in a new tab."""
    pairs = [(k, v) for k in URL_KEYS for v in st.query_params.get_all(k)]
    pairs += [(k, v) for k, v in choices.items() if v is not None and v != defaults.get(k)]
    return "?" + urlencode(pairs)


LINK_VALUE_SHOWN = 30  # characters of a link's value repeated on screen: a URL can carry any length of anything


def unused_link_value(label: str, value: str) -> str:
    """The words for a value in a link that this view does not offer (last year's indicator, a year without data)."""
    shown = value if len(value) <= LINK_VALUE_SHOWN else value[:LINK_VALUE_SHOWN] + "…"
    return f"リンクで指定された{label}「{shown}」は、この表示にないため使っていません。"


def _adopt_url(years: list[int], default_fy: int) -> dict[str, str | list[str]]:
    """A link (?fy=2025&issue=2&as_of=2025-09) opens the same view: each value in the URL that this session did not
    write itself (a copied link, a link from 市全体, the browser's back button) is taken over. Unknown values are
    not trusted (the 経営課題 are checked against the policy of the year): what was taken over is returned, so that
    the sidebar can say which of it the view does not offer."""
    written = st.session_state.setdefault("_url_written", {})

    def to_adopt(key: str, value) -> bool:
        # Not written by this session, or the session holds no choice: the address is then all there is to go by.
        # (The choices are plain state since held_widget, so a session that wrote the address also holds them.)
        return value != written.get(key) or key not in st.session_state

    qp = st.query_params
    adopted: dict[str, str | list[str]] = {}
    fy = qp.get("fy")
    if fy is not None and to_adopt("fy", fy):
        adopted["fy"] = fy
        if fy.isdigit() and int(fy) in years:
            st.session_state["fy"] = int(fy)
    as_of = qp.get("as_of")
    if as_of is not None and to_adopt("as_of", as_of):
        adopted["as_of"] = as_of
        try:  # the month as the choices spell it (a link may say 2025-9)
            st.session_state["as_of"] = adopted["as_of"] = as_of if as_of == LATEST else fiscal.ym(*fiscal.parse_ym(as_of))
        except ValueError:
            pass
    issues = qp.get_all("issue")
    if issues and to_adopt("issue", issues):
        adopted["issue"] = issues
        st.session_state["issue"] = issues
    st.session_state.setdefault("fy", default_fy)
    st.session_state.setdefault("as_of", LATEST)
    st.session_state.setdefault("issue", [])
    return adopted


def _write_url(f: Filters, as_of_choice: str, several: bool) -> None:
    """Mirror the filters in the URL; the department (when there are several), the year and the 基準月 always
    (最新 as ``latest``), so a link means what it said."""
    wanted = {"dept": f.dept if several else None, "fy": str(f.fy), "issue": list(f.issues) or None, "as_of": as_of_choice}
    st.session_state["_url_written"] = {"fy": str(f.fy), "issue": list(f.issues), "as_of": as_of_choice}
    for key, value in wanted.items():
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get_all(key) != (value if isinstance(value, list) else [value]):
            st.query_params[key] = value


def sidebar() -> Filters:
    """The filters every page obeys, kept in the URL (?dept=digital&fy=2025&issue=2&as_of=2025-09)."""
    cat = catalog()
    with st.sidebar:
        if not auth.auth_configured():
            st.caption("サインインが設定されていません。このダッシュボードを開いた人は誰でも、実績の登録・取り消し、"
                       "評価の上書き、振り返りの記入ができます（記録者は「ローカル利用者」）。")
        st.subheader("表示の条件")
        summary = st.container()  # filled once the choices are known: they are made in the popover below
        dept_id = departments.SINGLE
        unused: list[str] = []  # a link's values that this view does not offer, said under the page's heading
        # The choices behind a button: a popover's widgets are drawn in the browser only once it is opened, and the
        # three filters drawn on every page load cost about as much as the rest of 指標 or 概要 (bench/bench_feel.py's
        # 「枠だけ」). What is shown stays in words above the button and in every page's heading.
        choices = st.popover("表示の条件を変える", icon=":material/tune:", width="stretch")
    with choices:
        if cat.several:
            ids, labels = list(cat.departments), cat.labels()  # by ID: a repeated name carries its ID (never one choice for two)
            dept_id = url_choice("所属", ids, "dept", default=ids[0], format_func=labels.get, notes=unused)
        dept = cat.get(dept_id)
        years = dept.fiscal_years()
        adopted = _adopt_url(years, dept.default_year())
        if st.session_state.get("fy") not in years:
            st.session_state["fy"] = dept.default_year()
        fy = held_widget(st.selectbox, "年度", years, "fy", format_func=lambda y: fiscal.fy_label(y, western=True))
        if "fy" in adopted and adopted["fy"] != str(fy):
            unused.append(unused_link_value("年度", adopted["fy"]))
        p = load(str(dept.folder_for(fy)))
        if missing := [i for i in adopted.get("issue", []) if i not in p.issues]:
            unused.append(unused_link_value("経営課題", "、".join(missing)))
        st.session_state["issue"] = [i for i in st.session_state.get("issue", []) if i in p.issues]  # this year's 経営課題 only

        def issue_name(i: str) -> str:  # the choice and the summary above the button alike
            return f"{p.issues[i].label} {p.issues[i].short_title}"

        issues = held_widget(st.multiselect, "経営課題（未選択ならすべて）", list(p.issues), "issue", format_func=issue_name,
                             placeholder="すべての経営課題")
        latest = fiscal.latest_as_of(fy)  # the last month that has ended, or March once the year has ended
        months = [m for m in fiscal.fy_months(fy) if m <= fiscal.last_choosable(fy)]  # this month too, when chosen
        if st.session_state.get("as_of") not in (LATEST, *months):
            st.session_state["as_of"] = LATEST  # a month of another fiscal year

        choice = held_widget(st.selectbox, "基準月（その月末時点で表示）", [LATEST, *months], "as_of",
                             format_func=lambda m: as_of_name(m, latest))
        if "as_of" in adopted and adopted["as_of"] != choice:
            unused.append(unused_link_value("基準月", adopted["as_of"]))
    order = {iid: i for i, iid in enumerate(p.issues)}
    f = Filters(fy, tuple(sorted(issues, key=order.get)), latest if choice == LATEST else choice, dept_id)
    with summary:
        st.caption(summary_caption(dept.label if cat.several else None, fy, [issue_name(i) for i in f.issues], as_of_name(choice, latest)))
    st.session_state[LINK_NOTES] = unused
    _write_url(f, choice, cat.several)
    return f


def as_of_name(choice: str, latest: str) -> str:
    """A 基準月 choice in words: 「最新（令和8年3月）」 for ``LATEST`` (``latest`` being the month it stands for), else the month."""
    return f"最新（{fiscal.month_label(latest)}）" if choice == LATEST else fiscal.month_label(choice)


def summary_caption(dept: str | None, fy: int, issues: list[str], as_of: str) -> str:
    """The filters in words, a line each (names escaped), as the sidebar's caption above the button that changes them."""
    lines = [*([f"所属：{dept}"] if dept else []), f"年度：{fiscal.fy_label(fy, western=True)}",
             f"経営課題：{'、'.join(issues) if issues else 'すべて'}", f"基準月：{as_of}"]
    return "  \n".join(escape(line) for line in lines)


def copy_link() -> None:
    """In the sidebar: the link of the current view (filters and selection included), with a copy button."""
    from urllib.parse import urlencode

    base = st.context.url
    if not base:
        return
    query = urlencode([(k, v) for k in st.query_params for v in st.query_params.get_all(k)])
    with st.sidebar.popover("この表示へのリンク", icon=":material/link:", width="stretch"):
        st.caption("年度・経営課題・基準月・選んだ指標を含むリンクです。右上のコピーボタンでコピーして、メールやチャットに貼り付けてください。")
        st.code(base + ("?" + query if query else ""), language=None, wrap_lines=True)
