"""履歴: every batch as registered, the original files, 取り消し (rollback) and 元に戻す (restore), the event log."""
from collections.abc import Callable
from functools import partial

import pandas as pd
import streamlit as st

import ui
from kpi import evaluation as ev
from kpi import fiscal, fmt, provenance, service, text
from kpi.service import SAMPLE_LABEL
from kpi.store import SOURCE_LABELS, StoreError
from ui import auth as ui_auth

# User text (file names, user names, reasons) is shown with st.text, in tables or as widget options, never as markdown.


when = fiscal.datetime_label  # 和暦: 令和8年11月29日 01:57


def act(kind: str, batch_id: str) -> None:
    """on_click of 取り消し / 元に戻す: rights checked again at the click; recorded as an event, nothing is deleted."""
    if not ui_auth.require_editor("取り消しと元に戻す"):
        return
    s, reason = ui.store(), st.session_state.get("reason", "")
    try:
        reason = text.clean("batch.reason", reason)  # the one text rule (kpi.text), as on the command line
    except ValueError as exc:
        st.session_state["_history_flash"] = ("error", str(exc))
        return
    user = ui_auth.current_user()

    def change() -> str:
        if kind == "rollback":
            s.rollback(batch_id, user, reason)
            return "選んだファイルの登録を取り消しました。この操作は「元に戻す」で戻せます（下の記録に残ります）。"
        s.restore(batch_id, user, reason)
        return "選んだファイルの登録を元に戻しました（下の記録に残ります）。"

    if write("history-" + kind, change):
        st.session_state["confirm_rollback"] = False
        st.session_state["reason"] = ""


def remove_sample() -> str:
    """「削除する」: every active sample batch rolled back (recorded, reversible: 元に戻す)."""
    n = service.remove_sample(ui.store(), ui_auth.current_user())
    return f"サンプルデータ（{n}件のバッチ）を削除しました。" if n else "サンプルデータは、ほかの人が先に削除していました（変更はありません）。"


def write(kind: str, change: Callable[[], str]) -> bool:
    """Make one change to the store and say at the top of the page what came of it: what ``change`` returns, the
    store's refusal (nothing changed), or a reference to the log when the store cannot be written; never a traceback."""
    try:
        done = change()
    except KeyError:
        st.session_state["_history_flash"] = ("error", "選んだ登録が見つかりません。画面を再読み込みしてください。")
        return False
    except StoreError as exc:  # already in that state, or changed by someone else at the same moment
        st.cache_data.clear()
        st.session_state["_history_flash"] = ("error", f"できませんでした（何も変更していません）: {exc}")
        return False
    except OSError as exc:  # the store cannot be written: a reference to the log, never the exception
        ref = ui.store().log_exception(kind, exc)
        st.session_state["_history_flash"] = ("error", f"記録できませんでした。管理者に連絡してください（ログ参照: {ref}）")
        return False
    st.cache_data.clear()
    st.session_state["_history_flash"] = ("success", done)
    return True


def detail_lines(b, coverage) -> str:
    """The batch's record as plain text (st.text): what the user typed or uploaded is never interpreted."""
    return "\n".join([
        f"ファイル名　{b.file_name}",
        f"対象　　　　{fmt.coverage_text(coverage)}",
        f"登録日時　　{fiscal.datetime_label(b.created_at)}（日本時間）",
        f"登録者　　　{b.user}",
        f"経路　　　　{SOURCE_LABELS.get(b.source, b.source)}",
        f"行数　　　　{b.rows:,}行（新規 {b.counts.get('新規', '－')}、変更 {b.counts.get('変更', '－')}、変更なし {b.counts.get('変更なし', '－')}）",
        f"ファイル　　{b.size:,} バイト　SHA-256 {b.sha256}",
        f"バッチID　　{b.batch_id}",
    ])


p, f = ui.policy(), ui.filters()
ui.heading("履歴", p, f)
s, editor = ui.store(), ui_auth.can_edit()

flash = st.session_state.pop("_history_flash", None)
if flash:
    (st.success if flash[0] == "success" else st.error)(ui.escape(flash[1]))

if editor and ui.data.sample_batches():
    # Here, with the batches it rolls back, not on 概要: the screen a meeting looks at carries no removal (and its
    # popover cost 概要's first load 0.06–0.08× of the one-line page, bench/HISTORY.md). Behind a button that says
    # what will happen, then the one that does it: a second click for a removal, words a touch screen and a keyboard reach.
    with st.popover("サンプルデータを削除…", icon=":material/delete:", key="remove_sample_menu"):
        st.caption("サンプル（架空）の実績をすべて削除します。取り消しとして記録され、このページの「元に戻す」で戻せます。")
        if st.button("削除する", key="remove_sample", type="primary") and ui_auth.require_editor("サンプルデータの削除"):
            write("history-remove-sample", remove_sample)
            st.rerun()

batches = s.batches()
st.subheader("登録されたバッチ")
if not batches:
    st.info("まだ登録された実績はありません。「実績アップロード」から登録できます。")
    st.page_link("app_pages/upload.py", label="実績アップロードへ", icon=":material/upload_file:")
    ui.stop()

st.caption("アップロードした実績は、ファイルごとに1つのバッチとして元のファイルのまま保存され、消されることはありません。"
           "同じ指標・月に複数の値があるときは、有効なバッチのうち最も新しいものの値を使います。"
           "取り消しも記録として残り、「元に戻す」で戻せます。「対象」は、そのファイルの実績の年月と指標の数です。")
covers = ui.batch_coverage()
st.dataframe(pd.DataFrame([{
    # What tells batches apart first (a grid wider than the page scrolls sideways inside itself): counts and ID after.
    "登録日時": when(b.created_at), "登録者": b.user, "ファイル名": b.file_name, "対象": fmt.coverage_text(covers.get(b.batch_id)),
    "状態": b.state, "区分": SAMPLE_LABEL if b.sample else SOURCE_LABELS.get(b.source, b.source), "行数": b.rows,
    "新規": b.counts.get("新規"), "変更": b.counts.get("変更"), "変更なし": b.counts.get("変更なし"), "バッチID": b.batch_id,
} for b in batches]), hide_index=True, key="batches_table")

st.subheader("バッチの詳細")
by_id = {b.batch_id: b for b in batches}
# No state in the labels (a widget keeps its first labels); what a batch covers never changes.
choice = st.selectbox("バッチを選ぶ", list(by_id), key="batch",
                      format_func=lambda bid: f"{fiscal.datetime_label(by_id[bid].created_at)}　{by_id[bid].file_name}"
                      f"　{fmt.coverage_text(covers.get(bid))}" + ("　" + SAMPLE_LABEL if by_id[bid].sample else ""))
b = by_id[choice]
with st.container(border=True, key="batch_detail"):
    state = ":green-badge[:material/check_circle: 有効]" if b.active else ":gray-badge[:material/block: 取り消し済み]"
    st.markdown(state + (f"　:orange-badge[{SAMPLE_LABEL}]" if b.sample else ""))
    st.text(detail_lines(b, covers.get(b.batch_id)))
    st.download_button("元のファイルをダウンロード", data=partial(s.original, b.batch_id), file_name=b.file_name, key="download_original",
                       on_click="ignore", icon=":material/download:", help="アップロードされたときのファイルそのものです")

    if not editor:
        ui_auth.editor_notice("取り消しと元に戻す")
    elif b.active:
        st.markdown("**取り消し**　取り消すと、このバッチの値は集計に使われなくなり、同じ指標・月では一つ前の有効な値が使われます。"
                    "取り消しは記録され、あとで「元に戻す」で戻せます。")
        st.text_input("理由（任意）", key="reason", max_chars=text.max_chars("batch.reason"))
        confirm = st.checkbox(f"このバッチ（{b.rows:,}行）を取り消すことを確認しました", key="confirm_rollback")
        st.button("取り消し", key="rollback", type="primary", disabled=not confirm, on_click=act, args=("rollback", b.batch_id),
                  icon=":material/undo:")
    else:
        st.markdown("**元に戻す**　このバッチは取り消されています。元に戻すと、このバッチの値が再び使われます。")
        st.text_input("理由（任意）", key="reason", max_chars=text.max_chars("batch.reason"))
        st.button("元に戻す", key="restore", type="primary", on_click=act, args=("restore", b.batch_id), icon=":material/redo:")

st.subheader("取り消し・元に戻すの記録")
log = s.event_log()
if log:
    st.dataframe(pd.DataFrame([{
        "日時": when(e["at"]), "操作": e["label"], "ファイル名": e["file_name"], "実行者": e["user"], "理由": e.get("reason", ""),
        "バッチID": e["batch_id"],
    } for e in log]), hide_index=True, key="events_table")
else:
    st.caption("まだ記録はありません。")

st.subheader("年度評価と起点の記録")
recs = ev.history(ev.records(s))
if recs:
    st.caption("評価の上書き、前年度実績の入力（指標の想定ペースの起点になります）、自己評価・今後の方針の記録です。"
               "前年度実績をあとから入力すると起点が変わり、過去の月の状況も変わります。会議で見た内容は「会議資料」の"
               "「この時点の記録で表示」で、その時点の記録のまま作り直せます。")
    st.dataframe(pd.DataFrame([{
        "日時": when(r.at), "記入者": r.user, "年度": fiscal.fy_label(r.fiscal_year), "内容": r.describe(), "記録ID": r.record_id,
    } for r in recs]), hide_index=True, key="evaluation_records_table")
else:
    st.caption("まだ記録はありません。")

st.subheader("作成した資料")
made = provenance.materials(s)
if made:
    st.caption("「会議資料」とコマンド（python -m kpi export）で作成したファイルの記録です。記録番号と日時は資料のフッターにも"
               "印刷されており、「会議資料」の「この時点の記録で表示」やコマンドの --as-known-at で同じ内容を作り直せます。")
    st.dataframe(pd.DataFrame([{
        "作成日時": when(r["at"]), "作成者": r.get("user", ""), "ファイル名": r.get("file_name", ""), "形式": r.get("format", ""),
        "経路": SOURCE_LABELS.get(r.get("source", ""), r.get("source", "")),
        "記録番号": (r.get("provenance") or {}).get("store_sequence"),
        "時点": provenance.Provenance(**r["provenance"]).past().strip("（）") if (r.get("provenance") or {}).get("known_at") else "作成時",
        "基準月": fiscal.month_label(r["provenance"]["as_of"]) if (r.get("provenance") or {}).get("as_of") else "",
        "運営方針の版": (r.get("provenance") or {}).get("policy_version", ""),
    } for r in made]), hide_index=True, key="materials_table")
else:
    st.caption("まだ作成した資料はありません。")
