"""概要: the policy's goal and mission, each 経営課題's budget and indicators by status."""
import streamlit as st

import ui
import ui_auth
from kpi import fiscal, fmt, service
from kpi.evaluate import budget_table
from kpi.kinds import STATUSES

p, f = ui.policy(), ui.filters()
rs, note = ui.results(f)

ui.heading("概要", p, f)
ui.sample_notice(note)
if service.active_sample_batches(ui.store()) and ui_auth.can_edit():
    if st.button("サンプルデータを削除", key="remove_sample", help="取り消しとして記録され、履歴から元に戻せます"):
        n = service.remove_sample(ui.store(), ui_auth.current_user())
        st.toast(f"サンプルデータ（{n}件のバッチ）を削除しました")
        st.rerun()

with st.container(border=True):
    st.markdown(f"**{p.texts.get('goal', ('目標', ''))[0]}**")
    st.write(p.text("goal"))
    with st.expander(p.texts.get("mission", ("使命", ""))[0]):
        st.write(p.text("mission"))
    if p.text("approach"):
        with st.expander(p.texts["approach"][0]):
            for line in p.text("approach").splitlines():
                st.markdown(f"- {line}")

latest = max((r.last_month for r in rs if r.last_month), default=None)
st.subheader("指標の状況")
st.caption(f"{len(rs)}指標　数値の時点: {fiscal.month_label(latest) if latest else '実績なし'}"
           f"（基準月 {fiscal.month_label(f.as_of)}末）")
ui.status_metrics(rs)
ui.status_rules()

years, budget_rows = budget_table(p, f.issues or None)
budgets = {row.issue_id: row for row in budget_rows}
st.subheader("経営課題ごとの予算と指標")
for iid in f.issue_ids(p):
    issue = p.issues[iid]
    mine = [r for r in rs if r.indicator.issue_id == iid]
    with st.container(border=True, key=f"issue_{iid}"):
        st.markdown(f"#### {issue.label}　{issue.title}")
        left, right = st.columns([1, 3])
        row = budgets.get(iid)
        if row and f.fy in row.amounts:
            b = row.amounts[f.fy]
            left.metric(f"{fiscal.fy_label(f.fy)} {b.kind}額", fmt.million_yen(b.amount))
        elif row:
            last = max(row.amounts)
            b = row.amounts[last]
            left.metric(f"{fiscal.fy_label(last)} {b.kind}額", fmt.million_yen(b.amount))
        else:
            left.metric("予算額", "－")
        counts = {s: sum(r.status == s for r in mine) for s in STATUSES}
        left.caption("　".join(f"{STATUSES[s].symbol}{s} {n}" for s, n in counts.items() if n))
        with right:
            for r in mine:
                st.markdown(
                    f"**{fmt.status_text(r.status)}**　{r.indicator.indicator_id} {r.indicator.short_name}："
                    f"{fmt.value_text(r)}（目標 {fmt.target_text(r.indicator, r.target)}、{fmt.progress_sentence(r)}）"
                    + (f"　評価 **{fmt.grade_text(r)}**" if r.grade else "")
                )
            if not mine:
                st.caption(f"{fiscal.fy_label(f.fy)}に目標のある指標はありません")
st.caption(note.text)
