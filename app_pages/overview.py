"""概要: what a monthly meeting needs first — the indicators behind (遅れ・注意, worst first) with their change
since the previous report and their latest check-in — then the status counts, the rest, and each 経営課題's budget."""
from urllib.parse import urlencode

import streamlit as st

import ui
from kpi import fiscal, fmt, htmltable
from kpi.evaluate import OFF_TRACK, attention, budget_table, worst_first
from kpi.kinds import STATUSES


def standing(r) -> list[htmltable.Segment]:
    """An indicator's line as the lists below start it: status (bold), ID and name, value against target and
    progress, and the final grade once there is one (bold)."""
    return [(fmt.status_shown(r), True),
            (f"　{r.indicator.indicator_id} {r.indicator.short_name}：{fmt.value_text(r)}（目標 {fmt.target_text(r.indicator, r.target)}、"
             f"{fmt.progress_sentence(r)}）", False),
            *([("　評価 ", False), (fmt.grade_text(r), True)] if r.grade else [])]


def card(r, view: list[tuple[str, str]]) -> htmltable.Card:
    """An indicator behind, as a card: status, name and badges, its figures, its latest check-in (a person's text:
    each of its lines kept as a line), and the link to its detail on 指標 with the view's filters (``view``: as the
    address says them), followed within the app (htmltable.Link.in_app)."""
    ind = r.indicator
    checkin = [f"要因: {r.checkin.cause}", f"対策: {r.checkin.action}", *([f"コメント: {r.checkin.comment}"] if r.checkin.comment else []),
               f"（{fmt.checkin_signature(r)}）"] if r.checkin else []
    return htmltable.Card(f"{ind.indicator_id} {ind.short_name}", [
        [(fmt.status_shown(r), True), (f"　{ind.indicator_id} {ind.short_name}", False),
         *([htmltable.Badge(f"新たに{r.status}", "orange")] if r.newly_off_track else [])],
        *([[htmltable.Badge(overdue, "red")]] if (overdue := fmt.overdue_text(r)) else []),
        [("\n".join((f"{fmt.value_text(r)}（目標 {fmt.target_text(ind, r.target)}、{fmt.progress_sentence(r)}）", fmt.pace_text(r),
                      f"前回の報告から {fmt.change_text(r)}"
                      + (f"（{fiscal.month_label(r.prior_month)}時点 {fmt.with_unit(r.prior_value, ind.unit)}、{fmt.status_change_text(r)}）"
                         if r.prior_month else ""))), False)],
        [("\n".join(checkin) or "振り返り（要因・対策）は未記入です。指標の詳細から記入できます。", False)],
    ], htmltable.Link(f"{ind.indicator_id} の詳細・振り返り", "indicators?" + urlencode([*view, ("indicator", ind.indicator_id)]), in_app=True,
                      show=ui.INDICATOR_DETAIL))


p, f = ui.policy(), ui.filters()
rs, note = ui.results(f)

ui.heading("概要", p, f)
ui.sample_notice(note)

behind = attention(rs)  # 遅れ・注意 worst first, then the indicators whose latest report is overdue
newly = [r for r in behind if r.newly_off_track]
latest = max((r.last_month for r in rs if r.last_month), default=None)
late = sum(r.status not in OFF_TRACK for r in behind)
st.subheader(f"遅れ・注意{'・報告遅れ' if late else ''}の指標（{len(behind)}件、悪い順）")
st.caption(f"{len(rs)}指標のうち、想定ペースに届いていない指標" + ("と、基準月までの報告が届いていない指標" if late else "")
           + f"です。数値の時点: {fiscal.month_label(latest) if latest else '実績なし'}"
           f"（基準月 {fiscal.month_label(f.as_of)}末）。「前回の報告から」は、その指標の一つ前の報告月との比較です。")
if newly:
    st.warning("**新たに注意・遅れになった指標**: " + ui.escape("、".join(
        f"{r.indicator.indicator_id} {r.indicator.short_name}（{fmt.status_change_text(r)}）" for r in newly)), icon=":material/trending_down:")
if rs and latest is None:  # nothing registered: not "all is well"
    st.info(f"{fiscal.fy_label(f.fy)}の実績はまだ登録されていません（{len(rs)}指標すべて未報告）。"
            "「実績アップロード」から月次の実績を登録すると、状況を判定します。", icon=":material/info:")
elif not behind:
    st.success("遅れ・注意の指標はありません。", icon=":material/check_circle:")
if behind:
    view = [(k, v) for k in ui.URL_KEYS for v in st.query_params.get_all(k)]
    ui.html(htmltable.cards_html([card(r, view) for r in behind]))

st.subheader("指標の状況")
ui.status_metrics(rs)  # the counts, and the rules under them
shown = {r.indicator.indicator_id for r in behind}
rest = [r for r in worst_first(rs) if r.indicator.indicator_id not in shown]
if rest:  # closed until opened, a paragraph per indicator (HTML: kpi.htmltable.details_html says why)
    ui.html(htmltable.details_html(f"そのほかの指標（{len(rest)}件）", htmltable.paragraphs_html(
        [[*standing(r), (f"　前回の報告から {'　'.join(fmt.change_lines(r))}", False)] for r in rest])))

years, budget_rows = budget_table(p, f.issues or None)
budgets = {row.issue_id: row for row in budget_rows}
st.subheader("経営課題ごとの予算と指標")
sections = []
for iid in f.issue_ids(p):
    issue = p.issues[iid]
    mine = [r for r in rs if r.indicator.issue_id == iid]
    row = budgets.get(iid)
    year = (f.fy if f.fy in row.amounts else max(row.amounts)) if row else None
    # One HTML section per 経営課題 (heading, budget figure, counts, a paragraph per indicator), all in one element: the
    # page drew eight elements for each, each a message to the browser, work for it and for the server on every load.
    sections.append(htmltable.section_html(
        f"{issue.label}　{issue.title}",
        [(f"{fiscal.fy_label(year)} {row.amounts[year].kind}額", fmt.million_yen(row.amounts[year].amount))] if row else [("予算額", "－")],
        "　".join(f"{STATUSES[s].symbol}{s} {n}" for s in STATUSES if (n := sum(r.status == s for r in mine))),
        [[*standing(r), *([("　", False), (overdue, True)] if (overdue := fmt.overdue_text(r)) else [])] for r in mine],
        empty=f"{fiscal.fy_label(f.fy)}に目標のある指標はありません", style=not sections))
if sections:
    ui.html("".join(sections))

# The policy's own words, closed until opened, and the source line, in one element: headings bold, every line of the
# texts escaped and kept as a line.
goal, mission = p.texts.get("goal", ("目標", ""))[0], p.texts.get("mission", ("使命", ""))[0]
parts = [(goal, p.text("goal")), (mission, p.text("mission"))]
if p.text("approach"):
    parts.append((p.texts["approach"][0], "\n".join(f"・{line}" for line in p.text("approach").splitlines())))
ui.html(htmltable.details_html(f"{goal}・{mission}", htmltable.paragraphs_html([[(title, True), ("\n" + text, False)] for title, text in parts]))
        + htmltable.caption_html(note.text, style=False))
