"""File names say whose and when: 「<所属名>_令和7年度_運営方針_令和7年9月末.pptx」 for every export, the template and
the publication (kpi.export.file_name / scope_file_name / name_stem, kpi.template.template_name)."""
from __future__ import annotations

import pytest

from conftest import DATA, write_policy
from kpi.export import FORMATS, Scope, file_name, gather, name_stem, scope_file_name
from kpi.policy import load_policy
from kpi.template import template_name

SEPTEMBER = {
    "pptx": "デジタル統括室_令和7年度_運営方針_令和7年9月末.pptx",
    "xlsx": "デジタル統括室_令和7年度_指標の達成状況_令和7年9月末.xlsx",
    "pdf": "デジタル統括室_令和7年度_運営方針_令和7年9月末.pdf",
    "zip": "デジタル統括室_令和7年度_グラフ画像_令和7年9月末.zip",
    "csv": "デジタル統括室_令和7年度_指標の達成状況_令和7年9月末.csv",
    "csv_cp932": "デジタル統括室_令和7年度_指標の達成状況_SJIS_令和7年9月末.csv",
    "monthly_csv": "デジタル統括室_令和7年度_月次実績_令和7年9月末.csv",
    "monthly_csv_cp932": "デジタル統括室_令和7年度_月次実績_SJIS_令和7年9月末.csv",
    "publish": "デジタル統括室_令和7年度_運営方針_公表用_令和7年9月末.zip",
}


def test_every_format_is_named():
    assert set(SEPTEMBER) == set(FORMATS)  # a new format says here what its file is called


@pytest.mark.parametrize(("key", "expected"), SEPTEMBER.items())
def test_names_carry_department_year_and_month(store, policy, key, expected):
    m = gather(store, policy, Scope(2025, (), "2025-09"))
    assert file_name(m, FORMATS[key]) == expected
    assert scope_file_name(policy, m.scope, FORMATS[key]) == expected  # named before anything is gathered: the same


@pytest.mark.parametrize(("issues", "as_of", "expected"), [
    (("2",), "2025-09", "デジタル統括室_令和7年度_運営方針_経営課題2_令和7年9月末.pptx"),
    (("3", "1"), "2026-03", "デジタル統括室_令和7年度_運営方針_経営課題1・経営課題3_令和8年3月末.pptx"),
    (("1", "2", "3", "4"), "2025-10", "デジタル統括室_令和7年度_運営方針_令和7年10月末.pptx"),  # every 経営課題 = no filter
])
def test_filter_and_month_are_in_the_name(store, policy, issues, as_of, expected):
    scope = Scope(2025, issues, as_of)
    assert file_name(gather(store, policy, scope), FORMATS["pptx"]) == expected
    assert scope_file_name(policy, scope, FORMATS["pptx"]) == expected


def test_publication_parts_share_the_stem(store, policy):
    m = gather(store, policy, Scope(2025, (), "2026-03"))
    stem = "デジタル統括室_令和7年度_運営方針_公表用_令和8年3月末"
    assert [file_name(m, FORMATS["publish"], ext) for ext in ("html", "xlsx", "pdf")] == [f"{stem}.html", f"{stem}.xlsx", f"{stem}.pdf"]


def test_two_departments_never_share_a_name(store, policy, other_policy_dir):
    other = load_policy(other_policy_dir)
    mine = gather(store, policy, Scope(2025, (), "2025-09"))
    theirs = gather(store, other, Scope(2026, (), "2026-09"))
    assert file_name(theirs, FORMATS["pptx"]) == "テスト局_令和8年度_運営方針_令和8年9月末.pptx"
    same_month = Scope(2025, (), "2025-09")
    assert scope_file_name(other, same_month, FORMATS["xlsx"]) != file_name(mine, FORMATS["xlsx"])


@pytest.mark.parametrize(("department", "expected"), [
    ("企画/調整:課", "企画-調整-課_令和7年度_運営方針_令和7年9月末.pptx"),  # no folder can be named by the policy's text
    ("..", "令和7年度_運営方針_令和7年9月末.pptx"),
    ("", "令和7年度_運営方針_令和7年9月末.pptx"),  # no department stated: the year leads
])
def test_the_department_is_made_safe_for_a_file_name(tmp_path, department, expected):
    text = (DATA / "policy.csv").read_text(encoding="utf-8").replace("department,所属,デジタル統括室", f"department,所属,{department}")
    folder = write_policy(tmp_path / "p", {"policy.csv": text})
    assert scope_file_name(load_policy(folder), Scope(2025, (), "2025-09"), FORMATS["pptx"]) == expected


def test_template_and_stem_names():
    assert template_name(2025, "xlsx", "デジタル統括室") == "デジタル統括室_令和7年度_実績入力テンプレート.xlsx"
    assert template_name(2026, "csv", "テスト局") == "テスト局_令和8年度_実績入力テンプレート.csv"
    assert template_name(2025, "xlsx") == "令和7年度_実績入力テンプレート.xlsx"
    assert name_stem("デジタル統括室", 2019, "運営方針") == "デジタル統括室_令和元年度_運営方針"

