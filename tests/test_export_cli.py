"""``python -m kpi export``: the same files as the 会議資料 page, and the exit statuses."""
from __future__ import annotations

import os
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
    assert names == sorted(["デジタル統括室_令和7年度_経営課題3_予算推移.png", "デジタル統括室_令和7年度_経営課題3_指標の達成状況.png",
                            "デジタル統括室_令和7年度_経営課題3_K3-1_月次推移.png", "デジタル統括室_令和7年度_経営課題3_K3-1_達成状況.png"])
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


# --- --out: a folder or a file, never a link, a device, a folder or a read-only file ------------------------

XLSX_SEPTEMBER = "デジタル統括室_令和7年度_指標の達成状況_令和7年9月末.xlsx"
CSV_SEPTEMBER = "デジタル統括室_令和7年度_指標の達成状況_令和7年9月末.csv"
PUBLICATION = "デジタル統括室_令和7年度_運営方針_公表用_令和8年3月末"
SEPTEMBER = ["--fy", "2025", "--as-of", "2025-09"]
YEAR_END = ["--fy", "2025", "--as-of", "2026-03"]


@pytest.mark.parametrize("how", ["trailing slash", "existing folder", "new path without extension", "link to a folder"])
def test_out_may_be_a_folder_and_the_file_is_named_inside(sample_store, tmp_path, capsys, how):
    folder = tmp_path / "資料"
    arg = str(folder)
    if how == "trailing slash":
        arg += "/"
    elif how == "existing folder":
        folder.mkdir()
    elif how == "link to a folder":
        (tmp_path / "real").mkdir()
        folder.symlink_to(tmp_path / "real", target_is_directory=True)
    assert main(["export", "--format", "xlsx", "--out", arg, *SEPTEMBER]) == 0
    assert [p.name for p in folder.iterdir()] == [XLSX_SEPTEMBER]
    assert f"{folder / XLSX_SEPTEMBER}" in capsys.readouterr().out
    assert folder.is_symlink() is (how == "link to a folder")  # a link to a folder is written through, never replaced
    # 履歴 lists the file written, not the folder it was written into
    from kpi import provenance

    assert provenance.materials(sample_store)[0]["file_name"] == XLSX_SEPTEMBER


@needs_browser
def test_pptx_into_a_folder(sample_store, tmp_path):
    assert main(["export", "--format", "pptx", "--out", f"{tmp_path / 'out'}/", "--issue", "3", *SEPTEMBER]) == 0
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["デジタル統括室_令和7年度_運営方針_経営課題3_令和7年9月末.pptx"]


def _link_to_a_file(tmp):
    (tmp / "real.csv").write_text("keep", encoding="utf-8")
    (tmp / "link.csv").symlink_to(tmp / "real.csv")
    return str(tmp / "link.csv"), tmp / "real.csv"


def _dangling_link(tmp):
    (tmp / "dangling.csv").symlink_to(tmp / "nowhere.csv")
    return str(tmp / "dangling.csv"), None


def _link_inside_the_folder(tmp):
    (tmp / "out").mkdir()
    (tmp / "real.csv").write_text("keep", encoding="utf-8")
    (tmp / "out" / CSV_SEPTEMBER).symlink_to(tmp / "real.csv")
    return f"{tmp / 'out'}/", tmp / "real.csv"


def _read_only_file(tmp):
    (tmp / "ro.csv").write_text("keep", encoding="utf-8")
    (tmp / "ro.csv").chmod(0o444)
    return str(tmp / "ro.csv"), tmp / "ro.csv"


def _folder_under_the_name(tmp):
    (tmp / "out" / CSV_SEPTEMBER).mkdir(parents=True)
    return str(tmp / "out"), None


def _device(tmp):
    return "/dev/null", None


def _file_as_folder(tmp):
    (tmp / "file.txt").write_text("keep", encoding="utf-8")
    return f"{tmp / 'file.txt'}/t.csv", tmp / "file.txt"


@pytest.mark.parametrize(("make", "words"), [
    (_link_to_a_file, "シンボリックリンクです"),
    (_dangling_link, "シンボリックリンクです"),
    (_link_inside_the_folder, "シンボリックリンクです"),
    (_read_only_file, "読み取り専用のファイルです"),
    (_folder_under_the_name, "フォルダです"),
    (_device, "通常のファイルではありません"),
    (_file_as_folder, "フォルダではありません"),
])
def test_out_never_replaces_a_link_a_device_a_folder_or_a_read_only_file(sample_store, tmp_path, capsys, monkeypatch, make, words):
    import stat

    real_replace = os.replace

    def replace(src, dst, *a, **k):  # run as root, a regression would replace the machine's /dev/null: fail instead
        if os.path.exists(dst) and not stat.S_ISREG(os.stat(dst).st_mode) and not os.path.isdir(dst):
            raise AssertionError(f"would replace a special file: {dst}")
        return real_replace(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", replace)
    arg, kept = make(tmp_path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert main(["export", "--format", "csv", "--out", arg, *SEPTEMBER]) == 1  # refused, never 3 (internal error)
    err = capsys.readouterr().err
    assert words in err and "内部エラー" not in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written, no temporary file left
    if kept is not None:
        assert kept.read_text(encoding="utf-8") == "keep"


def test_publication_into_a_folder_a_zip_or_one_part(sample_store, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(images, "browser_path", lambda: None)  # the publication needs no browser
    assert main(["export", "--format", "publish", "--out", f"{tmp_path / '公表'}/", *YEAR_END]) == 0
    assert sorted(p.name for p in (tmp_path / "公表").iterdir()) == sorted(f"{PUBLICATION}.{e}" for e in ("html", "pdf", "xlsx"))
    assert "3件" in capsys.readouterr().out
    html_text = (tmp_path / "公表" / f"{PUBLICATION}.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in html_text and "転出におけるマイナポータルの利用率 23.6%：B" in html_text
    assert main(["export", "--format", "publish", "--out", str(tmp_path / "公表.zip"), *YEAR_END]) == 0
    with zipfile.ZipFile(tmp_path / "公表.zip") as zf:
        assert zf.namelist() == [f"{PUBLICATION}.html", f"{PUBLICATION}.xlsx", f"{PUBLICATION}.pdf"]
    assert main(["export", "--format", "publish", "--out", str(tmp_path / "web.html"), *YEAR_END]) == 0
    assert (tmp_path / "web.html").read_text(encoding="utf-8") == html_text
    assert main(["export", "--format", "publish", "--out", str(tmp_path / "x.docx"), *YEAR_END]) == 1
    assert "フォルダ、.zip、または .html / .xlsx / .pdf" in capsys.readouterr().err
    assert not (tmp_path / "x.docx").exists()
