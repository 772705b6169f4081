"""Property-based: whatever text arrives in a check-in, an override, a user name or a policy CSV, it is either stored
(and then it is NFC, bounded, free of control and non-characters, and it survives a deck and a workbook) or refused
with a Japanese message naming the field; nothing raises anything else. Each test counts its inputs (``COUNTS``,
printed at the end of the session with ``-s``) for the issue's closing note."""
from __future__ import annotations

import collections
import shutil
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA
from kpi import checkins, text
from kpi import evaluation as ev
from kpi.policy import PolicyError, load_policy
from kpi.store import Store

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
COUNTS: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)

# Text as people paste it: Japanese, full-width, emoji, and the characters the rule is about, at any place.
SPECIAL = st.sampled_from(["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u200e", "\u202e", "\u2066", "\u2028", "\ufeff", "\ufffe",
                           "\uffff", "\ufdd0", "\U0001fffe", "\ud800", "\udfff", "\n", "\r\n", "\r", "\t", " ", "　", "が", "か\u3099",
                           "ＡＢＣ", "ｶﾞ", "𠮷", "🍣", "👨\u200d👩\u200d👧", "![i](http://127.0.0.1:9/i)", ":red[x]", "$x^2$", "<script>",
                           "=1+1", "http://127.0.0.1:9/a"])
TEXTS = st.lists(st.one_of(st.text(max_size=30), SPECIAL), max_size=12).map("".join)
# What most people type: printable text of any script (no control, format, private or unassigned characters).
CLEAN = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Cf", "Co", "Cn", "Zl", "Zp")), min_size=1, max_size=60)
LONG = st.builds(lambda ch, n, tail: ch * n + tail, st.sampled_from(["あ", "a", "🍣"]), st.integers(90, 10_050), TEXTS)
ANY_TEXT = st.one_of(CLEAN, CLEAN, TEXTS, LONG)
NAMES = st.one_of(CLEAN, CLEAN, TEXTS)


def _stored_well(value: str, key: str) -> None:
    field = text.FIELDS[key]
    assert value == unicodedata.normalize("NFC", value) and value == value.strip()
    assert len(value) <= field.max_chars
    assert text.problem(value, field) is None
    assert text.displayable(value) == value  # what is stored needs no filtering on the way into XML


def _attempt(kind: str, write, check) -> None:
    """Run one write; count it as accepted (then ``check``), refused (a ValueError with a message) or crashed."""
    COUNTS[kind]["inputs"] += 1
    try:
        result = write()
    except ValueError as exc:
        assert str(exc).strip() and str(exc).isprintable(), repr(exc)
        COUNTS[kind]["refused"] += 1
        return
    except Exception:
        COUNTS[kind]["crashed"] += 1
        raise
    COUNTS[kind]["accepted"] += 1
    check(result)


@SETTINGS
@given(cause=ANY_TEXT, action=ANY_TEXT, comment=st.one_of(CLEAN, TEXTS), user=NAMES)
def test_generated_check_ins(tmp_path_factory, cause, action, comment, user):
    s = Store(tmp_path_factory.mktemp("c"))

    def check(_):
        (rec,) = checkins.records(s)
        for key, value in (("checkin.cause", rec.cause), ("checkin.action", rec.action), ("checkin.comment", rec.comment),
                           ("user", rec.user)):
            _stored_well(value, key)
        assert rec.cause and rec.action and rec.user

    _attempt("check-in", lambda: checkins.add(s, "K1-1", "2025-09", cause, action, user, comment), check)


@SETTINGS
@given(reason=ANY_TEXT, user=NAMES, grade=st.sampled_from(["A", "B", "B", "A", "C", ""]))
def test_generated_overrides(tmp_path_factory, reason, user, grade):
    s = Store(tmp_path_factory.mktemp("o"))

    def check(_):
        rec = ev.overrides(s, 2025)["K1-1"]
        _stored_well(rec.reason, "override.reason")
        _stored_well(rec.user, "user")
        assert rec.grade in ("A", "B")

    _attempt("override", lambda: ev.set_override(s, 2025, "K1-1", grade, reason, user), check)


@SETTINGS
@given(body=ANY_TEXT, user=NAMES, key=st.sampled_from(list(ev.TEXT_KEYS)),
       value=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10**16), st.text(max_size=8)),
       note=st.one_of(CLEAN, TEXTS))
def test_generated_texts_previous_values_and_names(tmp_path_factory, body, user, key, value, note):
    s = Store(tmp_path_factory.mktemp("t"))

    def text_ok(_):
        rec = ev.texts(s, 2025)[(key, None)]
        _stored_well(rec.text, ev.TEXT_FIELDS[key])
        _stored_well(rec.user, "user")

    def previous_ok(_):
        (entry,) = ev.entered_for(s, 2025).values()
        assert 0 <= entry.value <= 1e15
        _stored_well(entry.note, "previous.note")
        _stored_well(entry.user, "user")

    _attempt("自己評価・今後の方針", lambda: ev.set_text(s, 2025, key, body, user), text_ok)
    _attempt("前年度実績", lambda: ev.set_previous(s, 2025, "K1-1", value, user, note), previous_ok)
    _attempt("user name", lambda: text.clean("user", user), lambda v: _stored_well(v, "user"))


COLUMNS = {"indicators.csv": ["short_name", "wording", "unit"], "issues.csv": ["title", "short_title", "recognition"],
           "policy.csv": ["text", "label"], "strategies.csv": ["strategy"]}


@pytest.fixture(scope="module")
def policy_base(tmp_path_factory):
    base = tmp_path_factory.mktemp("policy")
    for f in DATA.glob("*.csv"):
        shutil.copy(f, base / f.name)
    return base


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_generated_policy_csv_text(tmp_path_factory, policy_base, data):
    import csv
    import io

    name = data.draw(st.sampled_from(sorted(COLUMNS)))
    column = data.draw(st.sampled_from(COLUMNS[name]))
    value = data.draw(st.one_of(CLEAN, TEXTS, LONG))
    folder = tmp_path_factory.mktemp("p")
    for f in policy_base.glob("*.csv"):
        shutil.copy(f, folder / f.name)
    rows = list(csv.DictReader(io.StringIO((folder / name).read_text(encoding="utf-8-sig"))))
    row = data.draw(st.integers(0, len(rows) - 1))
    rows[row][column] = value
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    try:
        (folder / name).write_text(out.getvalue(), encoding="utf-8", errors="strict")
    except UnicodeEncodeError:  # a lone surrogate cannot be written in UTF-8: no file can hold it
        COUNTS["policy CSV"]["inputs"] += 1
        COUNTS["policy CSV"]["refused"] += 1
        return

    def load():
        try:
            return load_policy(folder)
        except PolicyError as exc:
            for p in exc.problems:
                assert p.file and p.message.strip()
            raise ValueError(str(exc)) from None

    def check(p):
        for ind in p.indicators.values():
            for v in (ind.short_name, ind.wording, ind.unit, ind.strategy):
                assert text.problem(v, text.FIELDS["policy.cell"]) is None
        for _key, (_label, body) in p.texts.items():
            assert text.problem(body, text.FIELDS["policy.cell"]) is None

    _attempt("policy CSV", load, check)


def teardown_module(module):
    lines = [f"{kind}: inputs {c['inputs']}, refused {c['refused']}, accepted {c['accepted']}, crashed {c['crashed']}"
             for kind, c in COUNTS.items()]
    print("\n[text fuzz] " + "\n[text fuzz] ".join(lines))
