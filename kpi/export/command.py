"""``python -m kpi export``: the 会議資料 page's files from the command line (same code).

    python -m kpi export --format pptx --out 会議資料.pptx [--fy 2025] [--issue 2 ...] [--as-of 2025-09]
    python -m kpi export --format png --out charts/        every chart as PNG into a folder
    python -m kpi export --format svg --out charts.zip     … or into a ZIP
    python -m kpi export --format pdf --out report.pdf    the printable PDF (a .pdf file)
    python -m kpi export --format pdf --out charts/       every chart as its own PDF (a folder or .zip)
    python -m kpi export --format csv --out table.csv [--encoding cp932] [--table monthly]
    python -m kpi export --format publish --out 公表用/       the year-end publication: HTML, Excel 様式 and PDF in a folder
    python -m kpi export --format publish --out 公表用.zip    … or the three in a ZIP (.html/.xlsx/.pdf: that one file only)

``--out`` may be a folder — an existing one, one written with a trailing slash, or a new path without an extension —
and the file goes inside under its own name (デジタル統括室_令和7年度_運営方針_令和7年9月末.pptx, kpi.export.file_name),
or a file. It never replaces a symbolic link, a device, a folder or a read-only file: those are refused in Japanese
(exit 1), as is any folder the user cannot write into.

Exit status: 0 written, 1 refused (no browser for images, unknown 経営課題, nothing to export, a path that must not be
written), 2 usage.
"""
from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from kpi import cliargs, fiscal
from kpi.export import DEFAULT_SECTIONS, FORMATS, SECTIONS, Scope, build, file_name
from kpi.store.snapshot import moment_arg

CHOICES = ("png", "svg", "pdf", "pptx", "xlsx", "csv", "publish")
OK, REFUSED = 0, 1
# The publication's single parts, chosen by --out's extension (anything else but .zip is a folder for all three).
PUBLISH_PARTS = ("html", "xlsx", "pdf")


class WriteRefused(Exception):
    """A path ``--out`` must not write (a link, a device, a folder, a read-only file), or a write the system refused;
    the message is Japanese and names the path."""


_month = cliargs.month


def add_parser(sub) -> None:
    """The ``export`` subcommand's arguments (called by kpi.cli.build_parser)."""
    e = sub.add_parser("export", help="会議資料・グラフ画像・表の書き出し（画面の「会議資料」と同じもの）")
    e.add_argument("--format", required=True, choices=CHOICES,
                   help="png/svg: すべてのグラフ（フォルダか .zip）、pdf: .pdf なら印刷用 PDF・フォルダか .zip ならグラフごとの PDF、"
                        "publish: 年度末の公表用（HTML・Excel様式・PDF。フォルダか .zip）")
    e.add_argument("--out", required=True,
                   help="書き出し先（ファイル、フォルダ、または .zip）。フォルダなら所属・年度・基準月の入った名前で中に作ります")
    e.add_argument("--fy", type=int, help="年度（西暦の開始年、例 2025 = 令和7年度）")
    e.add_argument("--issue", action="append", help="経営課題（複数可、未指定ならすべて）")
    e.add_argument("--as-of", type=_month, help="基準月 YYYY-MM（既定: 最新＝いまの月、終わった年度はその年度の3月）")
    e.add_argument("--include", action="append", choices=list(SECTIONS),
                   help=f"含める内容（複数可、既定: {' '.join(DEFAULT_SECTIONS)}）: {', '.join(SECTIONS)}")
    e.add_argument("--encoding", default="utf-8-sig", choices=("utf-8-sig", "cp932"), help="CSV の文字コード（既定: BOM 付き UTF-8）")
    e.add_argument("--table", default="indicators", choices=("indicators", "monthly"), help="CSV にする表（既定: 指標の一覧）")
    e.add_argument("--as-known-at", type=moment_arg, metavar="日時|記録番号",
                   help="その時点で分かっていた記録で作る（例 2025-10-15T10:00、または資料に印刷された記録番号）")


def refusal(path: Path) -> str | None:
    """Why ``path`` must not be (re)written, in Japanese; None when it may."""
    if path.is_symlink():
        return f"{path} はシンボリックリンクです。リンクを置き換えないため書き出しません。別の名前を指定してください"
    if not path.exists():
        parent = path.parent
        if parent.exists() and not parent.is_dir():
            return f"{parent} はフォルダではありません"
        return None
    mode = path.stat().st_mode
    if stat.S_ISDIR(mode):
        return f"{path} はフォルダです。ファイルの名前を指定するか、フォルダの中に作るなら末尾に / を付けてください"
    if not stat.S_ISREG(mode):
        return f"{path} は通常のファイルではありません（デバイスなど）。書き出しません"
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
        return f"{path} は読み取り専用のファイルです。上書きしません（別の名前を指定してください）"
    return None


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename; WriteRefused for a path that must not be written."""
    reason = refusal(path)
    if reason:
        raise WriteRefused(reason)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WriteRefused(f"{path} に書き出せません（{exc.strerror or exc}）") from exc


def _folder(path: Path) -> Path:
    """``path`` as a folder to write into (made when missing); WriteRefused when it is a file, a device or unwritable."""
    if path.exists() and not path.is_dir():
        raise WriteRefused(f"{path} はフォルダではありません")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteRefused(f"フォルダ {path} を作れません（{exc.strerror or exc}）") from exc
    return path


def is_folder(raw: str) -> bool:
    """--out names a folder: it is one, it ends with a slash, or it is a new path without an extension."""
    path = Path(raw)
    return raw.endswith(("/", os.sep)) or path.is_dir() or (not path.suffix and not os.path.lexists(path))


def write_publication(m, out: Path, folder: bool, progress) -> str:
    """The publication: into a folder (three files), or one .zip, or one part by its extension; returns what was written."""
    from kpi.export import publish

    suffix = out.suffix.lower().lstrip(".")
    if not folder and suffix == "zip":
        _atomic_write(out, publish.zip_all(m, progress))
        return f"{out}（{FORMATS['publish'].label}）"
    if not folder and suffix in PUBLISH_PARTS:
        _atomic_write(out, publish.BUILDERS[suffix](m, progress))
        return f"{out}（公表用 {publish.PARTS[suffix]}）"
    if not folder:
        raise WriteRefused(f"{out}: 公表用はフォルダ、.zip、または .html / .xlsx / .pdf のいずれかに書き出します")
    names = []
    for name, data in publish.files(m, progress):
        _atomic_write(_folder(out) / name, data)
        names.append(name)
    return f"{out}/ に{len(names)}件（{'、'.join(names)}）"


def cmd_export(args, policy, store, on_written: Callable[[str], None] | None = None) -> int:
    """Write the export ``args`` asks for; ``on_written(path)`` is told the file (or folder) actually written."""
    fy = args.fy or policy.fiscal_year
    unknown = [i for i in (args.issue or []) if i not in policy.issues]
    if unknown:
        print(f"経営課題 {', '.join(unknown)} はありません（{', '.join(policy.issues)}）", file=sys.stderr)
        return REFUSED
    if fy not in policy.target_years():
        print(f"{fiscal.fy_label(fy, western=True)}に目標のある指標はありません", file=sys.stderr)
        return REFUSED
    from kpi.export import bundle, images
    from kpi.export.content import all_charts, charts_for, gather
    from kpi.export.images import ExportUnavailable

    as_of = args.as_of or fiscal.latest_as_of(fy)
    sections = tuple(args.include) if args.include else DEFAULT_SECTIONS
    if args.format == "publish" and "evaluation" not in sections:
        sections = (*sections, "evaluation")  # the publication is the year-end evaluation's form
    m = gather(store, policy, Scope(fy, tuple(args.issue or ()), as_of, sections))
    raw = os.fspath(args.out)
    out, folder = Path(raw), is_folder(raw)

    tty = sys.stderr.isatty()

    def progress(frac: float, text: str) -> None:
        if tty:  # a scheduled job's log gets only the closing line
            print(f"\r{int(frac * 100):3d}% {text}\033[K", end="", file=sys.stderr, flush=True)

    try:
        if args.format in ("png", "svg") or (args.format == "pdf" and out.suffix.lower() != ".pdf"):
            charts = all_charts(m) if not args.include else charts_for(m)
            if not images.available():
                raise ExportUnavailable(images.NO_BROWSER)
            if out.suffix.lower() == ".zip" and not folder:
                _atomic_write(out, bundle.zip_charts(charts, args.format, progress))
                where, written = str(out), f"{out}（{len(charts)}枚）"
            else:
                files = bundle.rendered(charts, args.format, progress)
                for name, blob in files:
                    _atomic_write(_folder(out) / name, blob)  # each chart's name is checked like any other file
                where, written = str(_folder(out)), f"{out}/ に{len(files)}枚"
        elif args.format == "publish":
            where, written = str(out), write_publication(m, out, folder, progress)
        else:
            key = args.format
            if key == "csv":
                key = ("monthly_csv" if args.table == "monthly" else "csv") + ("_cp932" if args.encoding == "cp932" else "")
            target = _folder(out) / file_name(m, FORMATS[key]) if folder else out
            reason = refusal(target)  # before the (slow) build: a refused path costs nothing
            if reason:
                raise WriteRefused(reason)
            _atomic_write(target, build(m, key, progress))
            where, written = str(target), f"{target}（{FORMATS[key].label}）"
    except (ExportUnavailable, WriteRefused) as exc:
        print(("\n" if tty else "") + str(exc), file=sys.stderr)
        return REFUSED
    if tty:
        print("", file=sys.stderr)
    if on_written is not None:
        on_written(where)
    print(f"書き出しました: {written}　{fiscal.fy_label(fy)} {m.scope_label()} 基準 {fiscal.month_label(as_of)}末")
    return OK
