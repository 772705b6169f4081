"""One truth per indicator: every surface shows the same value, %, status and final grade.

For the sample data and for a second policy (other IDs, all five kinds, lower-is-better caps,
a multi-year target, January–March rows, checkpoints), with an override recorded, each
indicator's figures are read from ``status --json`` and compared with what 概要, 指標 and
年度評価 say (AppTest), the workbook's cells, the deck's text and the CSV. The expected texts
are built from the JSON here, not with kpi.fmt, so a surface that formats on its own is caught.
"""
from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import math
import re

import pytest
from openpyxl import load_workbook
from pptx import Presentation

from conftest import DATA, SECOND_ACTUALS, SECOND_POLICY, every_column, frames, run_app
from kpi import cli, export
from kpi import evaluation as ev
from kpi.export import deck
from kpi.importer import commit, preview
from kpi.policy import load_policy
from kpi.store import Store

GRADE_WORDS = {"A": "達成", "B": "未達成"}
SYMBOLS = {"達成": "◎", "順調": "○", "注意": "△", "遅れ": "×", "未報告": "－"}


def number(x: float, unit: str) -> str:
    text = f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"
    return text + unit


def expected(j: dict) -> dict[str, str]:
    """What every surface must show for one indicator, from its JSON record alone. Beside a final grade an editor
    overrode, the status is the computed one and says so (「算定 × 遅れ」 next to 「A（達成）※（算定 B）」)."""
    pct = None if j["progress"] is None else f"{math.floor(j['progress'] * 100 + 1e-9):,}%"
    grade = ""
    if j["grade"]:
        grade = f"{j['grade']}（{GRADE_WORDS[j['grade']]}）"
        if j["override"]:
            grade += f"※（算定 {j['computed_grade']}）"
    return {
        "value": "未報告" if j["value"] is None else number(j["value"], j["unit"]),
        "pct": "－" if pct is None else ("上限の" + pct if j["direction"] == "lower" else pct),
        "status": ("算定 " if j["grade"] and j["override"] else "") + f"{SYMBOLS[j['status']]} {j['status']}",
        "grade": grade,
    }


# Hand-computed from data/sample_actuals.csv and data/targets.csv, so that agreement is also correctness:
#   K4-3 (sum, target 60名/年): Apr–Sep 0+5+8+10+0+6 = 29 → 29/60 = 48.3 % → 48 %; pace 60×6/12 = 30, 29/30 = 0.97 ≥ 0.9 → 順調.
#        Oct–Mar 9+7+5+0+4+3 = 28 → 57 → 57/60 = 95 %; < 60 → B, and at year end 0.95 ≥ 0.7 → 注意.
#   K2-4 (mean, 1,870時間/月 以上): Apr–Sep (1652+1704+1761+1798+1843+1880)/6 = 10638/6 = 1,773 → 1773/1870 = 94.8 % → 94 %;
#        the year 22358/12 = 1,863.17 → 1,863.2時間, 1863.17/1870 = 99.63 % → 99 % (floored, never 100 %) → B.
#   K1-2 (ratio, 25%): Apr–Sep Σ分子 2460 / Σ分母 11988 = 20.52 % → 20.5%, 20.52/25 = 82 %;
#        the year 5814 / 24664 = 23.57 % → 23.6%, 23.57/25 = 94 % → B.
#   K1-1 (latest, 2,000件): September 1,731件 → 86 %; March 2,046件 → 102 % → A.
#   K4-7 (latest, 3事業): 2事業 → 66 % → computed B, overridden to A at year end.
HAND = {
    "2025-09": {"K4-3": ("29名", "48%", "○ 順調", ""), "K2-4": ("1,773時間", "94%", "○ 順調", ""),
                "K1-2": ("20.5%", "82%", None, ""), "K1-1": ("1,731件", "86%", None, "")},
    "2026-03": {"K4-3": ("57名", "95%", "△ 注意", "B（未達成）"), "K2-4": ("1,863.2時間", "99%", "△ 注意", "B（未達成）"),
                "K1-2": ("23.6%", "94%", "△ 注意", "B（未達成）"), "K1-1": ("2,046件", "102%", "◎ 達成", "A（達成）"),
                "K4-7": ("2事業", "66%", "算定 × 遅れ", "A（達成）※（算定 B）")},
}


def load(store_root, data_dir, raw: bytes, overrides: list[tuple[str, str, str]]) -> None:
    store, policy = Store(store_root), load_policy(data_dir)
    pv = preview(store, policy, raw, "actuals.csv", today=dt.date(2026, 11, 1))
    assert pv.ok, pv.errors
    commit(store, pv, "テスト")
    for iid, grade, reason in overrides:
        ev.set_override(store, 2025, iid, grade, reason, "評価担当")


@pytest.fixture(params=["sample", "second"])
def case(request, tmp_path, monkeypatch):
    """(data folder, store) with actuals and an override of a computed B to A."""
    if request.param == "sample":
        data_dir = DATA
        raw, overrides = (DATA / "sample_actuals.csv").read_bytes(), [("K4-7", "A", "3事業目は3月に実施済み")]
    else:
        data_dir = tmp_path / "second"
        data_dir.mkdir()
        for name, text in SECOND_POLICY.items():
            (data_dir / name).write_text(text, encoding="utf-8")
        raw, overrides = SECOND_ACTUALS.encode(), [("Q-01", "A", "3月の2件は区外の事案（集計誤り）")]
    store_root = tmp_path / "store"
    load(store_root, data_dir, raw, overrides)
    monkeypatch.setenv("KPI_DATA_DIR", str(data_dir))
    monkeypatch.setenv("KPI_STORE", str(store_root))
    return data_dir, store_root


def status_json(as_of: str, capsys) -> dict[str, dict]:
    assert cli.main(["status", "--json", "--fy", "2025", "--as-of", as_of]) == 0
    return {r["indicator_id"]: r for r in json.loads(capsys.readouterr().out)}


def overview(store_root, monkeypatch, as_of, policy) -> dict[str, dict[str, str]]:
    at = run_app("app_pages/overview.py", store_root, monkeypatch, as_of=as_of)
    out = {}
    paragraphs = [p for m in at.markdown for p in m.value.split("\n\n")]  # the cards of the indicators behind
    # each 経営課題's section (HTML): a paragraph per indicator, bold as <strong>, read in the same form
    paragraphs += [html.unescape(re.sub(r"</?strong>", "**", p)) for h in at.get("html") if "kpi-section" in h.proto.body
                   for p in re.findall(r"<p>(.*?)</p>", h.proto.body)]
    for para in paragraphs:
        for iid, ind in policy.indicators.items():
            head = re.match(r"^\*\*(.+?)\*\*　" + re.escape(f"{iid} {ind.short_name}：") + r"(.+?)（目標 .+?、(.+?)）"
                            r"(?:　評価 \*\*(.+?)\*\*)?(?:　\*\*\d+月分未報告（最終報告 \d+月）\*\*)?$", para)
            if head:
                status, value, progress, grade = head.groups()
                pct = re.search(r"(?:達成率 |上限.+?の)([\d,]+%|－)", progress)
                out[iid] = {"value": value, "pct": ("上限の" if progress.startswith("上限") else "") + pct.group(1),
                            "status": status, "grade": grade or ""}
    return out


def indicators_page(store_root, monkeypatch, as_of) -> dict[str, dict[str, str]]:
    at = run_app("app_pages/indicators.py", store_root, monkeypatch, as_of=as_of)
    table = every_column(at)
    return {r["指標ID"]: {"value": r["実績"], "pct": r["達成率"], "status": r["状況"], "grade": r["評価"]}
            for r in table.to_dict("records")}


def evaluation_page(store_root, monkeypatch, as_of) -> dict[str, dict[str, str]]:
    at = run_app("app_pages/evaluation.py", store_root, monkeypatch, as_of=as_of)
    out = {}
    for t in frames(at):
        if "最終評価" not in t.columns:
            continue
        for r in t.to_dict("records"):
            row = {"value": r["年度実績"], "pct": r["達成率"]}
            if "状況（基準月時点）" in r:
                row["status"] = r["状況（基準月時点）"]
            row["grade"] = "" if r["最終評価"] == ev.PROVISIONAL_LABEL else r["最終評価"]
            out[r["指標ID"]] = row
    return out


def exports(store_root, data_dir, as_of) -> dict[str, dict[str, dict]]:
    policy = load_policy(data_dir)
    m = export.gather(Store(store_root), policy, export.Scope(2025, (), as_of, ("summary", "evaluation")))
    out: dict[str, dict[str, dict]] = {"workbook": {}, "csv": {}, "deck": {}}
    ws = load_workbook(io.BytesIO(export.build(m, "xlsx")))["指標"]
    rows = list(ws.iter_rows())
    header = next([c.value for c in r] for r in rows if r and r[0].value == "経営課題")
    col = {h: i for i, h in enumerate(header)}
    for r in rows[next(n for n, r in enumerate(rows) if r[0].value == "経営課題") + 1:]:
        if r[col["指標ID"]].value in policy.indicators:
            pct = r[col["達成率"]]  # a number under a % format: read as Excel shows it
            shown = "－" if pct.value is None else ("上限の" if pct.number_format.startswith('"上限の"') else "") + \
                f"{round(pct.value * 100):,}%"
            assert pct.value is None or (pct.data_type == "n" and pct.number_format.endswith("0%"))
            out["workbook"][r[col["指標ID"]].value] = {"number": r[col["令和7年度 実績"]].value, "pct": shown,
                                                        "status": r[col["状況"]].value,
                                                        "grade": r[col["達成状況（A：達成 B：未達成）"]].value}
    for r in csv.DictReader(io.StringIO(export.build(m, "csv").decode("utf-8-sig"))):
        out["csv"][r["指標ID"]] = {"number": r["令和7年度 実績"], "pct": r["達成率"], "status": r["状況"],
                                   "grade": r["達成状況（A：達成 B：未達成）"]}
    prs = Presentation(io.BytesIO(deck.build(m)))
    for s in prs.slides:  # mid-year 全体の状況 (no grade yet); at year end 年度評価 lists every indicator instead
        if not s.name.startswith(("全体の状況", "年度評価")):
            continue
        table = next(sh for sh in s.shapes if sh.has_table).table
        head = [c.text for c in table.rows[0].cells]
        for row in list(table.rows)[1:]:
            cells = dict(zip(head, (c.text for c in row.cells)))
            if "最終評価" in cells:
                out["deck"][cells["ID"]] = {"value": cells["年度実績"].split("\n")[0], "pct": cells["達成率"],
                                            "grade": cells["最終評価"].replace("※1", "※")}
            else:
                out["deck"][cells["ID"]] = {"value": cells["実績"].split("\n")[0], "pct": cells["達成率"], "status": cells["状況"],
                                            "grade": cells.get("評価", "")}
    return out


@pytest.mark.parametrize("as_of", ["2025-09", "2026-03"])
def test_every_surface_agrees_on_value_percent_status_and_final_grade(case, as_of, monkeypatch, capsys):
    data_dir, store_root = case
    policy = load_policy(data_dir)
    records = status_json(as_of, capsys)
    assert list(records) == [i for i, ind in policy.indicators.items() if ind.target(2025)]
    want = {iid: expected(j) for iid, j in records.items()}
    if data_dir == DATA:  # the sample: the JSON itself against figures worked out by hand
        for iid, (value, pct, status, grade) in HAND[as_of].items():
            assert (want[iid]["value"], want[iid]["pct"], want[iid]["grade"]) == (value, pct, grade), iid
            assert status is None or want[iid]["status"] == status, iid
    year_end = as_of == "2026-03"
    overridden = [iid for iid, j in records.items() if j["override"]]
    assert len(overridden) == 1 and (records[overridden[0]]["grade"] == "A") == year_end

    surfaces = {
        "概要": overview(store_root, monkeypatch, as_of, policy),
        "指標": indicators_page(store_root, monkeypatch, as_of),
        "年度評価": evaluation_page(store_root, monkeypatch, as_of),
        **exports(store_root, data_dir, as_of),
    }
    for name, shown in surfaces.items():
        assert set(shown) == set(want), name
        for iid, got in shown.items():
            w = want[iid]
            if "value" in got:
                assert got["value"] == w["value"], (name, iid)
            if "number" in got:  # spreadsheets keep a number, rounded as the screen shows it (20.52 → 20.5)
                assert got["number"] in (None, "") if records[iid]["value"] is None else \
                    number(float(got["number"]), records[iid]["unit"]) == w["value"], (name, iid, got["number"])
            assert got["pct"] == w["pct"], (name, iid, got, w)
            if "status" in got:
                assert got["status"] == w["status"], (name, iid)
            grade = got["grade"] if got["grade"] not in (ev.PROVISIONAL_LABEL, "未確定") else ""
            assert grade == w["grade"], (name, iid, got, w)
    # the override is on every surface that shows grades, marked ※ with the computed grade beside it
    if year_end:
        iid = overridden[0]
        assert all(s[iid]["grade"] == "A（達成）※（算定 B）" for s in surfaces.values()), {k: v[iid] for k, v in surfaces.items()}


def test_a_percentage_is_floored_everywhere(tmp_path, monkeypatch, capsys):
    """Q-03 ends the year at 79.6 % of 80 %: 99.5 % of its target reads 99 %, never 100 %."""
    data_dir = tmp_path / "second"
    data_dir.mkdir()
    for name, text in SECOND_POLICY.items():
        (data_dir / name).write_text(text, encoding="utf-8")
    load(tmp_path / "store", data_dir, SECOND_ACTUALS.encode(), [])
    monkeypatch.setenv("KPI_DATA_DIR", str(data_dir))
    monkeypatch.setenv("KPI_STORE", str(tmp_path / "store"))
    q03 = status_json("2026-03", capsys)["Q-03"]
    assert q03["progress"] == pytest.approx(0.995) and q03["progress_text"] == "99%" and q03["grade"] == "B"
    for shown in (indicators_page(tmp_path / "store", monkeypatch, "2026-03"), *exports(tmp_path / "store", data_dir, "2026-03").values()):
        assert shown["Q-03"]["pct"] == "99%"
