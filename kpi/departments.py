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
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")  # a department id is also a folder name and a URL value


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


def catalog(root: Path | str | None = None, store_root: Path | str | None = None) -> Catalog:
    """The departments of a data folder: one (a policy folder) or every ``<department>/<year>/`` under a root."""
    root = Path(root) if root else data_dir()
    stores = Path(store_root) if store_root else store_dir()
    if (root / "policy.csv").exists():
        year = _field(root, "fiscal_year")
        return Catalog(root, {SINGLE: Department(SINGLE, {int(year) if year.isdigit() else 0: root}, stores)})
    departments = {}
    for d in sorted(p for p in root.iterdir() if p.is_dir() and ID_PATTERN.match(p.name)) if root.is_dir() else []:
        years = {int(y.name): y for y in d.iterdir() if y.is_dir() and y.name.isdigit() and (y / "policy.csv").exists()}
        if years:
            departments[d.name] = Department(d.name, dict(sorted(years.items())), stores / d.name)
    return Catalog(root, departments)


def department_of(folder: Path) -> tuple[Catalog, str] | None:
    """The catalog and department id a policy folder belongs to (``<root>/<department>/<year>/``); None for a single folder.

    The upload check reads it to compare a file's indicator names with the other departments' (kpi.ownership).
    """
    folder = Path(folder)
    if not (folder.name.isdigit() and ID_PATTERN.match(folder.parent.name)):
        return None
    root = folder.parent.parent
    if (root / "policy.csv").exists() or not root.is_dir():
        return None
    cat = catalog(root)
    return (cat, folder.parent.name) if folder.parent.name in cat.departments else None
