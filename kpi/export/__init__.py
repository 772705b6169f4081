"""Exports for meetings: one registry row per format, shared by the 会議資料 page and ``python -m kpi export``.

    m = gather(store, policy, Scope(fy, issue_ids, as_of, sections))
    data = build(m, "pptx", progress)              # bytes; progress(fraction, 日本語の説明)
    name = file_name(m, FORMATS["pptx"])           # デジタル統括室_令和7年度_運営方針_令和7年9月末.pptx

Per chart: ``images.render(fig, "png"|"svg"|"pdf")`` (PNG at 2×); names from ``chart_name``.
The heavy modules (plotly, python-pptx, openpyxl, fpdf2) load on first use, so the
command line's other subcommands start quickly.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kpi.export.scope import DEFAULT_SECTIONS, SECTIONS, Scope

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Format:
    key: str
    label: str  # Japanese, for the page and the CLI's messages
    extension: str
    mime: str
    builder: str  # "module:function" in kpi.export, called as function(materials, progress)
    stem: str  # what the file holds: the last part of its name
    needs_browser: bool = False  # charts as pictures need kaleido's Chrome/Chromium
    help: str = ""

    def build(self, m: Any, progress: Progress | None = None) -> bytes:
        module, func = self.builder.split(":")
        return getattr(importlib.import_module(f"kpi.export.{module}"), func)(m, progress)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

FORMATS: dict[str, Format] = {
    f.key: f
    for f in (
        Format("pptx", "PowerPoint（16:9）", "pptx", PPTX, "deck:build", "運営方針", True,
               "表紙、遅れ・注意の指標と振り返り、全体の状況、予算、指標、年度評価。文字は編集でき、グラフは画像です。"),
        Format("xlsx", "Excel（運営方針の様式）", "xlsx", XLSX, "workbook:build", "指標の達成状況", False,
               "指標ごとの目標・実績・達成率・A/B・前年度実績、年度評価（上書きと理由）、自己評価・今後の方針、月次実績、予算。A4横で印刷できます。"),
        Format("pdf", "PDF（印刷用 A4横）", "pdf", "application/pdf", "pdf:build", "運営方針", True,
               "PowerPoint と同じ内容を A4 横で印刷できる形にしたものです。"),
        Format("zip", "グラフ画像一式（PNG・ZIP）", "zip", "application/zip", "bundle:zip_all", "グラフ画像", True,
               "ダッシュボードのすべてのグラフを PNG（2倍の解像度）で。"),
        Format("csv", "CSV（指標の一覧・UTF-8）", "csv", "text/csv", "tables:indicators_utf8", "指標の達成状況", False,
               "Excel でそのまま開ける UTF-8（BOM 付き）。"),
        Format("csv_cp932", "CSV（指標の一覧・Shift_JIS）", "csv", "text/csv", "tables:indicators_cp932", "指標の達成状況_SJIS", False,
               "古い Excel 向けの Shift_JIS（CP932）。"),
        Format("monthly_csv", "CSV（月次実績・UTF-8）", "csv", "text/csv", "tables:monthly_utf8", "月次実績"),
        Format("monthly_csv_cp932", "CSV（月次実績・Shift_JIS）", "csv", "text/csv", "tables:monthly_cp932", "月次実績_SJIS"),
        Format("publish", "公表用（HTML・Excel様式・PDF の ZIP）", "zip", "application/zip", "publish:zip_all", "運営方針_公表用", False,
               "年度末の運営方針を公表する形で：ウェブページ（HTML）、Excel（運営方針の様式）、PDF（A4縦）。"
               "達成状況は「…：A」の文言で、上書きした評価は※と理由の注記付き。「年度評価」を含めてください。"),
    )
}


def name_stem(department: str, fy: int, *parts: str) -> str:
    """デジタル統括室_令和7年度_運営方針_令和7年9月末: whose (the policy's 所属), which year, what, when — so that two
    departments' files, or two months' files, never take each other's place in a shared folder."""
    from kpi import fiscal
    from kpi.export.images import safe_name

    # A name of dots alone ("..") would lead the file name with dots: hidden on POSIX, refused by Windows.
    return safe_name(department.strip(" ."), fiscal.fy_label(fy), *parts)


def file_name(m: Any, f: Format, extension: str | None = None) -> str:
    """デジタル統括室_令和7年度_運営方針_令和7年9月末.pptx (…_運営方針_経営課題2_令和7年9月末.pptx under a filter):
    from known values only (所属 and 年度 from the policy, the 経営課題 filter, the 基準月, fixed words), so each
    department's and each month's file keeps its own name. ``extension`` names a part of a format of several files
    (the publication's .html/.xlsx/.pdf)."""
    return scope_file_name(m.policy, m.scope, f, extension)


def scope_file_name(policy: Any, scope: Scope, f: Format, extension: str | None = None) -> str:
    """``file_name`` before the materials are gathered (a page's download button names its file up front)."""
    from kpi import fiscal
    from kpi.export.content import scope_label

    # Every 経営課題 chosen one by one is the same content as no filter, so the same name.
    label = scope_label(policy, scope.issue_ids) if set(policy.issues) - set(scope.issue_ids or policy.issues) else ""
    stem = name_stem(policy.text("department"), scope.fy, f.stem, label, fiscal.month_label(scope.as_of) + "末")
    return f"{stem}.{extension or f.extension}"


def build(m: Any, key: str, progress: Progress | None = None) -> bytes:
    """The file of format ``key`` for materials ``m``; raises ExportUnavailable (Japanese message) when it cannot."""
    from kpi.export import images

    f = FORMATS[key]
    if f.needs_browser and not images.available():
        raise images.ExportUnavailable(images.NO_BROWSER)
    return f.build(m, progress)


_LAZY = {
    "Materials": "content", "gather": "content", "charts_for": "content", "all_charts": "content", "chart_name": "content",
    "Chart": "images", "ExportUnavailable": "images", "IMAGE_FORMATS": "images", "available": "images", "render": "images",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"kpi.export.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'kpi.export' has no attribute {name!r}")


__all__ = ["DEFAULT_SECTIONS", "FORMATS", "SECTIONS", "Format", "Scope", "build", "file_name", "name_stem", "scope_file_name", *_LAZY]
