"""Does an upload belong to the chosen department? Its 指標名 and 単位 columns, where it has them, must name
the department's own indicators.

Two departments may both use K1-1: a file written for one would go into the other without a word. Where a file
carries an indicator name or unit, each row's is compared with the chosen department's indicator of that ID after
normalising width and spaces (NFKC, spaces removed). A file whose names match another department's indicators is
refused naming that department; any other mismatch is refused naming the row and the column.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from kpi.policy import Indicator, Policy
from kpi.reader import Problem
from kpi.reader.cells import IndicatorIds, cell_text
from kpi.reader.limits import HEADER_SEARCH_ROWS

NAME_HEADERS = ("指標名", "指標の名称", "名称", "indicator_name", "name")
UNIT_HEADERS = ("単位", "unit")
MAX_LISTED = 10  # mismatching rows listed one by one; a last line counts the rest


def key(text: str) -> str:
    """A name or unit as compared: NFKC (full and half width alike), without any space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def _names(ind: Indicator) -> set[str]:
    return {key(ind.short_name), key(ind.wording)}


def _rows(raw: bytes, file_name: str) -> Iterator[tuple[int, list]]:
    """The file's rows of cells (Excel row numbers), read the reader's way; the reader has already accepted the file."""
    from kpi.reader import decoding, xlsx

    if raw[:2] == b"PK" or file_name.lower().endswith((".xlsx", ".xlsm")):
        z, wb, deadline = xlsx.open_workbook(raw)
        with z:
            xlsx.prescan(z, wb.sheet_path, deadline)
            yield from xlsx.sheet_rows(z, wb, deadline, prescanned=True)
        return
    text, _ = decoding.decode(raw)
    yield from decoding.text_rows(text)


def _header(row: list) -> tuple[int | None, int | None, int | None]:
    """Columns of 指標ID, 指標名 and 単位 in a header row (None where absent)."""
    from kpi.reader.layout import header_map

    cols, _ = header_map(row)
    keys = [key(cell_text(c) or "").lower() for c in row]
    find = lambda names: next((i for i, k in enumerate(keys) if k in names), None)  # noqa: E731
    return cols.get("indicator_id"), find(NAME_HEADERS), find(UNIT_HEADERS)


def _distinct_fast(raw: bytes, file_name: str) -> dict[tuple, int] | None:
    """Each distinct (ID, name, unit) cell triple and its first row, for a CSV whose header is line 1, parsed by pyarrow;
    {} without a name or unit column; None when the file needs the general path (xlsx, a title row, quoted line breaks)."""
    import csv as pycsv

    import numpy as np
    import pyarrow as pa
    from pyarrow import csv as pacsv

    from kpi import arrow_bytes
    from kpi.reader import decoding

    if raw[:2] == b"PK" or file_name.lower().endswith((".xlsx", ".xlsm")):
        return None
    text, _ = decoding.decode(raw)
    first, sep, _ = text.partition("\n")
    if not sep or "\r" in first.rstrip("\r"):
        return None
    delimiter = decoding.sniff(first)
    header = next(pycsv.reader([first.rstrip("\r")], delimiter=delimiter), [])
    id_col, name_col, unit_col = _header(header)
    if id_col is None:
        return None
    if name_col is None and unit_col is None:
        return {}
    wanted = [c for c in (id_col, name_col, unit_col) if c is not None]
    names = [f"c{i}" for i in range(len(header))]
    data = text.encode("utf-8")
    try:
        table = pacsv.read_csv(
            arrow_bytes.reader(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={names[c]: pa.string() for c in wanted},
                                                 include_columns=[names[c] for c in wanted]),
        )
    except (pa.ArrowInvalid, pa.ArrowException, ValueError):
        return None
    if table.num_rows != data.count(b"\n") - (1 if data.endswith(b"\n") else 0):
        return None  # not one record per line: row numbers would be wrong
    table = table.append_column("row", pa.array(np.arange(2, table.num_rows + 2, dtype=np.int64)))
    keys = [names[c] if c is not None else None for c in (id_col, name_col, unit_col)]
    groups = table.group_by([k for k in keys if k]).aggregate([("row", "min")]).to_pylist()
    return {tuple(g[k] if k else None for k in keys): g["row_min"] for g in groups}


def described(raw: bytes, file_name: str, policy: Policy) -> list[tuple[int, str, str, str, str]]:
    """(first row, column label, indicator id, name or unit as written, "name" / "unit") of every distinct description
    whose indicator ID is one of ``policy``'s; [] when the file has neither column.

    Rows repeat the same few descriptions: each distinct (ID, name, unit) is parsed once, at its first row.
    """
    first = _distinct_fast(raw, file_name)
    if first is None:
        first = _distinct(raw, file_name)
    ids = IndicatorIds(policy)
    out = []
    for (id_cell, name_cell, unit_cell), line in first.items():
        code, _, _ = ids.parse(cell_text(id_cell))
        if code < 0:
            continue
        for cell, what, label in ((name_cell, "name", "指標名"), (unit_cell, "unit", "単位")):
            text = cell_text(cell)
            if text and text.strip():
                out.append((line, label, ids.ids[code], text.strip(), what))
    return sorted(set(out))


def _distinct(raw: bytes, file_name: str) -> dict[tuple, int]:
    """As _distinct_fast, for any file the reader accepts (xlsx, a title row above the header): row by row."""
    rows = _rows(raw, file_name)
    id_col = name_col = unit_col = None
    for n, (_, row) in enumerate(rows):
        id_col, name_col, unit_col = _header(row)
        if id_col is not None or n >= HEADER_SEARCH_ROWS:
            break
    if id_col is None or (name_col is None and unit_col is None):
        return {}
    width = max(c for c in (id_col, name_col, unit_col) if c is not None) + 1
    first: dict[tuple, int] = {}
    for line, row in rows:
        if len(row) < width:
            row = [*row, *([None] * (width - len(row)))]
        first.setdefault((row[id_col], row[name_col] if name_col is not None else None,
                          row[unit_col] if unit_col is not None else None), line)
    return first


def _fits(ind: Indicator | None, text: str, what: str) -> bool:
    if ind is None:
        return False
    return key(text) in _names(ind) if what == "name" else key(text) == key(ind.unit)


def check(raw: bytes, file_name: str, policy: Policy, others: dict[str, list[Policy]] | None = None) -> list[Problem]:
    """Errors for an upload whose 指標名 / 単位 do not fit ``policy`` (the chosen department's, every year combined).

    ``others``: the other departments' policies by department name; default, those of the catalog the policy's
    folder belongs to (kpi.departments.department_of). A file that fits another department is refused naming it.
    """
    try:
        rows = described(raw, file_name, policy)
    except Exception:  # noqa: BLE001 - the reader accepted the file; an unexpected shape here must not block it
        return []
    wrong = [r for r in rows if not _fits(policy.indicators.get(r[2]), r[3], r[4])]
    if not wrong:
        return []
    names_wrong = [r for r in wrong if r[4] == "name"]
    for name, pols in (_others(policy) if others is None else others).items():
        if names_wrong and all(any(_fits(p.indicators.get(iid), text, what) for p in pols) for _, _, iid, text, what in names_wrong):
            line, _, iid, text, _ = names_wrong[0]
            return [Problem(None, "指標名", f"このファイルは所属「{name}」の指標のものです（{line}行目 {iid}「{text}」は{name}の指標名）。"
                                            "所属を選び直してください。何も登録していません")]
    out = []
    for line, label, iid, text, what in wrong[:MAX_LISTED]:
        ind = policy.indicators[iid]
        own = ind.short_name if what == "name" else ind.unit
        out.append(Problem(line, label, f"{iid} の{label}「{text}」はこの所属の {iid}「{own}」と違います"
                                        "（指標IDか所属の誤りではありませんか）"))
    if len(wrong) > MAX_LISTED:
        out.append(Problem(None, None, f"ほかに {len(wrong) - MAX_LISTED:,}行、指標名・単位が違います"))
    return out


def _others(policy: Policy) -> dict[str, list[Policy]]:
    """Every other department's policies (all years), by its name, in the catalog ``policy`` comes from."""
    from kpi.departments import department_of

    found = department_of(Path(policy.data_dir))
    if found is None:
        return {}
    cat, own = found
    out = {}
    for dept_id, dept in cat.departments.items():
        if dept_id == own:
            continue
        try:
            out[dept.name] = list(dept.policies().values())
        except ValueError:  # a department whose policy does not load cannot claim the file
            continue
    return out
