"""The monthly meeting: change since the previous report, check-ins (要因・対策), and what 概要 and 指標 lead with."""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pytest
from openpyxl import load_workbook
from pg import STORE_KINDS

from conftest import ROOT, follow, frames, held, overview_cards, run_app, unescape
from kpi import charts, checkins, export, fiscal, fmt
from kpi.evaluate import Actual, evaluate_indicator, exceptions
from kpi.policy import Indicator, Target
from kpi.service import results
from kpi.store import Store

FY = 2025
MONTHS = fiscal.fy_months(FY)


def make(kind: str, target: float = 100, direction: str = "higher") -> Indicator:
    # latest: a baseline stated at the target keeps the pace at the target (without one it starts at the first report)
    baseline = target if kind == "latest" else None
    return Indicator("X-1", "1", "戦略", "テスト指標", "テスト指標", "件", kind, direction, None,
                     {FY: Target(FY, target, "", "", "", None, baseline, "")})


def acts(values: dict[str, float]) -> list[Actual]:
    return [Actual("X-1", m, v) for m, v in values.items()]


# --- change since the previous report ----------------------------------------------------------------

@pytest.mark.parametrize("kind, values, as_of, prior_month, prior_value, prior_status, change, text", [
    # latest, the pace at the target: a rise is better
    ("latest", {"2025-08": 60, "2025-09": 70}, "2025-09", "2025-08", 60, "遅れ", "better", "↑ +10件（改善）"),
    ("latest", {"2025-08": 95, "2025-09": 80}, "2025-09", "2025-08", 95, "順調", "worse", "↓ −15件（悪化）"),
    ("latest", {"2025-08": 80, "2025-09": 80}, "2025-09", "2025-08", 80, "注意", "same", "→ ±0件（変わらず）"),
    # sum: the value always rises; judged against the pace, which rises too (120 a year: 50 by August, 60 by September)
    ("sum", {"2025-08": 45, "2025-09": 5}, "2025-09", "2025-08", 45, "順調", "worse", "↑ +5件（悪化）"),  # 90 % → 83 %
    ("sum", {"2025-08": 1, "2025-09": 20}, "2025-09", "2025-08", 1, "遅れ", "better", "↑ +20件（ペースに対して改善）"),
    # a cap on a sum: a month well within the allowance is better, although the count rose
    ("sum cap", {"2025-08": 40, "2025-09": 5}, "2025-09", "2025-08", 40, "順調", "better", "↑ +5件（ペースに対して改善）"),
    ("mean", {"2025-08": 100, "2025-09": 60}, "2025-09", "2025-08", 100, "達成", "worse", "↓ −20件（悪化）"),
    ("ratio", {"2025-08": 100, "2025-09": 100}, "2025-09", "2025-08", 100, "達成", "same", "→ ±0件（変わらず）"),
    ("milestone", {"2025-06": 25, "2025-09": 45}, "2025-09", "2025-06", 25, "順調", "worse", "↑ +20件（ペースに対して悪化）"),
    # a month with no report: the comparison is between the two latest reports, the status at the as-of month
    ("latest", {"2025-05": 50, "2025-07": 70}, "2025-09", "2025-05", 50, "遅れ", "better", "↑ +20件（改善）"),
    # one report only: nothing to compare
    ("latest", {"2025-09": 70}, "2025-09", None, None, None, None, "－"),
])
def test_change_since_the_previous_report(kind, values, as_of, prior_month, prior_value, prior_status, change, text):
    ind = make("sum", 120, "lower") if kind == "sum cap" else make(kind, 120 if kind == "sum" else 100)
    r = evaluate_indicator(ind, acts(values), FY, as_of)
    assert (r.prior_month, r.prior_value, r.prior_status, r.change) == (prior_month, prior_value, prior_status, change)
    assert fmt.change_text(r) == text


def test_newly_off_track():
    fell = evaluate_indicator(make("latest"), acts({"2025-08": 95, "2025-09": 80}), FY, "2025-09")
    stayed = evaluate_indicator(make("latest"), acts({"2025-08": 80, "2025-09": 75}), FY, "2025-09")
    worse = evaluate_indicator(make("latest"), acts({"2025-08": 80, "2025-09": 60}), FY, "2025-09")
    assert (fell.newly_off_track, stayed.newly_off_track, worse.newly_off_track) == (True, False, True)
    assert fmt.status_change_text(fell) == "○ 順調 → △ 注意"


# --- check-ins ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("store_kind", STORE_KINDS, indirect=True)
def test_checkins_keep_history_and_the_latest_up_to_the_as_of_month_shows(store):
    s = store
    checkins.add(s, "K2-2", "2025-08", "研修の遅れ", "研修を追加", "山田")
    checkins.add(s, "K2-2", "2025-09", "着手が遅れた", "伴走支援", "山田", comment="10月に挽回")
    checkins.add(s, "K2-2", "2025-08", "研修の遅れ（訂正）", "研修を2回追加", "佐藤")  # a correction of August
    recs = checkins.records(s)
    assert len(recs) == 3  # nothing overwritten
    assert checkins.latest_for(recs, FY, "2025-09")["K2-2"].cause == "着手が遅れた"
    august = checkins.latest_for(recs, FY, "2025-08")["K2-2"]  # September is not known yet in August
    assert (august.cause, august.user) == ("研修の遅れ（訂正）", "佐藤")
    assert checkins.latest_for(recs, 2026, "2026-09") == {}  # another fiscal year
    assert [r.cause for r in checkins.history(recs, "K2-2")] == ["着手が遅れた", "研修の遅れ（訂正）", "研修の遅れ"]


def _rec(iid: str, month: str, n: int) -> checkins.Record:
    return checkins.Record(f"r{n}", iid, month, f"要因{n}", f"対策{n}", "", "山田", f"2026-01-0{n}T10:00")


@pytest.mark.parametrize("fy, months", [
    (2025, ["2026-02", "2025-12", "2025-04"]),  # 令和7年度 runs April 2025 – March 2026: January–March 2026 belong to it
    (2024, ["2025-03"]),  # and March 2025 to the year before, although its calendar year is 2025
])
def test_an_indicators_checkin_history_is_its_own_of_the_fiscal_year(fy, months):
    recs = [_rec("K2-2", "2025-03", 1), _rec("K2-2", "2025-04", 2), _rec("K2-2", "2025-12", 3), _rec("K2-2", "2026-02", 4),
            _rec("K1-1", "2025-06", 5), _rec("K1-1", "2026-01", 6)]  # another indicator's, in the same year
    got = checkins.history(recs, "K2-2", fy)
    assert [r.month for r in got] == months and {r.indicator_id for r in got} == {"K2-2"}
    assert [r.month for r in checkins.history(recs, "K1-1")] == ["2026-01", "2025-06"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(cause="", action="x"), "要因を記入してください"),
    (dict(cause="x", action="  "), "対策を記入してください"),
    (dict(cause="あ" * 2001, action="x"), "要因は2,000文字までです"),
    (dict(cause="x", action="y", month="2025-13"), "YYYY-MM 形式ではありません"),
    (dict(cause="x", action="y", indicator_id="K9-9"), "指標ID「K9-9」はありません"),
    (dict(cause="x", action="y", user=" "), "利用者名がありません"),
])
def test_a_checkin_is_refused_without_cause_and_action(tmp_path, kwargs, message):
    s = Store(tmp_path / "s")
    args = dict(indicator_id="K2-2", month="2025-09", user="山田") | kwargs
    with pytest.raises(ValueError, match=message):
        checkins.add(s, args.pop("indicator_id"), args.pop("month"), args.pop("cause"), args.pop("action"), args.pop("user"),
                     known_ids=["K2-2"])
    assert checkins.records(s) == []


def kpi(*args, store_root) -> subprocess.CompletedProcess:
    env = {"KPI_STORE": str(store_root), "PATH": "/usr/bin:/bin", "HOME": str(store_root)}
    return subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_checkin_round_trip_cli_status_pages_deck_and_workbook(sample_store, policy, monkeypatch):
    root = sample_store.root
    refused = kpi("checkin", "K2-2", "--month", "2025-09", "--cause", "研修の遅れ", "--action", "", "--json", store_root=root)
    assert refused.returncode == 1 and json.loads(refused.stdout)["error"] == "対策を記入してください"
    done = kpi("checkin", "K2-2", "--month", "2025-09", "--cause", "研修が9月にずれ込んだ", "--action", "10月に研修を2回追加",
               "--user", "山田", "--json", store_root=root)
    assert done.returncode == 0 and json.loads(done.stdout)["ok"] is True
    status = json.loads(kpi("status", "--json", "--fy", "2025", "--as-of", "2025-09", store_root=root).stdout)
    k22 = next(r for r in status if r["indicator_id"] == "K2-2")
    assert k22["checkin"] | {"at": ""} == {"month": "2025-09", "cause": "研修が9月にずれ込んだ", "action": "10月に研修を2回追加",
                                           "comment": "", "user": "山田", "at": ""}
    # K2-2 has no figure for last year: its pace starts at April's first report (起点（仮）), 2 業務 → 20 業務
    assert (k22["previous_month"], k22["previous_value"], k22["previous_status"], k22["change"]) == ("2025-08", 8, "順調", "worse")
    assert (k22["status"], k22["baseline"], k22["baseline_source"]) == ("注意", 2, "起点（仮）")

    # 指標: the selected indicator shows it; an editor adds a correction through the page's form
    at = run_app("app_pages/indicators.py", root, monkeypatch, as_of="2025-09", indicator="K2-2")
    assert any("要因: 研修が9月にずれ込んだ" in t.value for t in at.text)
    at.text_area(key="checkin_cause").input("研修が9月にずれ込み、着手が遅れた")
    at.text_area(key="checkin_action").input("伴走支援で5業務の運用開始をめざす")
    next(b for b in at.button if b.label == "振り返りを記録").click().run()
    assert not at.exception
    assert len(checkins.history(checkins.records(root), "K2-2")) == 2
    assert any("要因: 研修が9月にずれ込み、着手が遅れた" in t.value for t in at.text)
    # 年度評価: the latest as the year's 要因分析
    at = run_app("app_pages/evaluation.py", root, monkeypatch, as_of="2025-09")
    rows = {r["指標ID"]: r for t in frames(at) if "要因分析（最新の振り返り）" in t.columns for r in t.to_dict("records")}
    analysis = unescape(rows["K2-2"]["要因分析（最新の振り返り）"])
    assert analysis == "令和7年9月分　要因: 研修が9月にずれ込み、着手が遅れた　対策: 伴走支援で5業務の運用開始をめざす"
    # 概要: K2-2 is behind, with its check-in
    at = run_app("app_pages/overview.py", root, monkeypatch, as_of="2025-09")
    card = next(c for c in overview_cards(at) if "K2-2 ノーコードツール" in c)
    assert "要因: 研修が9月にずれ込み、着手が遅れた\n対策: 伴走支援で5業務の運用開始をめざす\n（令和7年9月分" in card
    # the workbook and the deck carry it
    m = export.gather(Store(root), policy, export.Scope(FY, (), "2025-09", ("summary", "indicators")))
    ws = load_workbook(io.BytesIO(export.build(m, "xlsx")))["指標（振り返り）"]
    assert "伴走支援で5業務の運用開始をめざす" in [c.value for row in ws.iter_rows() for c in row]
    from pptx import Presentation

    from conftest import pptx_text
    from kpi.export import deck

    prs = Presentation(io.BytesIO(deck.build(m)))
    first = prs.slides[1]  # right after the cover: the exceptions with their check-ins
    assert first.name.startswith("遅れ・注意の指標")
    assert "伴走支援で5業務の運用開始をめざす" in pptx_text(first)


# --- what the pages lead with -------------------------------------------------------------------------

def test_overview_leads_with_the_indicators_behind_worst_first_under_a_filter(tmp_path, monkeypatch, policy):
    at = run_app("app_pages/overview.py", tmp_path / "store", monkeypatch, as_of="2025-09", issue=["2"])
    # K2-3 (1 of 4, first reported at 1 in April) is on the pace from its first report; K2-2 (9 of 20) is not
    assert at.subheader[0].value == "遅れ・注意の指標（1件、悪い順）"
    cards = overview_cards(at)
    assert [c.split("　")[0] for c in cards] == ["△ 注意"] and {c.split("　")[1].split(" ")[0] for c in cards} == {"K2-2"}
    s = Store(tmp_path / "store")
    assert [r.indicator.indicator_id for r in exceptions(results(s, policy, FY, "2025-09", ["2"]))] == ["K2-2"]
    assert [r.indicator.indicator_id for r in exceptions(results(s, policy, FY, "2025-09"))] == ["K4-8", "K3-1", "K1-2", "K2-2"]
    assert "K1-1" not in "\n".join(overview_cards(at))
    # each card links to its detail on 指標 with the view's filters (a link opened in a new tab shows the same view)
    (body,) = [h.proto.body for h in at.get("html") if 'class="kpi-cards"' in h.proto.body]
    # and, once drawn, brings the detail into view (data-kpi-show: its container's key, assets/links.js)
    assert re.findall(r'<a href="([^"]+)" data-kpi-page data-kpi-show="indicator_detail">', body) == [
        "indicators?fy=2025&amp;issue=2&amp;as_of=2025-09&amp;indicator=K2-2"]


def indicator_menu(at) -> str:
    """The label of 指標's popover that holds the list of indicators, as the reader sees it."""
    (label,) = [b.proto.popover.label for b in at.get("popover") if b.proto.popover.label.startswith("詳しく見る指標")]
    return unescape(label)


def test_indicator_selection_is_kept_in_the_url(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("KPI_STORE", str(tmp_path / "store"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["indicator"] = "K4-3"
    at.query_params["as_of"] = "2025-09"
    at.run()
    at.switch_page("app_pages/indicators.py").run()
    assert held(at.pills, "indicator").value == "K4-3" and at.query_params["indicator"] == "K4-3"
    assert at.markdown and any(m.value.startswith("##### K4-3") for m in at.markdown)
    assert indicator_menu(at).startswith("詳しく見る指標：K4-3 ")  # the list's button names the indicator shown
    at.session_state["indicator_menu"] = True  # the list opened
    held(at.pills, "indicator").set_value("K2-2").run()
    assert at.query_params["indicator"] == "K2-2"
    assert indicator_menu(at).startswith("詳しく見る指標：K2-2 ") and at.session_state["indicator_menu"] is False  # chosen: closed
    follow(at, "遅れ・注意から（悪い順）")  # a link that keeps the indicator chosen
    assert at.query_params["order"] == "worst" and at.query_params["indicator"] == "K2-2"
    follow(at, "すべての列の表")
    table = next(t for t in frames(at) if "前回の報告から" in t.columns)
    assert list(table["状況"])[:3] == ["× 遅れ", "△ 注意", "△ 注意"] and at.query_params["order"] == "worst"
    # Another page and back (as after an upload): the same indicator and order come back with the page.
    at.switch_page("app_pages/upload.py").run()
    at.query_params.pop("indicator", None)  # a page link carries the filters, not the page's own choices
    at.switch_page("app_pages/indicators.py").run()
    assert held(at.pills, "indicator").value == "K2-2" and at.query_params["order"] == "worst"
    assert at.query_params["show"] == "columns" and any("年度末見込み" in t.columns for t in frames(at))
    assert any(m.value.startswith("##### K2-2") for m in at.markdown)
    # within the page, the address is all: the Back button to an address without ?order= shows the default order
    at.query_params.pop("order")
    at.run()
    assert "order" not in at.query_params and at.query_params["show"] == "columns"
    assert list(next(t for t in frames(at) if "前回の報告から" in t.columns)["指標ID"])[:2] == ["K1-1", "K1-2"]


@pytest.mark.parametrize("query, said", [
    ({"indicator": "K9-9"}, "リンクで指定された指標「K9-9」"),  # last year's link, or a mistyped one
    ({"order": "best"}, "並べ方「best」"),
])
def test_a_page_choice_in_a_link_that_the_page_does_not_offer_is_said_under_it(query, said, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("KPI_STORE", str(tmp_path / "store"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in {"as_of": "2025-09", **query}.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("app_pages/indicators.py").run()
    notes = [c.value for c in at.main.caption if "リンクで指定された" in c.value]
    assert len(notes) == 1 and said in unescape(notes[0]) and "この表示にないため使っていません" in notes[0]
    assert at.session_state["indicator"] == "" and not at.pills and at.session_state["order"] == "issue"  # the defaults
    assert not [c for c in at.sidebar.caption if "リンクで指定された" in c.value]
    follow(at, "遅れ・注意から（悪い順）")
    assert not [c for c in at.caption if "リンクで指定された" in c.value]


def test_the_address_decides_when_the_session_has_forgotten_a_filter(tmp_path, monkeypatch):
    """The browser's back button leads to a page whose filters the framework has forgotten (its widgets' values) while
    the address still says them: the address is then taken at its word, not the defaults (基準月 went back to 最新)."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("KPI_STORE", str(tmp_path / "store"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["fy"], at.query_params["as_of"], at.query_params["issue"] = "2025", "2025-09", "2"
    # as after the back button: the address this session wrote, and no choice held any more
    at.session_state["_url_written"] = {"fy": "2025", "issue": ["2"], "as_of": "2025-09"}
    at.run()
    assert at.session_state["_filters"].as_of == "2025-09" and at.session_state["_filters"].issues == ("2",)
    assert at.query_params["as_of"] == "2025-09" and at.query_params["issue"] == "2"
    assert not [c for c in at.main.caption if "リンクで指定された" in c.value]  # nothing to say: the view offers both


def test_the_pages_own_defaults_stay_out_of_a_url_that_does_not_name_them(tmp_path, monkeypatch):
    """A first visit to 指標 writes neither ?order= nor ?indicator= (their defaults; each write is a message and a
    history update in the browser); a choice is in the address, and the default is not."""
    at = run_app("app_pages/indicators.py", tmp_path / "store", monkeypatch)
    assert "order" not in at.query_params and "indicator" not in at.query_params, dict(at.query_params)
    follow(at, "遅れ・注意から（悪い順）")
    assert at.query_params["order"] == "worst"
    follow(at, "経営課題の順")  # the link to the default leaves it out of the address
    assert "order" not in at.query_params and "indicator" not in at.query_params


def test_a_change_whose_status_moved_says_so_on_a_second_line():
    """A rise can be 悪化 when the status fell behind a rising pace: the move of the status explains the word."""
    fell = evaluate_indicator(make("sum", 120), acts({"2025-08": 45, "2025-09": 5}), FY, "2025-09")
    held = evaluate_indicator(make("sum", 120), acts({"2025-08": 1, "2025-09": 20}), FY, "2025-09")
    assert fmt.change_lines(fell) == ["↑ +5件（悪化）", fmt.status_change_text(fell)]
    assert "→" in fmt.status_change_text(fell)
    assert fmt.change_lines(held) == ["↑ +20件（ペースに対して改善）"]
    cell = re.search(r'<td class="change">(.*?)</td>', charts.bar_table_html([fell], "表")).group(1)
    assert cell == f"↑ +5件（悪化）<br><small>{fmt.status_change_text(fell)}</small>"
