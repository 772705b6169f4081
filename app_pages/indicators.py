"""指標: every indicator at a glance (one chart and its table), then the detail of the one selected.

Reads top to bottom: the order and the table's form (links: ?order=worst&show=columns) → all indicators in one table
with a bar per row against target and pace (HTML: it loads no chart library and reflows at any width), or every
column as a table → the chosen indicator (kept in the URL,
?indicator=K2-2): its standing and monthly series with the pace and checkpoints (HTML and SVG drawn on the
server, kpi.htmlcharts), data table, check-ins (要因・対策). The page draws no plotly figure: the chart library
is loaded only for the image downloads' server-side rendering.
"""
import pandas as pd
import streamlit as st

import ui
from kpi import charts, checkins, fiscal, fmt, htmlcharts, htmltable, text
from kpi.evaluate import worst_first
from kpi.export.content import chart_name
from kpi.kinds import KINDS
from ui import auth as ui_auth
from ui import export as ui_export

ORDERS = {"issue": "経営課題の順", "worst": "遅れ・注意から（悪い順）"}
SHOWS = {"bars": "達成率の棒", "columns": "すべての列の表"}
NONE = ""  # no indicator chosen: the page is the list alone (no chart library to load)
MENU = "indicator_menu"  # the popover that holds the list of indicators: open or closed

p, f = ui.policy(), ui.filters()
rs, note = ui.results(f)
ui.heading("指標", p, f)
ui.sample_notice(note)
ui.status_metrics(rs)  # the counts, and the rules under them

if not rs:
    st.info(f"{fiscal.fy_label(f.fy)}に目標のある指標は、選択した経営課題にはありません。")
    ui.stop()

# --- every indicator at a glance -----------------------------------------------------------------
st.subheader("指標の一覧")
# 並べ方 and 表示 are links that change the address (?order=worst&show=columns), not widgets: plain HTML in the table's
# element loads no widget's scripts, and the table not shown is not built (a segmented control's five script files
# and the closed table of every column cost 指標's first load 0.07–0.13× of the one-line page, bench/bench_feel.py
# A/B, README). The links keep the view's filters and the indicator chosen below.
order = ui.url_choice("並べ方", list(ORDERS), "order", default="issue", widget=None)
shown = ui.url_choice("表示", list(SHOWS), "show", default="bars", widget=None)
ordered = worst_first(rs) if order == "worst" else rs


chosen = ui.link_choice("indicator", [NONE, *(r.indicator.indicator_id for r in rs)], default=NONE)  # drawn below


def href(**change: str) -> str:
    return ui.view_href({"order": order, "show": shown, "indicator": chosen or None} | change,
                        defaults={"order": "issue", "show": "bars"})


choices = (htmltable.choices_html("並べ方", [htmltable.Choice(text, None if k == order else href(order=k), f"order:{k}") for k, text in ORDERS.items()])
           + htmltable.choices_html("表示", [htmltable.Choice(text, None if k == shown else href(show=k), f"show:{k}") for k, text in SHOWS.items()],
                                    style=False))
marks = charts.bullets_key(ordered)  # what the marks mean: under the table and in the saved image's footer
linked = shown == "bars"  # the list's names are links to their detail; the table of every column has none
if linked:  # a table with a bar in each row: no chart library to load, and it reflows at any width
    table = charts.bar_table_html(ordered, f"{len(ordered)}指標の達成状況（{fiscal.fy_label(f.fy)}・基準 {fiscal.month_label(f.as_of)}末）", key=marks,
                                  detail=charts.DetailLinks(lambda i: href(indicator=i), chosen or None, ui.INDICATOR_DETAIL))
else:
    table = htmltable.dict_table_html([{
        "指標ID": r.indicator.indicator_id,
        "指標": r.indicator.short_name,
        "状況": fmt.status_shown(r),
        "実績": fmt.value_text(r),
        "目標": fmt.target_text(r.indicator, r.target),
        "達成率": fmt.progress_text(r),
        "前回の報告から": "\n".join(fmt.change_lines(r)),
        "評価": fmt.grade_text(r) if r.grade else "",
        "最終報告月": fmt.last_report_text(r),
        "年度末見込み": fmt.with_unit(r.forecast, r.indicator.unit),
    } for r in ordered], f"{len(ordered)}指標の一覧（{fiscal.fy_label(f.fy)}・基準 {fiscal.month_label(f.as_of)}末、すべての列）",
        nowrap=("指標ID", "最終報告月"))
ui.html(choices + table + htmltable.caption_html(note.text))
ui_export.chart_downloads(ui.overview_figure(f, ordered), chart_name(p.text("department"), f.fy, "指標の達成状況"), key="overview_chart",
                          footer="　".join(marks) + f"　{note.text}　基準: {fiscal.month_label(f.as_of)}末")

# --- one indicator in detail ---------------------------------------------------------------------
st.subheader("指標の詳細")
by_id = {r.indicator.indicator_id: r for r in ordered}


def choice_name(i: str) -> str:
    return "（選んでください）" if i == NONE else f"{i} {by_id[i].indicator.short_name}（{fmt.status_text(by_id[i].status)}）"


def close_menu() -> None:
    """A choice made closes the list: the page's detail is what the person wanted to see."""
    st.session_state[MENU] = False


# Before any is chosen, the list's names above are the way in (links: no widget, and no popover to draw on the page's
# first screen, which cost 0.03–0.07× of the one-line page, bench/HISTORY.md). Once one is shown, or in the table of
# every column, the indicators also wait as a list in a popover whose button names the current one: its widget is
# drawn only once it is opened (a list box on the page cost 指標's first load 0.08 s with the browser's files cached,
# 0.12 s without). Arrow keys move between the indicators, Enter or a click chooses one and closes the list.
menu = {"widget": None} if linked and chosen == NONE else {
    "widget": st.pills, "required": True, "format_func": lambda i: ui.escape(choice_name(i)), "on_change": close_menu,
    "within": lambda shown: st.popover(ui.escape(f"詳しく見る指標：{choice_name(shown)}"), icon=":material/monitoring:", key=MENU,
                                       on_change="rerun")}
iid = ui.url_choice("詳しく見る指標", [NONE, *by_id], "indicator", default=NONE, noun="指標", **menu)
if iid == NONE:
    st.caption(("一覧の指標名を選ぶと" if linked else "指標を選ぶと")
               + "、達成状況、想定ペースと中間目標の入った月次推移、月ごとの数値、振り返り（要因・対策）をここに表示します。選んだ指標はリンクにも残ります。")
    ui.stop()
r = by_id[iid]
ind = r.indicator
issue = p.issues[ind.issue_id]
gauge, series = ui.detail_figures(f, iid)
with st.container(border=True, key=ui.INDICATOR_DETAIL):
    st.markdown(f"##### {ui.escape(f'{ind.indicator_id}　{ind.short_name}')}")
    st.caption(ui.escape(f"{issue.label} {issue.short_title}｜{ind.strategy}｜{r.target.source_text}｜集計: {KINDS[ind.aggregation].label}"
                         + (f"｜期間: {fiscal.fy_label(ind.period[0])}〜{fiscal.fy_label(ind.period[1])}" if ind.period else "")))
    left, right = st.columns([2, 3])
    with left:
        ui.html(htmlcharts.gauge_html(r))
        ui_export.chart_downloads(gauge, chart_name(p.text("department"), f.fy, issue.label, iid, "達成状況"), key="gauge", width=700,
                                  title=f"{iid} {ind.short_name} 達成状況", footer=f"{note.text}　基準: {fiscal.month_label(r.as_of)}末")
        e = ui.escape  # the texts below hold the policy's units and wording: literal, never Markdown
        facts = [
            f"**状況** {e(fmt.status_shown(r))}" + (f"　**評価** {e(fmt.grade_text(r))}" if r.grade else ""),
            f"**実績** {e(fmt.value_text(r))}　**目標** {e(fmt.target_text(ind, r.target))}　**{e(fmt.progress_sentence(r))}**",
            f"**{e(fmt.pace_text(r))}**",
            f"**前回の報告から** {e(fmt.change_text(r))}"
            + (e(f"（{fiscal.month_label(r.prior_month)}時点 {fmt.with_unit(r.prior_value, ind.unit)}、{fmt.status_change_text(r)}）")
               if r.prior_month else ""),
            f"**最終報告月** {e(fmt.last_report_text(r))}　**年度末見込み** {e(fmt.with_unit(r.forecast, ind.unit))}",
        ]
        if r.months_meeting_target is not None:
            facts.append(f"**目標に達した月** {r.months_meeting_target} / {r.months_reported}か月")
        if r.previous is not None:
            facts.append(f"**前年度実績** {e(fmt.with_unit(r.previous, ind.unit))}（{e(r.previous_source)}）")
        st.markdown("  \n".join(facts))
        if r.override is not None:
            st.text(f"※ 評価の上書き: {fmt.grade_label(r.override.grade)}（算定 {r.computed_grade or '未確定'}）"
                    f"　理由: {r.override.reason}（{fmt.signed(r.override.user, r.override.at)}）")
    with right:
        ui.html(htmlcharts.series_html(r))
        source = f"{note.text}　基準: {fiscal.month_label(r.as_of)}末"
        st.caption(ui.escape(source))
        ui_export.chart_downloads(series, chart_name(p.text("department"), f.fy, issue.label, iid, "月次推移"), key="series", width=900, footer=source)
        with st.expander("データ（表）"):
            ui.table(pd.DataFrame([{
                "年月": fiscal.month_label(pt.month), f"実績（{ind.unit}）": fmt.number(pt.value),
                "分子": fmt.number(pt.numerator) if pt.numerator is not None else "", "分母": fmt.number(pt.denominator) if pt.denominator is not None else "",
            } for pt in r.points]), alt=f"{iid} の月次の実績（上のグラフの数値）")

    st.markdown("**振り返り（要因・対策）**")
    if r.checkin:
        c = r.checkin
        st.text(f"{fmt.checkin_signature(r)}\n要因: {c.cause}\n対策: {c.action}"
                + (f"\nコメント: {c.comment}" if c.comment else ""))
    else:
        st.caption("この年度の振り返りはまだ記入されていません。")
    log = checkins.history(ui.inputs(f).checkins, iid, f.fy)
    if len(log) > 1:
        with st.expander(f"振り返りの履歴（{len(log)}件）"):
            ui.table(pd.DataFrame([{"年月": fiscal.month_label(c.month), "要因": c.cause, "対策": c.action, "コメント": c.comment,
                                    "記入者": c.user, "日時": fiscal.datetime_label(c.at)} for c in log]),
                     user_columns=["要因", "対策", "コメント", "記入者"], alt=f"{iid} の振り返りの履歴")
    if ui_auth.can_edit():
        months = [m for m in fiscal.fy_months(f.fy) if m <= f.as_of]
        with st.expander("振り返りを書く（編集者）", icon=":material/edit_note:"):
            with st.form("checkin_form", clear_on_submit=True, border=False):
                month = st.selectbox("対象の月", months[::-1] or [f.as_of], key="checkin_month", format_func=fiscal.month_label)
                cause = st.text_area("要因（なぜ動いたか）", key="checkin_cause", max_chars=text.max_chars(checkins.FIELDS["cause"]))
                action = st.text_area("対策（次に何をするか）", key="checkin_action", max_chars=text.max_chars(checkins.FIELDS["action"]))
                comment = st.text_input("状況のコメント（任意）", key="checkin_comment",
                                        max_chars=text.max_chars(checkins.FIELDS["comment"]))
                if st.form_submit_button("振り返りを記録", type="primary"):
                    ui.write_as_editor(lambda: checkins.add(ui.store(), iid, month, cause, action, ui_auth.current_user(), comment,
                                                            known_ids=list(p.indicators)),
                                       f"{iid} の{fiscal.month_label(month)}の振り返りを記録しました")
    else:
        ui_auth.editor_notice("振り返りの記入")
