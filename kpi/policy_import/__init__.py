"""Import a 運営方針 from its published text into the policy CSVs (``python -m kpi policy import``, 「方針の取り込み」).

The package, in the order an import runs:

* :mod:`.text` — decoding, the limits a text must keep (length, control characters), normalising and phrases;
* :mod:`.sections` — the text read into its parts (title, 目標 …, per 経営課題 its 主な戦略, indicator cells, budgets,
  published results), in either published form (the 様式's table export or the city's web page);
* :mod:`.figures` — years, periods and figures (number, unit, qualifiers) in a phrase;
* :mod:`.statements` — the indicator cells cut into one statement per indicator, and the strategy each serves;
* :mod:`.indicators` — an indicator's wording, unit and targets (the issue-18 contract's periods);
* :mod:`.guesses` — what the text does not decide (kind, direction, short name), guessed with the words used;
* :mod:`.results` — the published results as results.csv rows;
* :mod:`.parsing` — the whole import (:func:`parse`) → :class:`Imported` (:mod:`.imported`: rows, JSON, choices);
* :mod:`.writing` — the CSVs, the ZIP and the folder checks.

Nothing here imports streamlit: the CLI and the page call :func:`parse` and :func:`write_folder`. The names below are
the package's interface; the modules' other names are its own.
"""
from __future__ import annotations

from kpi.policy_import.figures import Figure, figures, period_of, reiwa
from kpi.policy_import.guesses import FIELD_LABELS, SHORT_NAME_MAX, Guess, guess_aggregation, guess_direction, short_name_of
from kpi.policy_import.imported import COLUMNS, OPTIONAL_FILES, Imported
from kpi.policy_import.indicators import IndicatorDraft, TargetRow
from kpi.policy_import.parsing import parse
from kpi.policy_import.results import ResultRow, result_from
from kpi.policy_import.sections import stated_year
from kpi.policy_import.text import MAX_CHARS, MAX_UPLOAD_BYTES, MAX_UPLOAD_MB, ImportRefused, check_text, decode, fmt_number, norm
from kpi.policy_import.writing import NEW_DEPARTMENT_ID, archive, csv_bytes, department_folder, files, folder_refusal, save_summary, write_folder

__all__ = [
    "COLUMNS", "FIELD_LABELS", "MAX_CHARS", "MAX_UPLOAD_BYTES", "MAX_UPLOAD_MB", "NEW_DEPARTMENT_ID", "OPTIONAL_FILES", "SHORT_NAME_MAX",
    "Figure", "Guess", "ImportRefused", "Imported", "IndicatorDraft", "ResultRow", "TargetRow",
    "archive", "check_text", "csv_bytes", "decode", "department_folder", "figures", "files", "fmt_number",
    "folder_refusal", "guess_aggregation", "guess_direction", "norm", "parse", "period_of", "reiwa", "result_from", "save_summary",
    "short_name_of", "stated_year", "write_folder",
]
