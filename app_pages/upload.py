"""実績アップロード: templates, then upload → preview (new / changed / unchanged, warnings, errors) → 登録."""

import secrets

import pandas as pd
import streamlit as st

import ui
from kpi import fiscal, fmt, importer, template
from ui import auth as ui_auth
from ui.turns import TURNS

MAX_LISTED = 100  # problems listed as text; all of them are in the table below
MAX_TABLE = 1000  # preview rows sent to the browser
# User text (file names, cell contents in messages) never goes through markdown: Streamlit's markdown turns
# :material/…: into icons and bare addresses into links even when escaped. It is shown with st.text or in tables.


@st.cache_data(show_spinner="テンプレートを作成しています…", max_entries=32)
def templates(data_folder: str, fy: int, issues: tuple[str, ...], filled_at: str | None = None) -> tuple[bytes, bytes, bytes]:
    """The three templates; ``filled_at`` (the store's version) fills in the actuals registered for ``fy``."""
    pol, ids = ui.load(data_folder), list(issues)
    months = fiscal.fy_months(fy)
    acts = ui.store().current(months[0], months[-1]) if filled_at is not None else None
    return (template.template_xlsx(pol, fy, ids, acts), template.template_csv(pol, fy, ids, "cp932", acts),
            template.template_csv(pol, fy, ids, "utf-8-sig", acts))


def preview_session() -> str:
    """This page session's key to its preview in ``importer.PREVIEWS`` (the preview itself stays out of session state,
    which Streamlit keeps for a while after the browser closes: the server-side cache is bounded and drops idle ones)."""
    if "_upload_session" not in st.session_state:
        st.session_state["_upload_session"] = secrets.token_urlsafe(16)
    return st.session_state["_upload_session"]


def do_commit(session: str, key: tuple) -> None:
    """on_click of 登録: runs before the page, so the uploader can be reset here. Rights are checked again here."""
    if not ui_auth.require_editor("実績の登録"):
        importer.PREVIEWS.drop(session)
        return
    pv = importer.PREVIEWS.get(session, key)
    if pv is None:  # dropped while the page stood idle (or by a newer preview): look again, nothing written
        st.session_state["_upload_flash"] = ("error", "プレビューの有効期限が切れました（何も保存していません）。内容をもう一度確認してから登録してください",
                                             "")
        return
    try:
        importer.commit(ui.store(), pv, ui_auth.current_user())
    except importer.StalePreview as exc:
        st.session_state["_upload_flash"] = ("error", str(exc), pv.file_name)
        importer.PREVIEWS.drop(session)  # the next run previews again against the store as it is now
        return
    except (ValueError, OSError) as exc:
        ref = ui.store().log_exception("upload-commit", exc)
        st.session_state["_upload_flash"] = ("error", f"登録できませんでした（何も保存していません）。管理者に連絡してください（ログ参照: {ref}）",
                                             pv.file_name)
        return
    st.cache_data.clear()  # every page reads the new figures on its next run
    st.session_state["_upload_flash"] = ("success", f"登録しました（{pv.read.n_rows:,}行: "
                                                    f"新規 {pv.count(importer.NEW):,}、変更 {pv.count(importer.CHANGED):,}、"
                                                    f"変更なし {pv.count(importer.UNCHANGED):,}）。登録の詳細（バッチID など）は「履歴」にあります。",
                                         pv.file_name)
    st.session_state["_upload_n"] = st.session_state.get("_upload_n", 0) + 1
    importer.PREVIEWS.drop(session)


def problem_list(problems: list, key: str) -> None:
    """Problems as plain text lines (they quote cell contents), all of them in a table when there are many."""
    with st.container(key=key):
        st.text("\n".join(str(p) for p in problems[:MAX_LISTED]))
        if len(problems) > MAX_LISTED:
            st.caption(f"…ほか {len(problems) - MAX_LISTED:,}件（下の表にすべてあります）")
            st.dataframe(pd.DataFrame(importer.problem_table(problems[:MAX_TABLE * 10])), hide_index=True, key=f"{key}_table")


p, f = ui.policy(), ui.filters()
ui.heading("実績アップロード", p, f)
known = ui.department(f).combined_policy()  # an upload may hold any of the department's years
store, editor, limit_mb = ui.store(), ui_auth.can_edit(), importer.max_upload_mb()

flash = st.session_state.pop("_upload_flash", None)
if flash:
    with st.container(key="upload_flash"):
        (st.success if flash[0] == "success" else st.error)(ui.escape(flash[1]))
        if flash[2]:
            st.text(f"ファイル: {flash[2]}")
    if flash[0] == "success":
        st.page_link("app_pages/history.py", label="履歴で確認する", icon=":material/history:")

# --- templates -----------------------------------------------------------------------
st.subheader("テンプレート")
issue_ids = tuple(f.issue_ids(p))
scope = ui.escape("・".join(p.issues[i].label for i in f.issues)) if f.issues else "すべての経営課題"
st.caption(f"{fiscal.fy_label(f.fy, western=True)}・{scope}の指標（サイドバーの条件）について、指標ID・指標名・単位と月の列が入った"
           "記入用ファイルです。月の列に実績を書き込み、そのままアップロードできます。比率の指標には分子・分母の行、"
           "どの指標にも備考の行があります。")
filled = st.toggle("登録済みの実績を入れる（この年度の登録済みの値・分子・分母・備考を記入した状態で作成）", key="template_filled",
                   help="修正や追加の月だけを書き換えてアップロードできます。変更のない月は「変更なし」として扱われます。")
xlsx, csv_sjis, csv_utf8 = templates(ui.folder(f), f.fy, issue_ids, str(ui.store().version()) if filled else None)
stem = template.template_name(f.fy, "x", p.text("department"))[:-2] + (f"_経営課題{'-'.join(f.issues)}" if f.issues else "")
c1, c2, c3 = st.columns(3)
c1.download_button("Excel（.xlsx）", xlsx, f"{stem}.xlsx", key="template_xlsx", on_click="ignore", icon=":material/download:",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
c2.download_button("CSV（Excel向け Shift_JIS）", csv_sjis, f"{stem}.csv", key="template_csv", on_click="ignore",
                   icon=":material/download:", mime="text/csv")
c3.download_button("CSV（UTF-8 BOM付き）", csv_utf8, f"{stem}_utf8.csv", key="template_csv_utf8", on_click="ignore",
                   icon=":material/download:", mime="text/csv")

# --- upload --------------------------------------------------------------------------
st.subheader("実績ファイルのアップロード")
if not editor:
    ui_auth.editor_notice("実績のアップロードと登録")
    ui.stop()

st.caption("CSV（UTF-8 または Shift_JIS、カンマ区切りまたはタブ区切り）か Excel（.xlsx）。"
           "1行に1指標・1か月の形式（指標ID, 年月, 実績値, 分子, 分母, 備考）か、テンプレートの形式（1行に1指標、月ごとの列）。"
           f"上限 {limit_mb} MB。エラーが1件でもあるファイルは登録しません。「登録」を押すまで何も保存されません。")
up = st.file_uploader("実績ファイル", type=["csv", "tsv", "txt", "xlsx"], key=f"upload_file_{st.session_state.get('_upload_n', 0)}",
                      max_upload_size=limit_mb)
session = preview_session()
if up is None:
    importer.PREVIEWS.drop(session)
    ui.stop()

version = store.version()
preview_key = (up.file_id, version)
pv = importer.PREVIEWS.get(session, preview_key)
if pv is None:
    raw = up.getvalue()
    with TURNS.aside(), st.status("ファイルを確認しています…", expanded=len(raw) > 1_000_000) as box:
        st.text(f"ファイル: {up.name}")
        pv = importer.preview(store, known, raw, up.name, progress=st.text)
        box.update(label=f"確認しました: {pv.read.n_rows:,}行" if pv.ok else "このファイルは登録できません",
                   state="complete" if pv.ok else "error", expanded=False)
    importer.PREVIEWS.put(session, preview_key, pv)

counts = pv.summary()
st.text(f"ファイル: {pv.file_name}")
if pv.ok:
    cols = st.columns(4)
    cols[0].metric("読み取った行", f"{counts['rows']:,}行")
    cols[1].metric("新規", f"{counts['new']:,}行")
    cols[2].metric("変更", f"{counts['changed']:,}行")
    cols[3].metric("変更なし", f"{counts['unchanged']:,}行")
    st.caption(f"このファイルの実績: {fmt.coverage_text(pv.coverage)}（年月と指標の数。登録すると「履歴」にもこう表示されます）")

if pv.warnings:
    st.warning(f"**注意 {len(pv.warnings):,}件**（登録はできます。内容を確認してください）", icon=":material/warning:")
    problem_list(pv.warnings, "upload_warnings")

if not pv.ok:
    problems = pv.errors
    head = (f"**このファイルは登録できません（何も保存していません）。** 次の {len(problems):,}件を直してから、もう一度アップロードしてください。"
            "行番号は Excel の行番号（見出し行 = 1行目）です。") if problems else "**このファイルには登録できる行がありません（何も保存していません）。**"
    st.error(head, icon=":material/block:")
    problem_list(problems, "upload_errors")
    ui.stop()

shown = f"（先頭 {MAX_TABLE:,}行を表示）"
if counts["changed"]:
    st.markdown(f"**変更される値（{counts['changed']:,}行）** 登録すると新しい値が使われます。変更前の値も履歴に残ります。"
                + (shown if counts["changed"] > MAX_TABLE else ""))
    st.dataframe(pd.DataFrame(importer.change_table(pv, known, limit=MAX_TABLE)).drop(columns="区分"), hide_index=True, key="changed_table")
if counts["new"]:
    with st.expander(f"新規の値（{counts['new']:,}行）" + (shown if counts["new"] > MAX_TABLE else "")):
        st.dataframe(pd.DataFrame(importer.change_table(pv, known, (importer.NEW,), MAX_TABLE)).drop(columns=["区分", "変更前"]),
                     hide_index=True, key="new_table")

st.caption("登録するのはこのプレビューの内容です。プレビューの後に同じ指標・月の実績が他で変更された場合は登録せず、もう一度確認をお願いします。")
if counts["new"] or counts["changed"]:
    st.button("登録", key="commit", type="primary", icon=":material/cloud_upload:", on_click=do_commit, args=(session, preview_key),
              help=f"このファイル（{counts['rows']:,}行）を1つのバッチとして登録します。履歴から取り消せます。")
else:
    st.info("登録済みの実績とすべて同じです。登録しても数値は変わりません。")
    st.button("それでも登録する", key="commit", on_click=do_commit, args=(session, preview_key))
