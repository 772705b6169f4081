"""Who may save an imported 運営方針 (kpi.auth.policy_save_refusal): a new department only by an editor of every
department, a year of an existing department by its own editors too; without sign-in configured, anyone (local)."""
from __future__ import annotations

import pytest

from kpi.auth import policy_save_refusal

SECRETS = {"editors": ["city@city.example.jp"],
           "departments": {"minato": {"editors": ["minato@city.example.jp"]},
                           "kita": {"editors": ["kita@city.example.jp"]}}}


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    for name in ("KPI_EDITORS", "KPI_EDITORS_MINATO", "KPI_EDITORS_KITA", "KPI_EDITORS_NEW_KU"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(("email", "dept_id", "exists", "allowed"), [
    ("city@city.example.jp", "new-ku", False, True),      # city-wide: a new department
    ("City@City.example.jp ", "minato", True, True),      # city-wide: any department (case and spaces aside)
    ("minato@city.example.jp", "minato", True, True),     # a department's editor: a year of their own
    ("minato@city.example.jp", "kita", True, False),      # … not of another department
    ("minato@city.example.jp", "new-ku", False, False),   # … nor a new department
    ("kita@city.example.jp", "minato", True, False),
    ("someone@city.example.jp", "minato", True, False),   # signed in, no editor at all
    ("", "minato", True, False),
    (None, "new-ku", False, False),
])
def test_who_may_save(email, dept_id, exists, allowed):
    refusal = policy_save_refusal(SECRETS, True, True, email, dept_id, exists)
    assert (refusal is None) is allowed, refusal


def test_signed_out_may_not_save():
    assert policy_save_refusal(SECRETS, True, False, "city@city.example.jp", "minato", True) is not None


def test_without_sign_in_configured_anyone_may():
    assert policy_save_refusal(SECRETS, False, False, None, "new-ku", False) is None
    assert policy_save_refusal(None, False, False, None, "minato", True) is None


def test_the_refusals_say_why_in_japanese():
    new = policy_save_refusal(SECRETS, True, True, "minato@city.example.jp", "new-ku", False)
    assert new == ("新しい所属「new-ku」を作れるのは、市全体の編集者（[kpi] editors）だけです。所属の追加は管理者に依頼してください")
    other = policy_save_refusal(SECRETS, True, True, "minato@city.example.jp", "kita", True)
    assert other == "所属「kita」の編集者ではないため、この所属に運営方針を追加できません（自分の所属にだけ追加できます）"


def test_editors_from_the_environment_count(monkeypatch):
    monkeypatch.setenv("KPI_EDITORS", "env-city@city.example.jp")
    monkeypatch.setenv("KPI_EDITORS_KITA", "env-kita@city.example.jp")
    assert policy_save_refusal({}, True, True, "env-city@city.example.jp", "new-ku", False) is None
    assert policy_save_refusal({}, True, True, "env-kita@city.example.jp", "kita", True) is None
    assert policy_save_refusal({}, True, True, "env-kita@city.example.jp", "new-ku", False) is not None
    assert policy_save_refusal({}, True, True, "env-kita@city.example.jp", "minato", True) is not None


def test_department_editors_listed_as_a_plain_list():
    """[kpi.departments] minato = ["…"] (a list rather than a table) is read as that department's editors."""
    secrets = {"departments": {"minato": ["minato@city.example.jp"]}}
    assert policy_save_refusal(secrets, True, True, "minato@city.example.jp", "minato", True) is None


def test_editors_listed_for_a_department_not_yet_there_do_not_create_it(monkeypatch):
    """Editors may be listed before the department's folder exists: creating it is still the city-wide editors' call."""
    secrets = {**SECRETS, "departments": {**SECRETS["departments"], "new-ku": {"editors": ["new@city.example.jp"]}}}
    assert policy_save_refusal(secrets, True, True, "new@city.example.jp", "new-ku", False) is not None
    monkeypatch.setenv("KPI_EDITORS_NEW_KU", "env-new@city.example.jp")
    assert policy_save_refusal(secrets, True, True, "env-new@city.example.jp", "new-ku", False) is not None
    assert policy_save_refusal(secrets, True, True, "new@city.example.jp", "new-ku", True) is None  # once it exists
