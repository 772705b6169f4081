"""Departments (所属) and their fiscal years: which 運営方針 folder and which store each one uses.

``KPI_DATA_DIR`` is either one policy folder (``policy.csv`` at its top: one department, today's
layout, its store is ``KPI_STORE`` itself) or a root of departments::

    <root>/<department_id>/<fiscal_year>/policy.csv, issues.csv, …   e.g. digital/2025/, digital/2026/
    <KPI_STORE>/<department_id>/                                      that department's store

A department keeps its indicator IDs, actuals, check-ins and records across years (one store per
department); each year has its own policy (indicators may be added, retired or regrouped). Two
departments may use the same IDs: their stores are apart.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from kpi import fiscal
from kpi.policy import Policy, data_dir, load_policy
from kpi.store import Store, store_dir

SINGLE = ""  # the id of the one department of a single policy folder
# A department id is also a folder name, a URL value and a key of the editors' lists: exact, so lower-case letters,
# digits, - and _ only (East_1 and east_1 would be one folder on Windows and macOS, two on Linux).
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
ID_RULE = "所属のフォルダ名（所属ID）は半角の英小文字・数字・-・_ で、英小文字か数字で始めてください（URL と保存先の名前になります）"
YEAR_RULE = "年度のフォルダ名は半角数字4桁の西暦の年度（例: 2026）にしてください"
_YEAR = re.compile(r"^[0-9]{4}$")  # ASCII only: "2025²".isdigit() is True and int() fails; int("２０２５") is 2025


def folder_year(name: str) -> int | None:
    """The fiscal year a folder name (or policy.csv's fiscal_year) stands for; None unless 4 ASCII digits, 1901–2199."""
    return int(name) if _YEAR.match(name) and 1900 < int(name) < 2200 else None


def id_key(dept_id: str) -> str:
    """What two department IDs must not share: they differ only by case or by - and _ (check-data refuses them)."""
    return dept_id.lower().replace("-", "_")


@dataclass(frozen=True)
class Skipped:
    """A folder of the data root that is not read (not a department ID, not a year, no policy.csv), and why."""

    path: str  # relative to the root, e.g. "east/2025²"
    reason: str  # Japanese

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def _field(folder: Path, name: str) -> str:
    """One field of a policy.csv without loading the whole policy (the catalog of 60 departments stays cheap)."""
    try:
        with (folder / "policy.csv").open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                if (row.get("field") or "").strip() == name:
                    return (row.get("text") or "").strip()
    except (OSError, UnicodeDecodeError, csv.Error):
        pass
    return ""


@dataclass(frozen=True)
class Department:
    dept_id: str
    folders: dict[int, Path]  # fiscal year of a policy → its folder
    store_root: Path
    _policies: dict = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def name(self) -> str:
        latest = self.folders[max(self.folders)]
        return _field(latest, "department") or self.dept_id or "所属"

    @cached_property
    def sample(self) -> bool:
        """Its current policy says it is a サンプル（架空） (the example root's departments)."""
        return bool(_field(self.folders[self.default_year()], "sample"))

    def policy(self, fy: int | None = None) -> Policy:
        """The policy that governs fiscal year ``fy`` (default: the default year); loaded once."""
        folder = self.folder_for(self.default_year() if fy is None else fy)
        if folder not in self._policies:
            self._policies[folder] = load_policy(folder)
        return self._policies[folder]

    def policies(self) -> dict[int, Policy]:
        return {fy: self.policy(fy) for fy in sorted(self.folders)}

    def fiscal_years(self) -> list[int]:
        """Every year with a policy of its own or a target in one of the department's policies, ascending."""
        years = set(self.folders)
        for p in self.policies().values():
            years.update(p.target_years())
        return sorted(years)

    def folder_for(self, fy: int) -> Path:
        """The year's own folder; else the newest policy with a target in that year; else the nearest earlier policy."""
        if fy in self.folders:
            return self.folders[fy]
        for year in sorted(self.folders, reverse=True):
            p = self._policies.get(self.folders[year]) or self._load(year)
            if fy in p.target_years():
                return self.folders[year]
        earlier = [y for y in self.folders if y <= fy]
        return self.folders[max(earlier) if earlier else min(self.folders)]

    def _load(self, year: int) -> Policy:
        folder = self.folders[year]
        self._policies[folder] = load_policy(folder)
        return self._policies[folder]

    def combined_policy(self) -> Policy:
        """Every indicator the department has had (the newest definition, targets of all years), to read an
        upload of any of its years; with one policy folder, that policy itself."""
        pols = self.policies()
        if len(pols) == 1:
            return next(iter(pols.values()))
        if "combined" not in self._policies:
            newest = pols[max(pols)]
            indicators, issues = {}, {}
            for p in pols.values():  # oldest first: a later year's definition wins, the targets add up
                issues.update(p.issues)
                for iid, ind in p.indicators.items():
                    old = indicators.get(iid)
                    spans = [x for x in (old.period if old else None, ind.period) if x]  # a period target reaches back
                    indicators[iid] = replace(ind, targets={**(old.targets if old else {}), **ind.targets},
                                              period=(min(a for a, _ in spans), max(b for _, b in spans)) if spans else None,
                                              checkpoints=tuple(sorted({*(old.checkpoints if old else ()), *ind.checkpoints},
                                                                       key=lambda c: c.month)))
            self._policies["combined"] = replace(newest, issues=issues, indicators=indicators)
        return self._policies["combined"]

    def default_year(self, today=None) -> int:
        """This fiscal year's policy when there is one, else the newest that has begun (else the first)."""
        now = fiscal.fy_of_month(fiscal.current_month(today))
        begun = [y for y in self.folders if y <= now]
        return max(begun) if begun else min(self.folders)

    def store(self) -> Store:
        return Store(self.store_root)

    @property
    def label(self) -> str:
        return self.name + ("（サンプル・架空）" if self.sample and "サンプル" not in self.name else "")


@dataclass(frozen=True)
class Catalog:
    root: Path
    departments: dict[str, Department]
    skipped: tuple[Skipped, ...] = ()  # folders left out: check-data reports them, editors see them on every page

    @property
    def single(self) -> bool:
        return list(self.departments) == [SINGLE]

    @property
    def several(self) -> bool:
        return len(self.departments) > 1

    def get(self, dept_id: str | None = None) -> Department:
        """The department ``dept_id``; with one department, it whatever the id (None included)."""
        if dept_id in self.departments:
            return self.departments[dept_id]
        if len(self.departments) == 1 and not dept_id:
            return next(iter(self.departments.values()))
        raise KeyError(dept_id)

    def choices(self) -> str:
        return "、".join(f"{d.dept_id}（{d.name}）" for d in self.departments.values())

    def labels(self) -> dict[str, str]:
        """Department ID → the label a list shows. Two departments may share a name (check-data warns of it); a list
        chooses by ID, and a label that repeats carries its ID, so that no two options read (or serialise) alike."""
        plain = {i: d.label for i, d in self.departments.items()}
        seen: dict[str, int] = {}
        for label in plain.values():
            seen[label] = seen.get(label, 0) + 1
        return {i: f"{label}（{i}）" if seen[label] > 1 else label for i, label in plain.items()}


def catalog(root: Path | str | None = None, store_root: Path | str | None = None) -> Catalog:
    """The departments of a data folder: one (a policy folder) or every ``<department>/<year>/`` under a root."""
    root = Path(root) if root else data_dir()
    stores = Path(store_root) if store_root else store_dir()
    if (root / "policy.csv").exists():
        year = folder_year(_field(root, "fiscal_year")) or 0  # a bad year is load_policy's to report
        return Catalog(root, {SINGLE: Department(SINGLE, {year: root}, stores)})
    departments, skipped = {}, []
    for d in _folders(root):
        if not ID_PATTERN.match(d.name):
            skipped.append(Skipped(d.name, ID_RULE))
            continue
        years = {}
        for y in _folders(d):
            fy = folder_year(y.name)
            if fy is None:
                skipped.append(Skipped(f"{d.name}/{y.name}", YEAR_RULE))
            elif not (y / "policy.csv").exists():
                skipped.append(Skipped(f"{d.name}/{y.name}", "policy.csv がありません"))
            else:
                years[fy] = y
        if years:
            departments[d.name] = Department(d.name, dict(sorted(years.items())), stores / d.name)
    return Catalog(root, departments, tuple(skipped))


def _folders(parent: Path) -> list[Path]:
    """The sub-folders of ``parent`` by name (hidden ones left out); none when it cannot be listed."""
    try:
        return sorted((p for p in parent.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    except OSError:
        return []


def department_of(folder: Path) -> tuple[Catalog, str] | None:
    """The catalog and department id a policy folder belongs to (``<root>/<department>/<year>/``); None for a single folder.

    The upload check reads it to compare a file's indicator names with the other departments' (kpi.ownership).
    """
    folder = Path(folder)
    if not (folder_year(folder.name) is not None and ID_PATTERN.match(folder.parent.name)):
        return None
    root = folder.parent.parent
    if (root / "policy.csv").exists() or not root.is_dir():
        return None
    cat = catalog(root)
    return (cat, folder.parent.name) if folder.parent.name in cat.departments else None
