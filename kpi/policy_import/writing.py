"""Writing an import: the policy folder's CSVs (UTF-8), a ZIP of them, and the checks of where they may go
(a new or empty folder only; on the page ``<data root>/<department id>/<fiscal year>/``)."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from pathlib import Path

from kpi import fiscal
from kpi.policy_import.guesses import FIELD_LABELS
from kpi.policy_import.imported import COLUMNS, OPTIONAL_FILES, Imported
from kpi.policy_import.text import ImportRefused


def csv_bytes(rows: list[dict[str, str]], columns: tuple[str, ...]) -> bytes:
    """The rows as CSV in UTF-8 (no BOM: the loader reads either), with the header ``columns``."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def files(imp: Imported) -> dict[str, bytes]:
    """The policy folder's files: name → content (optional files only when the text has rows for them)."""
    rows = imp.rows()
    return {name: csv_bytes(rows[name], cols) for name, cols in COLUMNS.items()
            if rows[name] or name not in OPTIONAL_FILES}


def folder_refusal(out: Path) -> str | None:
    """Why ``out`` may not receive an import (None = it may): an existing non-empty folder is never overwritten."""
    if out.exists() and not out.is_dir():
        return f"{out} はフォルダではありません"
    if out.is_dir() and any(out.iterdir()):
        return f"{out} は空ではありません（既存の運営方針を上書きしないため、新しいフォルダか空のフォルダを指定してください）"
    return None


def write_folder(imp: Imported, out: Path) -> list[Path]:
    """Write the policy CSVs into ``out`` (created; refused when it exists and is not empty); the paths written."""
    refusal = folder_refusal(out)
    if refusal:
        raise ImportRefused(refusal)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in files(imp).items():
        path = out / name
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(content)
        tmp.replace(path)
        written.append(path)
    return written


# --- a department's folder under the data root (the page) -------------------------------------------------------

NEW_DEPARTMENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # stricter than kpi.departments.ID_PATTERN: lower case only


def department_folder(root: Path, dept_id: str, fy: int) -> Path:
    """``<root>/<dept_id>/<fy>/`` for a save; ImportRefused (in Japanese) when it may not receive one."""
    if (root / "policy.csv").exists():
        raise ImportRefused(f"参照データのフォルダ（{root}）は所属ひとつの運営方針のフォルダです。所属ごとのフォルダ"
                            "（<データのフォルダ>/<所属ID>/<年度>/）に切り替えてから取り込んでください（README 参照）")
    if not NEW_DEPARTMENT_ID.match(dept_id or ""):
        raise ImportRefused(f"所属ID「{dept_id}」は使えません（半角の英小文字・数字・「-」「_」、先頭は英小文字か数字、64文字まで）")
    if not 2000 <= fy <= 2100:
        raise ImportRefused(f"年度 {fy} は西暦の年度ではありません（例 2025 = 令和7年度）")
    out = root / dept_id / str(fy)
    refusal = folder_refusal(out)
    if refusal:
        raise ImportRefused(f"所属「{dept_id}」の{fiscal.fy_label(fy)}の運営方針はすでにあります（{out}）。上書きはしません")
    return out


def archive(imp: Imported) -> bytes:
    """The policy folder's files as one ZIP (to download instead of saving)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in files(imp).items():
            z.writestr(name, content)
    return buf.getvalue()


def save_summary(imp: Imported, out: Path, written: list[Path]) -> list[str]:
    """What a save did, in Japanese lines: where the files went, what they hold, and the guesses still to check."""
    open_guesses = imp.open_guesses()
    by_field = Counter(FIELD_LABELS[g.field] for g in open_guesses)
    lines = [f"保存先: {out}",
             f"ファイル: {'、'.join(p.name for p in written)}",
             f"経営課題 {len(imp.issues)}件、アウトカム指標 {len(imp.indicators)}件、目標 {sum(len(d.targets) for d in imp.indicators)}件、"
             f"予算・決算 {len(imp.budgets)}件、公表された実績 {len(imp.results)}件"]
    if open_guesses:
        lines.append(f"推定のまま保存した項目 {len(open_guesses)}件（" + "、".join(f"{k} {n}件" for k, n in by_field.items())
                     + "）。指標の画面で確認し、違っていれば indicators.csv を直してください:")
        lines += [f"・{g.line}" for g in open_guesses]
    else:
        lines.append("推定した項目はすべて確認済みです。")
    return lines
