"""argparse value types shared by the subcommands (kpi.cli and kpi.export.command)."""
from __future__ import annotations

import argparse

from kpi import fiscal


def month(text: str) -> str:
    """A ``YYYY-MM`` month, refused in Japanese otherwise (argparse then exits 2)."""
    try:
        fiscal.parse_ym(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text} は YYYY-MM 形式の年月ではありません") from None
    return text


FIRST_YEAR, LAST_YEAR = 2000, 2100


def fiscal_year(text: str) -> int:
    """A fiscal year as its starting Western year, 2000–2100 (令和7年度 = 2025), refused in Japanese otherwise."""
    try:
        year = int(text.strip())
    except ValueError:
        year = None
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(f"{text} は年度として使えません（西暦の開始年 {FIRST_YEAR}〜{LAST_YEAR}、例 2025 = 令和7年度）")
    return year
