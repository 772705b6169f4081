"""``python -m kpi export``: the 会議資料 page's files from the command line (same code).

    python -m kpi export --format pptx --out 会議資料.pptx [--fy 2025] [--issue 2 ...] [--as-of 2025-09]
    python -m kpi export --format png --out charts/        every chart as PNG into a folder
    python -m kpi export --format svg --out charts.zip     … or into a ZIP
    python -m kpi export --format pdf --out report.pdf    the printable PDF (a .pdf file)
    python -m kpi export --format pdf --out charts/       every chart as its own PDF (a folder or .zip)
    python -m kpi export --format csv --out table.csv [--encoding cp932] [--table monthly]

Exit status: 0 written, 1 refused (no browser for images, unknown 経営課題, nothing to export), 2 usage.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from kpi import cliargs, fiscal
from kpi.export import DEFAULT_SECTIONS, FORMATS, SECTIONS, Scope, build
from kpi.store.snapshot import moment_arg

CHOICES = ("png", "svg", "pdf", "pptx", "xlsx", "csv")
OK, REFUSED = 0, 1


_month = cliargs.month


def add_parser(sub) -> None:
    """The ``export`` subcommand's arguments (called by kpi.cli.build_parser)."""
    e = sub.add_parser("export", help="会議資料・グラフ画像・表の書き出し（画面の「会議資料」と同じもの）")
    e.add_argument("--format", required=True, choices=CHOICES,
                   help="png/svg: すべてのグラフ（フォルダか .zip）、pdf: .pdf なら印刷用 PDF・フォルダか .zip ならグラフごとの PDF")
    e.add_argument("--out", required=True, type=Path, help="書き出し先（ファイル、フォルダ、または .zip）")
    e.add_argument("--fy", type=int, help="年度（西暦の開始年、例 2025 = 令和7年度）")
    e.add_argument("--issue", action="append", help="経営課題（複数可、未指定ならすべて）")
    e.add_argument("--as-of", type=_month, help="基準月 YYYY-MM（既定: 最新＝いまの月、終わった年度はその年度の3月）")
    e.add_argument("--include", action="append", choices=list(SECTIONS),
                   help=f"含める内容（複数可、既定: {' '.join(DEFAULT_SECTIONS)}）: {', '.join(SECTIONS)}")
    e.add_argument("--encoding", default="utf-8-sig", choices=("utf-8-sig", "cp932"), help="CSV の文字コード（既定: BOM 付き UTF-8）")
    e.add_argument("--table", default="indicators", choices=("indicators", "monthly"), help="CSV にする表（既定: 指標の一覧）")
    e.add_argument("--as-known-at", type=moment_arg, metavar="日時|記録番号",
                   help="その時点で分かっていた記録で作る（例 2025-10-15T10:00、または資料に印刷された記録番号）")


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def cmd_export(args, policy, store) -> int:
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
    m = gather(store, policy, Scope(fy, tuple(args.issue or ()), as_of, sections))
    out: Path = args.out

    tty = sys.stderr.isatty()

    def progress(frac: float, text: str) -> None:
        if tty:  # a scheduled job's log gets only the closing line
            print(f"\r{int(frac * 100):3d}% {text}\033[K", end="", file=sys.stderr, flush=True)

    try:
        if args.format in ("png", "svg") or (args.format == "pdf" and out.suffix.lower() != ".pdf"):
            charts = all_charts(m) if not args.include else charts_for(m)
            if not images.available():
                raise ExportUnavailable(images.NO_BROWSER)
            if out.suffix.lower() == ".zip":
                _atomic_write(out, bundle.zip_charts(charts, args.format, progress))
                written = f"{out}（{len(charts)}枚）"
            else:
                paths = bundle.write_folder(charts, out, args.format, progress)
                written = f"{out}/ に{len(paths)}枚"
        else:
            key = args.format
            if key == "csv":
                key = ("monthly_csv" if args.table == "monthly" else "csv") + ("_cp932" if args.encoding == "cp932" else "")
            _atomic_write(out, build(m, key, progress))
            written = f"{out}（{FORMATS[key].label}）"
    except ExportUnavailable as exc:
        print(("\n" if tty else "") + str(exc), file=sys.stderr)
        return REFUSED
    if tty:
        print("", file=sys.stderr)
    print(f"書き出しました: {written}　{fiscal.fy_label(fy)} {m.scope_label()} 基準 {fiscal.month_label(as_of)}末")
    return OK
