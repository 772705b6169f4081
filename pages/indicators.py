"""指標: per indicator the gauge against its target and the monthly series against the pace."""
import pandas as pd
import streamlit as st

import ui
import ui_export
from kpi import fiscal, fmt
from kpi.export.content import chart_name
from kpi.kinds import KINDS

p, f = ui.policy(), ui.filters()
rs, note = ui.results(f)
figures = ui.indicator_figures(f)
ui.heading("指標", p, f)
ui.sample_notice(note)
ui.status_metrics(rs)
ui.status_rules()

if not rs:
    st.info(f"{fiscal.fy_label(f.fy)}に目標のある指標は、選択した経営課題にはありません。")

for iid in f.issue_ids(p):
    mine = [r for r in rs if r.indicator.issue_id == iid]
    if not mine:
        continue
    st.subheader(f"{p.issues[iid].label}　{p.issues[iid].short_title}")
    for r in mine:
        ind = r.indicator
        with st.container(border=True, key=f"ind_{ind.indicator_id}"):
            st.markdown(f"##### {ind.indicator_id}　{ind.short_name}")
            st.caption(f"{ind.strategy}｜{r.target.source_text}｜集計: {KINDS[ind.aggregation].label}"
                       + (f"｜期間: {fiscal.fy_label(ind.period[0])}〜{fiscal.fy_label(ind.period[1])}" if ind.period else ""))
            left, right = st.columns([2, 3])
            with left:
                st.plotly_chart(figures[ind.indicator_id][0], theme=None, key=f"gauge_{ind.indicator_id}",
                                config={"displayModeBar": False})
                ui_export.chart_downloads(figures[ind.indicator_id][0], chart_name(f.fy, p.issues[iid].label, ind.indicator_id, "達成状況"),
                                          key=f"gauge_{ind.indicator_id}", width=700, title=f"{ind.indicator_id} {ind.short_name} 達成状況",
                                          footer=f"{note.text}　基準: {fiscal.month_label(r.as_of)}末")
                facts = [
                    f"**状況** {fmt.status_text(r.status)}" + (f"　**評価** {fmt.grade_text(r)}" if r.grade else ""),
                    f"**実績** {fmt.value_text(r)}　**目標** {fmt.target_text(ind, r.target)}　**{fmt.progress_sentence(r)}**",
                    f"**{fmt.pace_text(r)}**",
                    f"**最終報告月** {fiscal.month_label(r.last_month) if r.last_month else '未報告'}　**年度末見込み** {fmt.with_unit(r.forecast, ind.unit)}",
                ]
                if r.months_meeting_target is not None:
                    facts.append(f"**目標に達した月** {r.months_meeting_target} / {r.months_reported}か月")
                if r.previous is not None:
                    facts.append(f"**前年度実績** {fmt.with_unit(r.previous, ind.unit)}（{r.previous_source}）")
                st.markdown("  \n".join(facts))
                if r.override is not None:
                    st.text(f"※ 評価の上書き: {fmt.grade_label(r.override.grade)}（算定 {r.computed_grade or '未確定'}）"
                            f"　理由: {r.override.reason}（{r.override.user}、{r.override.at}）")
            with right:
                st.plotly_chart(figures[ind.indicator_id][1], theme=None, key=f"series_{ind.indicator_id}",
                                config={"displaylogo": False})
                ui_export.chart_downloads(figures[ind.indicator_id][1], chart_name(f.fy, p.issues[iid].label, ind.indicator_id, "月次推移"),
                                          key=f"series_{ind.indicator_id}", width=900)
                with st.expander("データ（表）"):
                    st.dataframe(pd.DataFrame([{
                        "年月": fiscal.month_label(pt.month), f"実績（{ind.unit}）": pt.value,
                        "分子": pt.numerator, "分母": pt.denominator,
                    } for pt in r.points]), hide_index=True, key=f"table_{ind.indicator_id}")

st.subheader("指標の一覧")
st.dataframe(ui.results_frame(rs, p), hide_index=True, key="indicator_table")
st.caption(note.text)
