"""The README says what the app says: the rules text and the command line are checked here."""
from conftest import ROOT
from kpi.cli import COMMANDS
from kpi.evaluate import STATUS_RULES

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_carries_the_status_rules_shown_in_the_app():
    for line in STATUS_RULES.splitlines():
        assert line in README, line


def test_readme_documents_every_command():
    for name in COMMANDS:
        assert f"python -m kpi {name}" in README, name


def test_readme_quick_start_is_two_commands():
    assert "make run" in README and "make test" in README
