"""What reading a file gives back: ``Problem`` (row, column, Japanese message) and ``ReadResult``."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from kpi.evaluate import Actual

# canonical name -> accepted header spellings (compared after NFKC, lower-casing, no spaces)
HEADERS = {
    "indicator_id": ("indicator_id", "indicatorid", "indicator", "指標id", "指標番号", "指標コード", "id"),
    "month": ("month", "年月", "月", "対象月", "実績月", "年月日"),
    "value": ("value", "実績値", "実績", "値", "数値"),
    "numerator": ("numerator", "分子"),
    "denominator": ("denominator", "分母"),
    "note": ("note", "備考", "メモ", "コメント", "notes"),
}
COLUMN_LABELS = {"indicator_id": "指標ID", "month": "年月", "value": "実績値", "numerator": "分子", "denominator": "分母", "note": "備考"}
COLUMNS = tuple(COLUMN_LABELS)
REQUIRED = ("indicator_id", "month", "value")
FRAME_COLUMNS = ("indicator_id", "month", "value", "numerator", "denominator", "note", "row")


@dataclass(frozen=True)
class Problem:
    row: int | None  # as Excel numbers it: header = 1; None for the whole file
    column: str | None
    message: str

    def __str__(self) -> str:
        where = "".join(x for x in (f"{self.row}行目 " if self.row else "", f"{self.column}: " if self.column else ""))
        return where + self.message


class Refuse(Exception):  # noqa: N818 - control flow inside the reader, never escapes read_actuals
    """The whole file is refused for one reason (its Problem)."""

    def __init__(self, row: int | None, column: str | None, message: str):
        super().__init__(message)
        self.problem = Problem(row, column, message)


class ReadResult:
    """What a file gave: accepted rows (``frame`` and ``rows``), errors and warnings.

    ``frame`` (when the reader built one) is authoritative: a DataFrame with the columns
    ``FRAME_COLUMNS`` (``row`` is the file row as Excel numbers it). ``rows`` and
    ``source_rows`` are derived from it lazily, so a million-row file costs no
    Python objects unless a caller asks for them. ``internal`` holds the exception when
    the reader's safety net caught a defect of its own (the message users see says so
    in Japanese; the caller logs the exception).
    """

    def __init__(self, rows: Sequence[Actual] | None = None, errors: list[Problem] | None = None,
                 warnings: list[Problem] | None = None, source_rows: dict[tuple[str, str], int] | None = None,
                 frame: pd.DataFrame | None = None, layout: str = "", encoding: str = ""):
        self._rows = list(rows) if rows is not None else None
        self.errors: list[Problem] = errors if errors is not None else []
        self.warnings: list[Problem] = warnings if warnings is not None else []
        self._source_rows = source_rows
        self.frame = frame
        self.layout = layout  # "long" (canonical) or "wide" (one column per month)
        self.encoding = encoding  # text encoding, or "xlsx"
        self.internal: BaseException | None = None
        self.internal_ref = ""  # the reference in the message and in the store's log

    @property
    def rows(self) -> list[Actual]:
        if self._rows is None:
            self._rows = frame_to_actuals(self.frame) if self.frame is not None else []
        return self._rows

    @rows.setter
    def rows(self, value: Sequence[Actual]) -> None:
        self._rows = list(value)
        self.frame = None

    @property
    def source_rows(self) -> dict[tuple[str, str], int]:
        if self._source_rows is None:
            f = self.frame
            self._source_rows = {} if f is None else dict(zip(zip(f["indicator_id"], f["month"]), f["row"].tolist()))
        return self._source_rows

    @source_rows.setter
    def source_rows(self, value: dict[tuple[str, str], int]) -> None:
        self._source_rows = value

    @property
    def n_rows(self) -> int:
        if self._rows is None and self.frame is not None:
            return len(self.frame)
        return len(self.rows)

    @property
    def ok(self) -> bool:
        return not self.errors and self.n_rows > 0

    def __repr__(self) -> str:
        return f"ReadResult(rows={self.n_rows}, errors={len(self.errors)}, warnings={len(self.warnings)}, layout={self.layout!r})"


def frame_to_actuals(frame: pd.DataFrame) -> list[Actual]:
    def opt(x: float) -> float | None:
        return None if x != x else float(x)

    return [Actual(i, m, float(v), opt(n), opt(d), note or "")
            for i, m, v, n, d, note in zip(frame["indicator_id"], frame["month"], frame["value"].tolist(),
                                           frame["numerator"].tolist(), frame["denominator"].tolist(), frame["note"])]
