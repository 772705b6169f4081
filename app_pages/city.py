"""市全体: every department (所属) in one view — its status counts, budget, the indicators behind, its last report;
a department's name opens its 概要. Shown only when the data root holds several departments."""
import pandas as pd
import streamlit as st

import ui
from kpi import city, fiscal, fmt
from kpi.kinds import STATUSES

f = ui.filters()
cat = ui.catalog()
years = city.years(cat)
st.title("市全体")
st.caption(f"{len(cat.departments)}所属の運営方針（各所属の最新の実績で表示。年度は下で選べます）")
now = fiscal.fy_of_month(fiscal.current_month())
fy = st.selectbox("年度", years, index=years.index(now) if now in years else len(years) - 1, key="city_fy",
                  format_func=lambda y: fiscal.fy_label(y, western=True))
rows = ui.city_summary(fy)
if any(r.sample for r in rows):
    st.warning("**サンプル（架空）** の運営方針を含みます。所属名に「サンプル・架空」とあるものは実在の運営方針ではありません。",
               icon=":material/science:")

totals = {s: sum(r.counts.get(s, 0) for r in rows) for s in STATUSES}
for col, (name, n) in zip(st.columns(len(totals)), totals.items()):
    col.metric(f"{STATUSES[name].symbol} {name}", f"{n}件")

st.subheader("所属ごとの状況（遅れ・注意の多い順）")
ordered = sorted(rows, key=lambda r: (-(r.counts.get("遅れ", 0)), -(r.counts.get("注意", 0)), r.dept_id))
ui.table(pd.DataFrame([{
    "所属": r.name + ("（サンプル・架空）" if r.sample and "サンプル" not in r.name else ""),
    "年度": fiscal.fy_label(r.fiscal_year),
    **{f"{STATUSES[s].symbol}{s}": r.counts.get(s, 0) for s in STATUSES},
    "予算": f"{fiscal.fy_short(r.budget_year)} {r.budget_kind} {fmt.million_yen(r.budget_total)}" if r.budget_year else "－",
    "伸び": r.growth,
    "最終報告月": fiscal.month_label(r.last_reported) if r.last_reported else "未報告",
    "最終登録": fiscal.datetime_label(r.last_upload) if r.last_upload else "－",
} for r in ordered]), alt=f"{len(rows)}所属の指標の状況、予算、最終報告")

st.subheader("遅れ・注意の指標（所属ごと、悪い順）")
for r in ordered:
    with st.container(border=True, key=f"city_{r.dept_id}"):
        head, link = st.columns([4, 1])
        head.markdown(f"**{r.name}**　{fiscal.fy_label(r.fiscal_year)}　"
                      + "　".join(f"{STATUSES[s].symbol}{s} {n}" for s, n in r.counts.items() if n))
        link.page_link("app_pages/overview.py", label="概要を開く", icon=":material/dashboard:",
                       query_params={"dept": r.dept_id, "fy": str(r.fiscal_year), "as_of": "latest"})
        if r.behind:
            st.markdown("  \n".join(f"{fmt.status_text(x.status)}　{x.indicator.indicator_id} {x.indicator.short_name}："
                                    f"{fmt.value_text(x)}（{fmt.progress_sentence(x)}）" for x in r.behind))
        else:
            st.caption("遅れ・注意の指標はありません。")
