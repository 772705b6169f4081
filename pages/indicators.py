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
                    f"**状況** {fmt.status_text(r.status)}" + (f"　**評価** {r.grade}（{'達成' if r.grade == 'A' else '未達成'}）" if r.grade else ""),
                    f"**実績** {fmt.with_unit(r.value, ind.unit)}　**目標** {fmt.target_text(ind, r.target)}　**達成率** {fmt.percent(r.progress)}",
                    f"**想定ペース** {fmt.with_unit(r.expected, ind.unit)}（{r.months_elapsed}か月経過）",
                    f"**最終報告月** {fiscal.month_label(r.last_month) if r.last_month else '未報告'}　**年度末見込み** {fmt.with_unit(r.forecast, ind.unit)}",
                ]
                if r.months_meeting_target is not None:
                    facts.append(f"**目標に達した月** {r.months_meeting_target} / {r.months_reported}か月")
                if r.previous is not None:
                    facts.append(f"**前年度実績** {fmt.with_unit(r.previous, ind.unit)}")
                st.markdown("  \n".join(facts))
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
st.dataframe(ui.results_frame(rs, p), hide_index=True, key="indicator_table",
             column_config={"達成率": st.column_config.ProgressColumn("達成率", format="%.0f%%", min_value=0, max_value=100)})
st.caption(note.text)
