"""予算: budget growth per 経営課題 from the first settlement to the latest budget."""
import pandas as pd
import streamlit as st

import ui
from kpi import charts, fiscal, fmt
from kpi.evaluate import budget_kinds, budget_span_text, budget_table, growth_ratio, growth_text
from kpi.export.content import chart_name, scope_label
from ui import export as ui_export

p, f = ui.policy(), ui.filters()
ui.heading("予算", p, f)

years, rows = budget_table(p, f.issues or None)
if not rows:
    st.info("選択した経営課題には予算の記載がありません。")
    ui.stop()
first, last = years[0], years[-1]
total_first = sum(r.amounts[first].amount for r in rows if first in r.amounts)
total_last = sum(r.amounts[last].amount for r in rows if last in r.amounts)
all_last = sum(b.amount for b in p.budgets if b.fiscal_year == last)
total_growth = growth_text(growth_ratio(total_first, total_last))

cols = st.columns(len(rows) + 1)
cols[0].metric(f"合計 {fiscal.fy_label(last)}（百万円）", fmt.number(total_last),
               f"{fiscal.fy_short(first)}比 {total_growth}", delta_color="off",
               delta_arrow="off")
for col, r in zip(cols[1:], rows):
    amount = r.amounts.get(last)
    col.metric(ui.escape(f"{p.issues[r.issue_id].label}（百万円）"), fmt.number(amount.amount if amount else None),
               f"{fiscal.fy_short(first)}比 {r.growth_label}", delta_color="off", delta_arrow="off")

budget_fig = charts.budget_chart(p, f.issues or None, f.fy)
ui.chart(budget_fig, key="budget_chart")
ui_export.chart_downloads(budget_fig, chart_name(p.text("department"), f.fy, scope_label(p, f.issues), "予算推移"), key="budget_chart",
                          footer=charts.budget_footer(p, f.issues or None))
st.caption(f"出典: {ui.escape(p.text('source'))}。{budget_span_text(budget_kinds(p, f.issues or None))}（斜線の棒は決算額）。"
           "伸びは最初の年度から最後の年度への倍率で、基準が0の場合は「新規」。")

table = pd.DataFrame([{
    "経営課題": f"{p.issues[r.issue_id].label} {p.issues[r.issue_id].short_title}",
    **{f"{fiscal.fy_label(y)} {r.amounts[y].kind}" if y in r.amounts else fiscal.fy_label(y):
       r.amounts[y].amount if y in r.amounts else None for y in years},
    f"伸び（{fiscal.fy_short(first)}→{fiscal.fy_short(last)}）": r.growth_label,
    f"{fiscal.fy_label(last)} 構成比": f"{r.amounts[last].amount / all_last:.1%}" if last in r.amounts and all_last else "－",
} for r in rows])
total = {"経営課題": "合計" if not f.issues else "合計（選択した経営課題）"}
for c in table.columns[1:1 + len(years)]:
    total[c] = table[c].sum()
total[table.columns[-2]] = total_growth
total[table.columns[-1]] = f"{total_last / all_last:.1%}" if all_last else "－"
table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
st.subheader("予算の表")
st.caption("単位: 百万円")
st.dataframe(table, hide_index=True, key="budget_table",
             column_config={c: st.column_config.NumberColumn(format="localized") for c in table.columns[1:1 + len(years)]})
