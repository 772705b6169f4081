"""The year-end evaluation, in three modules with one direction of use (no import circle):

- ``records``: the editors' records (grade overrides, 前年度実績 entered by hand, 自己評価 and
  今後の方針), written append-only into the store and read back;
- ``rows``: the evaluation table, the texts in form order and the years side by side, over
  each indicator's record (``kpi.evaluate.Result``);
- ``report``: everything an export or the 年度評価 page needs, read in one call.

``kpi.service`` uses ``records``; ``report`` takes the indicators' records from its caller.
The names are re-exported here so that callers write ``from kpi import evaluation as ev``.
"""
from kpi.evaluation.records import (
    FOLDER,
    MAX_TEXT,
    OVERRIDE,
    OVERRIDE_WITHDRAWN,
    PREVIOUS,
    PREVIOUS_WITHDRAWN,
    RECORD_TYPES,
    TEXT,
    TEXT_FIELDS,
    TEXT_KEYS,
    Record,
    current,
    entered_for,
    history,
    overrides,
    overrides_for,
    previous_entries,
    records,
    set_override,
    set_previous,
    set_text,
    text_of,
    texts,
    version,
    withdraw_override,
    withdraw_previous,
)
from kpi.evaluation.report import PageView, Report, page_view, report
from kpi.evaluation.rows import (
    EVALUATION_COLUMNS,
    EvaluationRow,
    TextSection,
    Totals,
    YearValue,
    evaluation_table,
    grade_rule,
    period_text,
    text_sections,
    totals,
    year_span,
    yearly,
    yearly_table,
)
from kpi.fmt import PROVISIONAL_LABEL, grade_label
from kpi.kinds import GRADES

__all__ = [
    "EVALUATION_COLUMNS",
    "EvaluationRow",
    "FOLDER",
    "GRADES",
    "MAX_TEXT",
    "OVERRIDE",
    "OVERRIDE_WITHDRAWN",
    "PREVIOUS",
    "PREVIOUS_WITHDRAWN",
    "PROVISIONAL_LABEL",
    "PageView",
    "RECORD_TYPES",
    "TEXT_FIELDS",
    "Record",
    "Report",
    "TEXT",
    "TEXT_KEYS",
    "TextSection",
    "Totals",
    "YearValue",
    "current",
    "entered_for",
    "evaluation_table",
    "grade_label",
    "grade_rule",
    "history",
    "overrides",
    "overrides_for",
    "page_view",
    "period_text",
    "previous_entries",
    "records",
    "report",
    "set_override",
    "set_previous",
    "set_text",
    "text_of",
    "text_sections",
    "texts",
    "totals",
    "version",
    "withdraw_override",
    "withdraw_previous",
    "year_span",
    "yearly",
    "yearly_table",
]
