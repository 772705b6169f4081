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
