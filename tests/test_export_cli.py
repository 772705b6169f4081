"""``python -m kpi export``: the same files as the 会議資料 page, and the exit statuses."""
from __future__ import annotations

import zipfile

import pytest

from kpi.cli import main
from kpi.export import images

pytestmark = pytest.mark.xdist_group("kaleido")
needs_browser = pytest.mark.skipif(not images.available(), reason="no Chrome/Chromium for kaleido")


@needs_browser
def test_png_into_a_folder_and_svg_into_a_zip(sample_store, tmp_path, capsys):
    assert main(["export", "--format", "png", "--out", str(tmp_path / "png"), "--issue", "3", "--as-of", "2025-09"]) == 0
    names = sorted(p.name for p in (tmp_path / "png").iterdir())
    assert names == sorted(["令和7年度_経営課題3_予算推移.png", "令和7年度_経営課題3_指標の達成状況.png",
                            "令和7年度_経営課題3_K3-1_月次推移.png", "令和7年度_経営課題3_K3-1_達成状況.png"])
    assert "書き出しました" in capsys.readouterr().out
    assert main(["export", "--format", "svg", "--out", str(tmp_path / "c.zip"), "--issue", "3"]) == 0
    with zipfile.ZipFile(tmp_path / "c.zip") as zf:
        assert all(n.endswith(".svg") and zf.read(n).lstrip().startswith(b"<svg") for n in zf.namelist())


@needs_browser
def test_pptx_and_printable_pdf(sample_store, tmp_path):
    from pptx import Presentation
    from pypdf import PdfReader

    assert main(["export", "--format", "pptx", "--out", str(tmp_path / "d.pptx"), "--issue", "2", "--issue", "3"]) == 0
    assert [s.name for s in Presentation(str(tmp_path / "d.pptx")).slides] == [
        "表紙", "遅れ・注意の指標（3件、ペース比の悪い順）", "予算の推移", "経営課題2〜3：指標の達成状況",
        "年度評価（アウトカム指標の達成状況）"]  # the year has ended: 年度評価 lists every indicator, no 全体の状況 besides it
    assert main(["export", "--format", "pdf", "--out", str(tmp_path / "r.pdf"), "--issue", "2"]) == 0
    assert len(PdfReader(str(tmp_path / "r.pdf")).pages) == 5
    assert main(["export", "--format", "pdf", "--out", str(tmp_path / "charts"), "--issue", "2", "--include", "budget"]) == 0
    assert [p.suffix for p in (tmp_path / "charts").iterdir()] == [".pdf"]


def test_xlsx_and_csv_need_no_browser(sample_store, tmp_path, monkeypatch):
    monkeypatch.setattr(images, "browser_path", lambda: None)
    from openpyxl import load_workbook

    assert main(["export", "--format", "xlsx", "--out", str(tmp_path / "t.xlsx"), "--fy", "2025"]) == 0
    assert load_workbook(tmp_path / "t.xlsx").sheetnames == ["指標", "年度評価", "年度評価（根拠・上書き）", "自己評価・今後の方針",
                                                             "指標（ペース・見込み）", "指標（振り返り）", "月次実績", "予算"]
    assert main(["export", "--format", "csv", "--out", str(tmp_path / "t.csv"), "--encoding", "cp932", "--table", "monthly"]) == 0
    text = (tmp_path / "t.csv").read_bytes().decode("cp932")
    assert text.startswith("経営課題,指標ID") and "サンプル（架空）" in text
    assert main(["export", "--format", "png", "--out", str(tmp_path / "x.zip")]) == 1  # images refused, in Japanese
    assert not (tmp_path / "x.zip").exists()


def test_refusals_and_usage(sample_store, tmp_path, capsys):
    assert main(["export", "--format", "csv", "--out", str(tmp_path / "a.csv"), "--issue", "9"]) == 1
    assert "経営課題 9 はありません" in capsys.readouterr().err
    assert main(["export", "--format", "csv", "--out", str(tmp_path / "a.csv"), "--fy", "2010"]) == 1
    with pytest.raises(SystemExit) as exc:
        main(["export", "--format", "docx", "--out", str(tmp_path / "a.docx")])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["export", "--format", "csv"])
    assert exc.value.code == 2
    assert not list(tmp_path.glob("a.*"))


def test_browser_check_reports_in_japanese_and_exits_0(monkeypatch, capsys):
    from kpi import browser_check

    monkeypatch.setattr(images, "browser_path", lambda: None)
    assert browser_check.main() == 0
    out = capsys.readouterr().out
    assert "Chrome/Chromium が見つかりません" in out and "plotly_get_chrome" in out and "apt-get install chromium" in out
    monkeypatch.setattr(images, "browser_path", lambda: "/usr/bin/chromium")
    assert browser_check.main() == 0
    assert "/usr/bin/chromium" in capsys.readouterr().out
