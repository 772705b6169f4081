"""年度評価: the seed's アウトカム指標の達成状況 per 経営課題, grade overrides, 前年度実績, 自己評価・今後の方針.

Reads top to bottom: the filters (sidebar) → the page's data (kpi.evaluation.page_view over the
indicators' one record each) → totals and tables → the editors' forms → the years → the history.
"""
from functools import partial

import pandas as pd
import streamlit as st

import ui
from kpi import charts, fiscal, fmt, text
from kpi import evaluation as ev
from kpi.export import FORMATS, Scope, publish, scope_file_name
from kpi.export.content import chart_name
from kpi.reader.limits import MAX_ABS_NUMBER
from ui import auth as ui_auth
from ui import export as ui_export

# The deciding columns in a table that wraps (no sideways scrolling); the reasoning, overrides and sources below it.
SCREEN_COLUMNS = ["指標ID", "指標", "目標", "年度実績", "達成率", "算定評価", "最終評価", "前年度実績"]
DETAIL_COLUMNS = ["指標ID", "算定の根拠", "要因分析（最新の振り返り）", "前年度実績の出典"]

p, f = ui.policy(), ui.filters()
rs, note = ui.results(f)
view = ui.evaluation_view(f)
s, editor, user = ui.store(), ui_auth.can_edit(), ui_auth.current_user()
rows, ended = view.report.rows, view.ended
write = ui.write_as_editor


ui.heading("年度評価", p, f)
ui.sample_notice(note)
if ended:
    st.caption(f"{fiscal.fy_label(f.fy)}の実績（基準月 {fiscal.month_label(f.as_of)}末時点）による年度末評価です。"
               "年度の値が目標に到達していれば A（達成）、そうでなければ B（未達成）。編集者は理由を記入して評価を上書きでき、"
               "上書きした評価は※を付けて算定評価と並べて示します。")
else:
    st.warning(f"基準月 {fiscal.month_label(f.as_of)}末の時点では{fiscal.fy_label(f.fy)}は終わっていません"
               f"（{fiscal.months_elapsed(f.fy, f.as_of)}か月経過）。評価は **{ev.PROVISIONAL_LABEL}** で、表の値はその時点の暫定値です。"
               "A / B は年度終了後（基準月が3月以降）に確定します。", icon=":material/hourglass_top:")
st.caption("基準月を選ぶと、その月末時点までの実績で評価します（それより後の月の実績は使いません）。"
           "評価の上書き・前年度実績の入力・自己評価などの文章は、記録された最新の内容を表示し、以前の内容は履歴に残ります。")
ui.status_rules()

if rows:
    t = view.totals
    cols = st.columns(4)
    cols[0].metric("指標", f"{t.indicators}件")
    cols[1].metric("A（達成）", "－" if t.a is None else f"{t.a}件")
    cols[2].metric("B（未達成）", "－" if t.b is None else f"{t.b}件")
    cols[3].metric("上書き", f"{t.overridden}件")
else:
    st.info(f"{fiscal.fy_label(f.fy)}に目標のある指標は、選択した経営課題にはありません。")

if rows:  # the year's result in the form the city posts it: built only when the button is pressed
    scope = Scope(f.fy, tuple(f.issues), f.as_of, ("evaluation",))
    st.download_button("公表用の運営方針（HTML・Excel様式・PDF）", data=partial(publish.zip_for, s, p, scope),
                       file_name=scope_file_name(p, scope, FORMATS["publish"]), mime="application/zip", key="publish_download",
                       on_click="ignore", icon=":material/download:",
                       help="年度末の運営方針を公表する形（ウェブページ・Excel の様式・PDF）で。達成状況は「…：A」の文言、"
                            "上書きした評価は※と理由の注記付き。" + ("" if ended else "年度途中のため A/B は未確定と記載します。"))

for iid in f.issue_ids(p):
    mine, issue_texts = view.rows_of(iid), view.issue_texts(p, iid)
    if not mine and not issue_texts:
        continue
    with st.container(border=True, key=f"eval_issue_{iid}"):
        st.subheader(ui.escape(f"{p.issues[iid].label}　{p.issues[iid].short_title}"))
        st.markdown(f"**アウトカム指標の達成状況**　{fiscal.fy_label(f.fy)}実績と達成状況（※A：達成　B：未達成）")
        table = pd.DataFrame([r.record() for r in mine], columns=SCREEN_COLUMNS)
        if not ended:  # the year is still running: say where each indicator stands, as on the 指標 page
            table.insert(5, "状況（基準月時点）", [fmt.status_shown(r.result) for r in mine])
        ui.table(table, alt=f"{p.issues[iid].label}のアウトカム指標の達成状況（{len(mine)}指標）")
        for r in mine:
            if r.overridden:
                st.text(f"※ {r.indicator_id} {r.indicator}: 算定評価 {r.computed_label} を {ev.grade_label(r.override_grade)} に上書き"
                        f"（{fmt.signed(r.override_user, r.override_at)}）\n理由: {r.override_reason}")
        with st.expander("算定の根拠・要因分析・前年度実績の出典"):
            ui.table(pd.DataFrame([r.record() for r in mine], columns=DETAIL_COLUMNS), user_columns=DETAIL_COLUMNS[2:],
                     alt=f"{p.issues[iid].label}の算定の根拠と要因分析")
        for t in issue_texts:
            st.markdown(f"**{ui.escape(t.title)}**")
            st.text(t.text)
            st.text(fmt.signed(t.user, t.at, "　"))

if editor and rows:
    with st.expander("評価の上書き・前年度実績の入力（編集者）", icon=":material/edit:"):
        by_id = {r.indicator_id: r for r in rows}
        left, right = st.columns(2)
        with left, st.form("override_form", clear_on_submit=True, border=True):
            st.markdown("**評価を上書きする**（理由の記入が必要です）")
            target_id = st.selectbox("指標", list(by_id), key="override_indicator",
                                     format_func=lambda i: f"{i} {by_id[i].indicator}（算定 {by_id[i].computed_grade or '未確定'}）")
            grade = st.radio("上書き後の評価", list(ev.GRADES), key="override_grade", horizontal=True,
                             format_func=lambda g: f"{g}（{ev.GRADES[g]}）")
            reason = st.text_area("理由", key="override_reason", placeholder="例: 年度末に実施済み（実績の報告漏れ）",
                                  max_chars=text.max_chars("override.reason"))
            if not ended:
                st.caption("年度途中は評価が確定していないため、上書きは年度終了後に反映されます。")
            if st.form_submit_button("上書きを記録", type="primary"):
                write(lambda: ev.set_override(s, f.fy, target_id, grade, reason, user), f"{target_id} の評価の上書きを記録しました")
        active = [r.indicator_id for r in rows if r.overridden]
        with left:
            if active:
                withdraw_id = st.selectbox("上書きを取り消す指標", active, key="withdraw_indicator")
                if st.button("上書きを取り消す", key="withdraw_override", help="取り消しも履歴に記録されます"):
                    write(lambda: ev.withdraw_override(s, f.fy, withdraw_id, user), f"{withdraw_id} の上書きを取り消しました")
        with right, st.form("previous_form", clear_on_submit=True, border=True):
            st.markdown(f"**前年度実績を入力する**（{fiscal.fy_label(f.fy - 1)}の値。実績からの算定値より優先されます）")
            prev_id = st.selectbox("指標", list(by_id), key="previous_indicator",
                                   format_func=lambda i: f"{i} {by_id[i].indicator}（{by_id[i].unit}）")
            value = st.number_input("前年度実績", value=None, key="previous_value", step=1.0, format="%g", min_value=0.0,
                                    max_value=MAX_ABS_NUMBER)
            prev_note = st.text_input("出典・備考", key="previous_note", placeholder=f"例: {fiscal.fy_label(f.fy - 1)}の運営方針の実績欄",
                                      max_chars=text.max_chars("previous.note"))
            if st.form_submit_button("前年度実績を記録"):
                if value is None:
                    st.error("前年度実績の値を入力してください")
                else:
                    write(lambda: ev.set_previous(s, f.fy, prev_id, value, user, prev_note), f"{prev_id} の前年度実績を記録しました")
        entered = [r.indicator_id for r in rows if r.result.previous_entry is not None]
        with right:
            if entered:
                unset_id = st.selectbox("入力を取り消す指標", entered, key="previous_withdraw_indicator")
                if st.button("前年度実績の入力を取り消す", key="withdraw_previous"):
                    write(lambda: ev.withdraw_previous(s, f.fy, unset_id, user), f"{unset_id} の前年度実績の入力を取り消しました")
elif rows:
    ui_auth.editor_notice("評価の上書き・前年度実績の入力・文章の編集")

st.subheader(f"{fiscal.fy_label(f.fy)}の自己評価と今後の方針")
for t in view.policy_texts(p):
    with st.container(border=True, key=f"policy_text_{t.key}"):
        st.markdown(f"**{ui.escape(t.title)}**")
        if t.text:
            st.text(t.text)
            st.text(f"最終更新: {fmt.signed(t.user, t.at, '　')}")
        else:
            st.caption("未記入")

if editor:
    with st.expander("自己評価・今後の方針を書く（編集者）", icon=":material/edit_note:"):
        scopes = [None, *f.issue_ids(p)]
        scope = st.selectbox("対象", scopes, key="text_scope",
                             format_func=lambda i: "運営方針全体" if i is None else f"{p.issues[i].label} {p.issues[i].short_title}")
        with st.form("text_form", border=False):
            drafts = {}
            for key, label in ev.TEXT_KEYS.items():
                current = view.current_texts.get((key, scope))
                drafts[key] = st.text_area(label, value=current.text if current else "", height=160,
                                           key=f"text_{key}_{scope}_{current.record_id if current else ''}",
                                           max_chars=text.max_chars(ev.TEXT_FIELDS[key]))
            if st.form_submit_button("保存", type="primary"):
                changed = [k for k, v in drafts.items() if v.strip() != ev.text_of(view.current_texts, k, scope)]
                if changed:
                    write(lambda: [ev.set_text(s, f.fy, k, drafts[k], user, issue_id=scope) for k in changed],
                          "保存しました（以前の内容は履歴に残ります）")
                else:
                    st.info("変更はありません")

st.subheader("年度ごとの推移")
st.caption("各年度の値は実績から指標の集計方法で求めます（実績がなければ入力された前年度実績）。目標は運営方針に記載のある年度だけ表示し、"
           "評価は年度が終わった年度だけ（※は上書き）。複数年度にわたる指標は期間の各年度を表示します。")
years, table = ev.yearly_table(p, view.yearly)
if table:
    ui.table(pd.DataFrame(table), alt="指標ごとの年度ごとの実績と目標")
    chart_id = st.selectbox("グラフで見る指標", list(view.yearly), key="yearly_indicator",
                            format_func=lambda i: f"{i} {p.indicators[i].short_name}")
    ind = p.indicators[chart_id]
    yearly_fig = charts.yearly(ind, [(y.fiscal_year, y.value, y.target.value if y.target else None) for y in view.yearly[chart_id]])
    ui.chart(yearly_fig, key="yearly_chart")
    source = f"{note.text}　基準: {fiscal.month_label(f.as_of)}末"
    st.caption(ui.escape(source))
    ui_export.chart_downloads(yearly_fig, chart_name(p.text("department"), f.fy, ind.indicator_id, "年度推移"), key=f"yearly_{chart_id}", footer=source)

with st.expander(f"変更の履歴（{fiscal.fy_label(f.fy)}）"):
    log = view.history()
    if log:
        ui.table(pd.DataFrame([{"日時": fiscal.datetime_label(r.at), "利用者": r.user, "内容": r.describe(), "文章": r.text}
                               for r in log]), user_columns=["利用者", "内容", "文章"], alt="年度評価の変更の履歴")
    else:
        st.caption("まだ記録はありません。")
st.caption(ui.escape(note.text))
