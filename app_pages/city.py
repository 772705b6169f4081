"""市全体: every department (所属) in one table — its status counts, budget, the indicators behind, its last report;
a department's name opens its 概要. Shown only when the data root holds several departments.

One HTML table rather than a block per department (or st.table, which renders each cell as Markdown in the
browser): with 60 departments the page stays one element, drawn with the page.
"""
from urllib.parse import urlencode

import streamlit as st

import ui
from kpi import city, fiscal, fmt, htmltable
from kpi.kinds import STATUSES

MAX_BEHIND = 3  # indicators behind listed per department in the table (the department's 概要 has them all)

cat = ui.catalog()
years = city.years(cat)
st.title("市全体")
ui.folder_warnings()
st.caption(f"{len(cat.departments)}所属の運営方針。各所属を「最新」の基準月（終わった最後の月の末、年度が終わっていれば3月末）で表示します。"
           "所属名を押すと、その所属の「概要」を新しいタブで開きます。")
now = fiscal.fy_of_month(fiscal.current_month())
# The years as links that change the address (?year=2025), not a widget: the few years are all in sight and one click
# away, and plain HTML loads no widget's scripts (a segmented control's five script files, as 指標's 並べ方 had).
default = str(now if now in years else years[-1])
fy = int(ui.url_choice("年度", [str(y) for y in years], "year", default=default, widget=None))
rows = ui.city_summary(fy)
if any(r.sample for r in rows):
    st.warning("**サンプル（架空）** の運営方針を含みます。所属名に「サンプル・架空」とあるものは実在の運営方針ではありません。",
               icon=":material/science:")
year_choice = htmltable.choices_html("年度", [
    htmltable.Choice(fiscal.fy_label(y), None if y == fy else ui.view_href({"year": str(y)}, defaults={"year": default}), f"year:{y}")
    for y in years])
ui.status_figures({s: sum(r.counts.get(s, 0) for r in rows) for s in STATUSES}, head=year_choice)


def overview_link(r: city.DepartmentSummary) -> htmltable.Link:
    """The department's 概要 in the same year, in a new tab (市全体 stays open)."""
    name = r.name + ("（サンプル・架空）" if r.sample and "サンプル" not in r.name else "")
    return htmltable.Link(name, f"./?{urlencode({'dept': r.dept_id, 'fy': r.fiscal_year, 'as_of': 'latest'})}", new_tab=True)


def behind(r: city.DepartmentSummary) -> str:
    shown = [f"{x.indicator.indicator_id} {x.indicator.short_name}（{fmt.status_text(x.status)}・{fmt.progress_text(x)}）"
             for x in r.behind[:MAX_BEHIND]]
    more = f"　ほか{len(r.behind) - MAX_BEHIND}件" if len(r.behind) > MAX_BEHIND else ""
    return "、".join(shown) + more if shown else "なし"


def as_of_words(rows: list[city.DepartmentSummary]) -> str:
    """基準月 令和8年11月末; by year when the departments' years differ (one without the chosen year shows its own):
    基準月 R7は令和8年3月末、R8は令和8年11月末."""
    by_year = dict(sorted({(r.fiscal_year, r.as_of) for r in rows}))
    if len(by_year) == 1:
        return f"基準月 {fiscal.month_label(next(iter(by_year.values())))}末"
    return "基準月 " + "、".join(f"{fiscal.fy_short(y)}は{fiscal.month_label(m)}末" for y, m in by_year.items())


def after_era_year(label: str) -> str:
    """令和8年 and the rest on two lines in the table (its columns stay narrow enough for a 1280 px window), on one in
    the narrow layout's blocks."""
    return label.replace("年", "年" + htmltable.TABLE_BREAK, 1)


def budget(r: city.DepartmentSummary) -> str:
    """R8 予算 / 1,640百万円 / 伸び 0.9倍 in one cell (a column of its own for 伸び made the table wider than a 1280 px
    window beside the sidebar)."""
    if not r.budget_year:
        return "－"
    growth = f"\n伸び {r.growth}" if r.growth != "－" else ""
    return f"{fiscal.fy_short(r.budget_year)} {r.budget_kind}\n{fmt.million_yen(r.budget_total)}{growth}"


st.subheader("所属ごとの状況（遅れ・注意の多い順）")
ordered = sorted(rows, key=lambda r: (-(r.counts.get("遅れ", 0)), -(r.counts.get("注意", 0)), r.dept_id))
counts = [f"{STATUSES[s].symbol}\n{s}" for s in STATUSES]  # two lines: the counts' columns stay narrow
# 年度 only when a department shows another year than the chosen one (it has no policy for it): else the caption says it
own_years = any(r.fiscal_year != fy for r in rows)
year_column = ["年度"] if own_years else []
ui.html(htmltable.table_html(
    ["所属", *year_column, *counts, "遅れ・注意の指標（悪い順）", "予算", "最終報告月", "最終登録"],
    [[overview_link(r), *([fiscal.fy_short(r.fiscal_year)] if own_years else []), *(r.counts.get(s, 0) for s in STATUSES),
      behind(r), budget(r), after_era_year(fiscal.month_label(r.last_reported)) if r.last_reported else "未報告",
      after_era_year(fiscal.datetime_label(r.last_upload)).replace(" ", " " + htmltable.TABLE_BREAK) if r.last_upload else "－"] for r in ordered],
    caption=f"{len(rows)}所属の指標の状況（{'' if own_years else fiscal.fy_label(fy) + '・'}{as_of_words(rows)}）、"
            "遅れ・注意の指標、予算、最終報告（所属名から各所属の「概要」へ）",
    numeric=counts, nowrap=["年度", "予算", "最終報告月", "最終登録"], wide=["遅れ・注意の指標（悪い順）"], side_by_side=counts))
