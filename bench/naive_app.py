"""The naive peer of the 指標 page: what a Streamlit user would write first, for the benchmarks only.

Reads the policy and the actuals CSV with pandas on every run, no cache, one plotly gauge per
indicator. Environment: NAIVE_DATA (policy folder, default data/), NAIVE_ACTUALS (a CSV of
indicator_id,month,value,…; default data/sample_actuals.csv), NAIVE_FY (default 2025).
Run: streamlit run bench/naive_app.py
"""
import os
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("NAIVE_DATA") or ROOT / "data")
ACTUALS = Path(os.environ.get("NAIVE_ACTUALS") or DATA / "sample_actuals.csv")
FY = int(os.environ.get("NAIVE_FY") or 2025)

st.set_page_config(page_title="指標（素朴な実装）", layout="wide")
st.title("指標（素朴な実装）")
indicators = pd.read_csv(DATA / "indicators.csv")
targets = pd.read_csv(DATA / "targets.csv")
actuals = pd.read_csv(ACTUALS, dtype={"month": str})
actuals = actuals[(actuals["month"] >= f"{FY}-04") & (actuals["month"] <= f"{FY + 1}-03")]
actuals = actuals.drop_duplicates(["indicator_id", "month"], keep="last")

for _, ind in indicators.iterrows():
    target = targets[(targets["indicator_id"] == ind["indicator_id"]) & (targets["fiscal_year"] == FY)]
    if target.empty:
        continue
    goal = float(target["target"].iloc[0])
    rows = actuals[actuals["indicator_id"] == ind["indicator_id"]].sort_values("month")
    if rows.empty:
        value = 0.0
    elif ind["aggregation"] == "sum":
        value = float(rows["value"].sum())
    elif ind["aggregation"] in ("mean", "ratio"):
        value = float(rows["value"].mean())
    else:
        value = float(rows["value"].iloc[-1])
    st.subheader(f"{ind['indicator_id']} {ind['short_name']}")
    fig = go.Figure(go.Indicator(mode="gauge+number", value=value, number={"suffix": ind["unit"]},
                                 gauge={"axis": {"range": [0, max(goal, value) * 1.1 or 1]}, "threshold": {"value": goal}}))
    fig.update_layout(height=250)
    st.plotly_chart(fig, key=f"gauge_{ind['indicator_id']}")
    st.write(f"実績 {value:,.1f}{ind['unit']}／目標 {goal:,.0f}{ind['unit']}（{value / goal:.0%}）")
