"""AppTest of the 概要・予算・指標 pages: what each page says for the sample data, and under a filter."""
from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from conftest import every_column, figures, follow, frames, held, html_texts, open_detail, run_app, unescape


def run(page: str, store_root, monkeypatch, **state):
    return run_app(page, store_root, monkeypatch, **state)


def text_of(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.title, *at.subheader, *at.header, *at.warning, *at.info, *at.text)]
    parts += [f"{label} {value}" for label, value in figures(at).items()] + html_texts(at)
    return unescape("\n".join(str(p) for p in parts))  # as the user reads it (ui.escape undone)


def frame(at: AppTest, column: str):
    """The page's table that has ``column`` (dataframes carry no key in AppTest)."""
    found = [t for t in frames(at) if column in t.columns]
    assert len(found) == 1, f"{len(found)} tables with {column}"
    return found[0]


def metrics(at: AppTest) -> dict[str, str]:
    return figures(at)


def test_overview_first_start_loads_the_sample_and_labels_it(tmp_path, monkeypatch):
    at = run("app_pages/overview.py", tmp_path / "store", monkeypatch)
    text = text_of(at)
    assert "サンプル（架空）" in text
    assert "各所属と連携の上、次の目標を実現する。" in text  # 目標
    m = metrics(at)
    assert (m["◎ 達成"], m["○ 順調"], m["△ 注意"], m["× 遅れ"], m["－ 未報告"]) == ("6件", "0件", "7件", "2件", "0件")
    budgets = [v for h in at.get("html") if "kpi-figures" in h.proto.body  # in page order (figures() is a dict)
               for k, v in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", h.proto.body) if k == "令和7年度 予算額"]
    assert budgets == ["128百万円", "1,153百万円", "72百万円", "594百万円"]
    assert "数値の時点: 令和8年3月" in text
    # the screen a meeting looks at offers no removal: the notice says where it is
    assert "サンプルデータを削除…" not in [b.proto.popover.label for b in at.get("popover")]
    assert "remove_sample" not in [b.key for b in at.button]
    assert "サンプルは「履歴」ページから削除できます" in text
    # what is closed until opened is drawn as <details> inside the page's HTML (no st.expander): the rules under the
    # counts, the other indicators, the policy's words with the source line after them
    assert not at.expander
    bodies = [h.proto.body for h in at.get("html")]
    assert any("kpi-figures" in b and "<summary>状況・評価の判定ルール</summary>" in b for b in bodies)
    (others,) = [b for b in bodies if "<summary>そのほかの指標（" in b]
    assert others.count("<p><strong>") == len(re.findall(r"<strong>[◎○△×－]", others)) > 0
    (sections,) = [b for b in bodies if "kpi-section" in b]  # every 経営課題's section in one element, styled once
    assert sections.count('<section class="kpi-section"') == 4 and sections.count("<style>") == 1
    (words,) = [b for b in bodies if "<summary>目標・使命</summary>" in b]
    assert "<strong>目標</strong><br>各所属と連携の上、次の目標を実現する。" in words and '<p class="kpi-caption">出典: ' in words


def test_overview_as_of_mid_year(tmp_path, monkeypatch):
    at = run("app_pages/overview.py", tmp_path / "store", monkeypatch, as_of="2025-09")
    text = text_of(at)
    assert "数値の時点: 令和7年9月" in text and "基準月 令和7年9月末" in text
    assert "評価 **" not in text  # no A/B before the year has ended


def test_overview_under_issue_2(tmp_path, monkeypatch):
    at = run("app_pages/overview.py", tmp_path / "store", monkeypatch, issue=["2"])
    text = text_of(at)
    assert "経営課題2　デジタル技術を活用した効率的かつ質の高い行政運営" in text
    assert "経営課題1　" not in text
    assert sum(v.endswith("件") for v in metrics(at).values()) == 5
    assert sum(int(v[:-1]) for k, v in metrics(at).items() if v.endswith("件")) == 4
    assert metrics(at)["令和7年度 予算額"] == "1,153百万円"


def test_remove_sample_on_the_history_page_rolls_it_back(tmp_path, monkeypatch):
    at = run("app_pages/history.py", tmp_path / "store", monkeypatch)
    # behind a button that says what it does: the words and the button that removes are in its popover
    (menu,) = [b for b in at.get("popover") if b.proto.popover.label == "サンプルデータを削除…"]
    assert at.button(key="remove_sample").label == "削除する" and "remove_sample" in [w.key for w in menu.button]
    assert any("取り消しとして記録され、このページの「元に戻す」で戻せます" in c.value for c in menu.caption)
    at.button(key="remove_sample").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["サンプルデータ（1件のバッチ）を削除しました。"]  # said once the page is drawn again
    assert "サンプルデータを削除…" not in [b.proto.popover.label for b in at.get("popover")]
    at.switch_page("app_pages/overview.py").run()
    assert "サンプル（架空）" not in text_of(at)
    assert metrics(at)["－ 未報告"] == "15件"


def test_remove_sample_says_what_came_of_it_when_it_cannot_or_need_not(tmp_path, monkeypatch):
    """履歴's 「削除する」 goes through the page's one way of writing (write): a store that cannot be written gives a
    message with the log's reference, not a traceback; a sample someone else removed first is said so."""
    from kpi import service
    from kpi.store import FolderStore

    at = run("app_pages/history.py", tmp_path / "store", monkeypatch)

    def full_disk(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(FolderStore, "record_event", full_disk)
        at.button(key="remove_sample").click().run()
    assert not at.exception, at.exception
    (error,) = [unescape(e.value) for e in at.error]
    assert error.startswith("記録できませんでした。管理者に連絡してください（ログ参照: ") and "No space" not in error
    monkeypatch.setattr(service, "active_sample_batches", lambda store: [])  # another person's removal landed first
    at.button(key="remove_sample").click().run()
    assert [unescape(s.value) for s in at.success] == ["サンプルデータは、ほかの人が先に削除していました（変更はありません）。"]


def test_budget_page_all_issues(tmp_path, monkeypatch):
    at = run("app_pages/budget.py", tmp_path / "store", monkeypatch)
    m = metrics(at)
    assert m["合計 令和7年度（百万円）"] == "1,947"
    assert m["経営課題2（百万円）"] == "1,153"
    deltas = {x.label: x.delta for x in at.metric}
    assert deltas["経営課題2（百万円）"] == "R5比 12.0倍"
    assert deltas["経営課題3（百万円）"] == "R5比 新規"
    table = frame(at, "経営課題")
    assert list(table["経営課題"])[-1] == "合計"
    assert list(table.iloc[-1, 1:4]) == [329, 908, 1947]
    assert "inf" not in table.to_string()
    assert "令和7年度 構成比" in table.columns and table.iloc[1]["令和7年度 構成比"] == "59.2%"


def test_budget_page_under_issue_2(tmp_path, monkeypatch):
    at = run("app_pages/budget.py", tmp_path / "store", monkeypatch, issue=["2"])
    table = frame(at, "経営課題")
    assert list(table["経営課題"]) == ["経営課題2 効率的かつ質の高い行政運営", "合計（選択した経営課題）"]
    assert list(table.iloc[0, 1:4]) == [96, 409, 1153]
    deltas = {x.label: x.delta for x in at.metric}
    assert deltas["経営課題2（百万円）"] == "R5比 12.0倍"
    assert "決算" in table.columns[1] and "予算" in table.columns[3]


def test_indicators_page_year_end(tmp_path, monkeypatch):
    at = run("app_pages/indicators.py", tmp_path / "store", monkeypatch)
    text = text_of(at)
    assert "サンプル（架空）" in text
    table = every_column(at)
    assert len(table) == 15
    k11 = table[table["指標ID"] == "K1-1"].iloc[0]
    assert (k11["実績"], k11["目標"], k11["状況"], k11["評価"]) == ("2,046件", "2,000件（累計）", "◎ 達成", "A（達成）")
    k24 = table[table["指標ID"] == "K2-4"].iloc[0]
    assert (k24["目標"], k24["評価"]) == ("1,870時間/月 以上", "B（未達成）")
    milestone = table[table["指標ID"] == "K4-8"].iloc[0]
    assert (milestone["実績"], milestone["目標"]) == ("60%", "完了（100%）")
    # every indicator in one HTML table with bars, no chart until an indicator is chosen; then its gauge and series
    (bars,) = [h.proto.body for h in at.get("html") if "kpi-bars" in h.proto.body]
    assert bars.count("<tr><th scope=\"row\">") == 15 and "K2-4 AI音声認識の利用実績（市全体・月）" in bars
    assert 'aria-label="94%"' in bars  # K2-4's bar says its figure in words
    # what the marks mean, under the table in the same element (not a caption of its own)
    assert '<p class="kpi-key">棒＝年度の値÷年度の目標' in bars and "破線＝目標（100%）" in bars
    assert not any("棒＝年度の値" in c.value for c in at.caption)
    # in the same element: 並べ方 and 表示 as links above it (the one shown marked, not a link), the source line under
    # it; the table of every column is drawn only when chosen (no expander: each costs the browser a measured layout);
    # the rules under the counts, in their element
    assert '<nav class="kpi-choices" aria-label="並べ方">' in bars and '<nav class="kpi-choices" aria-label="表示">' in bars
    assert re.search(r'<span aria-current="true"[^>]*>達成率の棒</span>', bars) and "年度末見込み" not in bars
    assert re.search(r'<a href="\?fy=2025&amp;as_of=2026-03&amp;show=columns" data-kpi-page[^>]*>すべての列の表</a>', bars), bars[:3000]
    assert re.search(r'<p class="kpi-caption">出典: [^<]*サンプル（架空）[^<]*</p>$', bars)
    assert not at.expander
    (counts,) = [h.proto.body for h in at.get("html") if "kpi-figures" in h.proto.body]
    assert "<summary>状況・評価の判定ルール</summary>" in counts and "<strong>順調</strong>: ペース比が90%以上。" in counts
    # each indicator's name is a link to its detail; before one is chosen, no list of them to draw (no popover)
    assert len(at.get("plotly_chart")) == 0 and not at.pills and at.session_state["indicator"] == ""
    assert '<a href="?fy=2025&amp;as_of=2026-03&amp;indicator=K2-4" data-kpi-page data-kpi-show="indicator_detail">K2-4 ' in bars
    assert "aria-current" not in re.search(r"<tbody>.*</tbody>", bars).group(0)
    assert not [p for p in at.get("popover") if p.proto.popover.label.startswith("詳しく見る指標")]
    assert any("一覧の指標名を選ぶと" in c.value for c in at.main.caption)
    open_detail(at, "K2-4")
    assert re.search(r'indicator=K2-4" data-kpi-page data-kpi-show="indicator_detail" aria-current="true">K2-4 ',
                     next(h.proto.body for h in at.get("html") if "kpi-bars" in h.proto.body))
    assert held(at.pills, "indicator").value == "K2-4"  # and the list, to go on to another
    # its standing and monthly series, drawn on the server: still no chart library in the browser
    assert len(at.get("plotly_chart")) == 0
    bodies = [h.proto.body for h in at.get("html")]
    assert any('class="kpi-gauge"' in b and "K2-4 達成状況" in b for b in bodies)
    assert any('class="kpi-series"' in b and 'alt="K2-4 の月次推移（令和7年度' in b for b in bodies)
    assert "**目標に達した月** 7 / 12か月" in text_of(at) and at.query_params["indicator"] == "K2-4"


def test_indicators_page_issue_2_mid_year(tmp_path, monkeypatch):
    at = run("app_pages/indicators.py", tmp_path / "store", monkeypatch, issue=["2"], as_of="2025-09")
    table = every_column(at)
    assert list(table["指標ID"]) == ["K2-1", "K2-2", "K2-3", "K2-4"]
    assert set(table["評価"]) == {""}
    k22 = table[table["指標ID"] == "K2-2"].iloc[0]
    assert (k22["実績"], k22["最終報告月"]) == ("9業務", "令和7年9月")
    assert k22["年度末見込み"] != "－"  # six months reported: a trend forecast


def test_next_fiscal_year_shows_k4_5_at_70_percent(tmp_path, monkeypatch):
    at = run("app_pages/indicators.py", tmp_path / "store", monkeypatch, fy=2026, as_of="latest")
    table = every_column(at)
    assert list(table["指標ID"]) == ["K4-5"]
    assert table.iloc[0]["目標"] == "70% 以上"
    assert table.iloc[0]["状況"] == "－ 未報告"


@pytest.mark.parametrize("page, inside, outside", [
    ("app_pages/overview.py", "K3-1 建設生産プロセスDXのテーマワーキング実施", "K1-1 "),
    ("app_pages/budget.py", "72", "1,153"),
    ("app_pages/indicators.py", "K3-1 建設生産プロセスDXのテーマワーキング実施", "K2-1"),
])
def test_every_page_states_its_scope_and_shows_only_it(page, inside, outside, tmp_path, monkeypatch):
    at = run(page, tmp_path / "store", monkeypatch, issue=["3"])
    text = text_of(at) + "\n".join(t.to_string() for t in frames(at)) + "\n".join(h.proto.body for h in at.get("html"))
    assert "令和7年度（2025年度）　|　経営課題3　|" in text
    assert inside in text and outside not in text


def test_an_ended_year_defaults_to_march_and_the_url_says_latest(tmp_path, monkeypatch):
    at = run("app_pages/overview.py", tmp_path / "store", monkeypatch, as_of="latest")
    assert "基準月 令和8年3月末" in text_of(at)  # 令和7年度 ended in March 2026: 最新 is its March, not this month
    assert at.query_params["as_of"] == "latest" and at.query_params["fy"] == "2025"
    at = run("app_pages/overview.py", tmp_path / "store", monkeypatch, as_of="2025-09")
    assert at.query_params["as_of"] == "2025-09"


def test_latest_is_the_last_month_that_has_ended_and_this_month_can_still_be_chosen(tmp_path, monkeypatch):
    from kpi import fiscal

    monkeypatch.setattr(fiscal, "current_month", lambda today=None: "2026-12")  # the clock: some day in December 2026
    at = run("app_pages/overview.py", tmp_path / "store", monkeypatch, fy=2026, as_of="latest")
    (summary,) = [c.value for c in at.sidebar.caption if "基準月" in c.value]
    assert "基準月：最新（令和8年11月）" in unescape(summary)
    assert "基準月 令和8年11月末" in text_of(at)  # the page's heading: as of the end of November
    assert held(at.selectbox, "as_of").options[-1] == "令和8年12月"  # an early December figure is seen by choosing it
    held(at.selectbox, "as_of").set_value("2026-12").run()
    assert "基準月 令和8年12月末" in text_of(at)


@pytest.mark.parametrize("state, lines", [
    ({}, ["年度：令和7年度（2025年度）", "経営課題：すべて", "基準月：令和8年3月"]),
    ({"as_of": "latest"}, ["経営課題：すべて", "基準月：最新（令和8年3月）"]),
    ({"issue": ["3", "1"], "as_of": "2025-09"}, ["経営課題：経営課題1 ", "、経営課題3 ", "基準月：令和7年9月"]),
])
def test_the_sidebar_says_the_filters_in_words_and_keeps_their_widgets_in_a_popover(state, lines, tmp_path, monkeypatch):
    at = run("app_pages/indicators.py", tmp_path / "store", monkeypatch, **state)
    summary = [c.value for c in at.sidebar.caption if "年度" in c.value and "基準月" in c.value]
    assert len(summary) == 1 and all(line in unescape(summary[0]) for line in lines), summary
    # the widgets that change them are in the popover (drawn by the browser only once it is opened), with the same values
    (popover,) = [p for p in at.sidebar.get("popover") if p.proto.popover.label == "表示の条件を変える"]
    assert {w.key for w in popover.selectbox} == {"fy~0", "as_of~0"} and [w.key for w in popover.multiselect] == ["issue~0"]
    assert held(popover.selectbox, "as_of").value == state.get("as_of", "2026-03")


def test_a_choice_set_by_a_link_renews_its_widget_and_one_made_in_it_does_not(tmp_path, monkeypatch):
    """ui.sidebar.held_widget: the browser keeps the value it last saw in a widget it does not draw (a closed popover)
    and sends it back; a widget whose choice a link changed gets a new key (unknown to the browser), drawn with the
    link's value. A choice made in the widget keeps it (no widget drawn anew under the person's hand)."""
    at = run("app_pages/indicators.py", tmp_path / "store", monkeypatch)
    held(at.selectbox, "as_of").set_value("2025-09").run()
    open_detail(at, "K1-1")
    held(at.pills, "indicator").set_value("K1-2").run()
    assert (held(at.selectbox, "as_of").key, held(at.pills, "indicator").key) == ("as_of~0", "indicator~0")
    assert at.session_state["as_of"] == "2025-09" and at.session_state["indicator"] == "K1-2"
    at.query_params["as_of"], at.query_params["indicator"] = "2025-12", "K2-2"  # a link, or the back button
    at.run()
    assert (held(at.selectbox, "as_of").key, held(at.pills, "indicator").key) == ("as_of~1", "indicator~1")
    assert held(at.selectbox, "as_of").value == "2025-12" and held(at.pills, "indicator").value == "K2-2"
    assert "基準月 令和7年12月末" in text_of(at) and any("K2-2" in h.value for h in at.markdown if h.value.startswith("#####"))
    # the links drawn above the list carry the link's indicator, not the one chosen before
    links = "".join(re.findall(r'<nav class="kpi-choices".*?</nav>', "".join(h.proto.body for h in at.get("html"))))
    assert "indicator=K2-2" in links and "indicator=K1-2" not in links


def test_the_table_of_every_column_has_no_links_so_the_list_of_indicators_is_there(tmp_path, monkeypatch):
    """Only the list with bars links each name to its detail: with the table of every column, 詳しく見る指標 is the way in."""
    at = run("app_pages/indicators.py", tmp_path / "store", monkeypatch)
    assert not at.pills
    follow(at, "すべての列の表")
    assert [p.proto.popover.label for p in at.get("popover") if p.proto.popover.label.startswith("詳しく見る指標")] == [
        "詳しく見る指標：（選んでください）"]
    assert held(at.pills, "indicator").value == "" and any(c.value.startswith("指標を選ぶと") for c in at.main.caption)
    assert "data-kpi-show" not in "".join(h.proto.body for h in at.main.get("html"))


@pytest.mark.parametrize("page, shown", [("app_pages/overview.py", "概要"), ("app_pages/indicators.py", "指標"),
                                         ("app_pages/history.py", "履歴")])
def test_the_sidebar_lists_every_page_with_the_one_shown_marked(page, shown, tmp_path, monkeypatch):
    """The app draws the list of pages itself (ui.page_list; the framework's own list is hidden): every page of one
    department's dashboard, in PAGES' order, as in-app links, the page shown marked."""
    at = run(page, tmp_path / "store", monkeypatch)
    (nav,) = [h.proto.body for h in at.sidebar.get("html") if 'class="kpi-pages"' in h.proto.body]
    assert re.findall(r"<span>([^<]*)</span></a>", nav) == ["概要", "予算", "指標", "年度評価", "実績アップロード", "履歴", "会議資料",
                                                           "方針の取り込み"]  # no 市全体: one department
    assert re.findall(r'aria-current="page"><span class="kpi-icon" aria-hidden="true">[^<]*</span><span>([^<]*)</span>', nav) == [shown]
    assert '<a href="./" data-kpi-page' in nav and '<a href="indicators" data-kpi-page' in nav
