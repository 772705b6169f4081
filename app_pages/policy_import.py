"""方針の取り込み: a published 運営方針 (pasted or uploaded) → its 経営課題 and indicators → the guesses reviewed in a
table → saved as a department's policy folder ``<data root>/<department id>/<fiscal year>/`` (editors only).

The page is thin: reading, guessing, checking the folder and writing are kpi.policy_import (the same functions as
``python -m kpi policy import``); who may save where is kpi.auth.policy_save_refusal, checked at the click.
Everything taken from the policy text, typed by the user or said by an exception is shown with st.text, in tables or
escaped (ui.escape), never as Markdown.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from kpi import departments, fiscal
from kpi import policy_import as pi
from kpi.auth import policy_save_refusal
from kpi.kinds import DIRECTIONS, KINDS
from kpi.policy import PolicyError, data_dir, load_policy
from kpi.store import store_dir, write_log
from ui import auth as ui_auth
from ui.data import forget_catalog
from ui.tables import escape, link_notes
from ui.turns import TURNS

ACTION = "運営方針の取り込み"
OVERVIEW = "app_pages/overview.py"
FLASH = "_policy_import_flash"
REVIEW_COLUMNS = {"aggregation": "集計方法", "direction": "方向", "short_name": "指標名（短い名前）"}


def review_frame(imp: pi.Imported) -> pd.DataFrame:
    """One row per indicator: the guessed fields (editable) and the words each guess used (read-only)."""
    rows = []
    for d in imp.indicators:
        why = "、".join(f"{REVIEW_COLUMNS[f]}:「{d.words[f]}」" if d.words.get(f) else f"{REVIEW_COLUMNS[f]}: 既定値"
                       for f in ("aggregation", "direction"))
        rows.append({"指標ID": d.indicator_id, "指標の文言": d.wording, REVIEW_COLUMNS["short_name"]: d.short_name,
                     REVIEW_COLUMNS["aggregation"]: d.aggregation, REVIEW_COLUMNS["direction"]: d.direction, "推定の根拠": why})
    return pd.DataFrame(rows)


def choices_from(edited: pd.DataFrame) -> dict[str, dict[str, str]]:
    """The editor's table as kpi.policy_import.Imported.with_choices wants it."""
    return {r["指標ID"]: {key: str(r[label]) for key, label in REVIEW_COLUMNS.items()} for _, r in edited.iterrows()}


@st.cache_data(max_entries=4, show_spinner=False)
def read(text: str, fy: int, dept_name: str | None) -> pi.Imported:
    """The import of ``text`` (kept: a long text is read once, not at every click; each call gets its own copy)."""
    return pi.parse(text, fy, dept_name)


def refuse(lead: str, exc: Exception | str) -> None:
    """An error box with the message as written: escaped, so a name or line in it is never read as Markdown."""
    st.error(escape(f"{lead}{exc}"), icon=":material/error:")


def kpi_secrets() -> dict:
    """The secrets' [kpi] table (editors of every department and of each), or {} without secrets."""
    try:
        return dict(st.secrets.get("kpi", {}))
    except Exception:  # no secrets.toml at all
        return {}


def rights_refusal(dept_id: str, exists: bool) -> str | None:
    """kpi.auth.policy_save_refusal for the user signed in now (checked at the click)."""
    configured = ui_auth.auth_configured()
    signed_in = ui_auth.logged_in() if configured else False
    email = st.user.get("email") if signed_in else None
    return policy_save_refusal(kpi_secrets(), configured, signed_in, email, dept_id, exists)


def save(imp: pi.Imported, root: Path, dept_id: str, fy: int, exists: bool) -> None:
    """Check the right and the folder, write, check that the folder loads; progress shown step by step. On success
    the summary is kept for the next run (the sidebar must be drawn anew to list the new department)."""
    refusal = rights_refusal(dept_id, exists)
    if refusal:
        ref = write_log(store_dir(), "refused-write",
                        f"action={ACTION!r} user={ui_auth.current_user()!r} dept={dept_id!r}: {refusal}")
        refuse("保存しませんでした: ", f"{refusal}（記録: {ref}）")
        return
    with TURNS.aside(), st.status("保存しています…", expanded=True) as status:
        try:
            st.text("保存先を確認しています…")
            out = pi.department_folder(root, dept_id, fy)
            st.text(f"CSV を書き込んでいます…（{out}）")
            written = pi.write_folder(imp, out)
            st.text("運営方針として読み込めるか確認しています…")
            load_policy(out)
        except pi.ImportRefused as exc:
            status.update(label="保存しませんでした", state="error")
            refuse("保存しませんでした: ", exc)
            return
        except PolicyError as exc:
            status.update(label="保存したフォルダを運営方針として読み込めません", state="error")
            st.error("保存したフォルダを運営方針として読み込めません。管理者に連絡してください。")
            st.text(str(exc))
            return
        status.update(label="保存しました", state="complete")
    st.cache_data.clear()  # every page reads anew
    forget_catalog()  # the new department is in the sidebar at once
    st.session_state[FLASH] = {"lead": f"保存しました（{fiscal.fy_label(fy)}・指標 {len(imp.indicators)}件）。"
                                       "サイドバーの「表示の条件を変える」の「所属」から選べます。",
                               "lines": pi.save_summary(imp, out, written), "dept": dept_id, "fy": fy}
    st.rerun()


def show_flash() -> None:
    """The summary of the last save, with a link to the saved department's 概要."""
    flash = st.session_state.pop(FLASH, None)
    if not flash:
        return
    with st.container(key="policy_import_flash", border=True):
        st.success(flash["lead"], icon=":material/check_circle:")
        st.text("\n".join(flash["lines"]))
        query = {"dept": flash["dept"], "fy": str(flash["fy"])}
        try:
            st.page_link(OVERVIEW, label="保存した所属の概要を開く", icon=":material/dashboard:", query_params=query)
        except StreamlitPageNotFoundError:  # the page run on its own, not through app.py's pages: no 概要 to open
            st.text(f"概要は、ダッシュボードで ?dept={query['dept']}&fy={query['fy']} を開くと表示されます。")


def targets_text(d: pi.IndicatorDraft) -> str:
    parts = []
    for t in d.targets:
        period = f"{fiscal.fy_label(t.period_start_fy)}〜" if t.period_start_fy else ""
        quals = "・".join(t.qualifiers)
        per = f"/{t.per}" if t.per else ""
        parts.append(f"{period}{fiscal.fy_label(t.fiscal_year)} {pi.fmt_number(t.value)}{d.unit}{per}{(' ' + quals) if quals else ''}")
    return "、".join(parts)


st.title("方針の取り込み")
link_notes()
st.caption("公開されている運営方針（区・局のページの本文、または運営方針の様式）を貼り付けるか、テキストファイルを選ぶと、"
           "経営課題・主な戦略・アウトカム指標・目標・予算額・公表された実績を読み取ります。本文に書かれていない集計方法と方向は"
           "語句から推定するので、下の表で確認してから保存してください。")
if not ui_auth.can_edit():
    ui_auth.editor_notice(ACTION)
    st.stop()

show_flash()

pasted = st.text_area(f"運営方針の本文（{pi.MAX_CHARS:,}文字まで）", key="pi_text", height=240, max_chars=pi.MAX_CHARS,
                      placeholder="【目標】… 【経営課題1】… 課題認識 … 主な戦略 … アウトカム指標 … のページの本文をそのまま貼り付けます")
uploaded = st.file_uploader(f"またはテキストファイル（UTF-8 または Shift_JIS、{pi.MAX_UPLOAD_MB}MBまで）", type=["txt"],
                            key="pi_file", max_upload_size=pi.MAX_UPLOAD_MB)
text = ""
if uploaded is not None:
    try:
        text = pi.decode(uploaded.getvalue())
    except pi.ImportRefused as exc:
        refuse("ファイルを読めませんでした: ", exc)
elif pasted and pasted.strip():
    text = pasted
if not text:
    st.info("本文を貼り付けるか、ファイルを選んでください。", icon=":material/info:")
    st.stop()

default_fy = pi.stated_year(text) or fiscal.fy_of_month(fiscal.current_month())
c1, c2 = st.columns(2)
fy = int(c1.number_input("運営方針の年度（西暦の開始年）", min_value=2000, max_value=2100, value=default_fy, step=1, key="pi_fy",
                         help="例 2025 = 令和7年度"))
dept_name = c2.text_input("所属名（空欄なら題名から）", key="pi_dept_name").strip() or None
try:
    with TURNS.aside(), st.spinner("本文を読み取っています…"):
        imp = read(text, fy, dept_name)
except pi.ImportRefused as exc:
    refuse("読み取れませんでした: ", exc)
    st.stop()

texts = {f: t for f, _, t in imp.texts}
st.subheader("読み取った内容")
st.text(f"{texts.get('title', '')}（{fiscal.fy_label(fy, western=True)}・所属: {texts.get('department', '')}）")
with st.container(key="pi_counts"):
    st.text(f"経営課題 {len(imp.issues)}件　指標 {len(imp.indicators)}件　目標 {sum(len(d.targets) for d in imp.indicators)}件　"
            f"予算・決算 {len(imp.budgets)}件　公表された実績 {len(imp.results)}件")
if imp.problems:
    st.warning("確認が必要な点があります（下の一覧）。", icon=":material/warning:")
    st.text("\n".join(imp.problems))

st.dataframe(pd.DataFrame([{"経営課題": f"経営課題{i.number}", "名称": i.title, "主な戦略": "\n".join(i.strategies),
                            "指標": "、".join(d.indicator_id for d in imp.indicators if d.issue_id == i.number)}
                           for i in imp.issues]), hide_index=True, key="pi_issues")
st.dataframe(pd.DataFrame([{"指標ID": d.indicator_id, "主な戦略": d.strategy_no, "指標の文言": d.wording, "目標": targets_text(d),
                            "期間": (f"{d.period_start_fy or ''}〜{d.period_end_fy or ''}" if d.period_start_fy or d.period_end_fy else ""),
                            "出典（本文）": d.source_text} for d in imp.indicators]), hide_index=True, key="pi_indicators")
if imp.results:
    st.caption("公表された実績（＜N年度実績と達成状況＞・＜前年度実績＞）: 年度評価の推移に「公表」として表示されます。")
    st.dataframe(pd.DataFrame([{"指標ID": r.indicator_id, "年度": fiscal.fy_label(r.fiscal_year),
                                "実績": "" if r.value is None else pi.fmt_number(r.value),
                                "期間の実績": "" if r.period_value is None else pi.fmt_number(r.period_value),
                                "評価": r.grade, "出典（本文）": r.source_text} for r in imp.results]),
                 hide_index=True, key="pi_results")

st.subheader("推定した項目の確認")
st.caption("集計方法と方向は本文に書かれていないため、語句から推定しました。違っていれば表で選び直してください。"
           "集計方法: " + "、".join(f"{k}＝{v.label}" for k, v in KINDS.items()) + "。方向: "
           + "、".join(f"{k}＝{v.label}" for k, v in DIRECTIONS.items()) + "。")
with st.expander("推定の一覧（文章）"):
    st.text("\n".join(g.line for g in imp.guesses))
edited = st.data_editor(
    review_frame(imp), hide_index=True, key="pi_review", disabled=["指標ID", "指標の文言", "推定の根拠"],
    column_order=["指標ID", *REVIEW_COLUMNS.values(), "推定の根拠", "指標の文言"],  # what may be changed first
    column_config={
        REVIEW_COLUMNS["aggregation"]: st.column_config.SelectboxColumn(
            options=list(KINDS), required=True, width="medium", format_func=lambda k: f"{KINDS[k].label}（{k}）"),
        REVIEW_COLUMNS["direction"]: st.column_config.SelectboxColumn(
            options=list(DIRECTIONS), required=True, width="medium", format_func=lambda k: f"{DIRECTIONS[k].label}（{k}）"),
        REVIEW_COLUMNS["short_name"]: st.column_config.TextColumn(required=True, max_chars=60),
    })

st.subheader("保存")
root = data_dir()
cat = departments.catalog(root)
st.caption("新しい所属を作れるのは市全体の編集者だけです。所属の編集者は、自分の所属に年度を追加できます。")
if cat.departments and not cat.single:
    st.text("いまある所属: " + "、".join(cat.departments))
dept_id = st.text_input("所属ID（半角の英小文字・数字・「-」「_」。例 minato-ku）", key="pi_dept_id").strip()
exists = dept_id in cat.departments and not cat.single
if dept_id and (early := rights_refusal(dept_id, exists)):  # said before the click; checked again at it
    st.warning(escape(early), icon=":material/lock:")
st.text(f"保存先: {root}/<所属ID>/{fy}/（既にある年度のフォルダは上書きしません）")
try:
    reviewed = imp.with_choices(choices_from(edited))
except ValueError as exc:
    refuse("", exc)
    st.stop()
st.download_button("CSV をまとめてダウンロード（ZIP）", pi.archive(reviewed), f"policy_{fy}.zip", key="pi_zip",
                   on_click="ignore", icon=":material/download:")
if st.button("この所属の運営方針として保存", key="pi_save", type="primary", icon=":material/save:"):
    if ui_auth.require_editor(ACTION):
        save(reviewed, root, dept_id, fy, exists)
