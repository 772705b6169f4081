"""What a deck, workbook or PDF was made from, and the record that it was made.

Every file made for a meeting carries its ``Provenance`` in its footer and its document
properties: the store's 記録番号 (the last sequence number it includes), the moment it was
rebuilt for (when made from a past state), the policy's version (a hash of its CSV files),
the 基準月 and when it was made. ``python -m kpi export --as-known-at <記録番号>`` rebuilds
the same numbers later. Each file made by the page or the command line is also appended to
the store's ``materials`` records (who, when, which file, from what), listed on 履歴.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

from kpi import fiscal
from kpi.store import Store, now_jst

FOLDER = "materials"
PREFIX = "作成元"  # the footer line starts with this word (tests and readers find it by it)


@dataclass(frozen=True)
class Provenance:
    store_sequence: int
    known_at: str  # "" when made from the store as it was; else the moment asked for (ISO date-time, or S<記録番号>)
    policy_version: str
    as_of: str
    made_at: str

    def footer(self) -> str:
        """One short line: 作成元 記録番号 123・運営方針 ab12cd34ef56・基準 令和7年9月末・作成 令和7年10月16日 09:00."""
        return (f"{PREFIX} 記録番号 {self.store_sequence}{self.past()}・運営方針 {self.policy_version}・"
                f"基準 {fiscal.month_label(self.as_of)}末・作成 {fiscal.datetime_label(self.made_at)}")

    def past(self) -> str:
        """（令和7年10月15日 10:00時点の記録） when rebuilt for a past moment, else nothing."""
        if not self.known_at:
            return ""
        if self.known_at.startswith("S"):
            return f"（記録番号 {self.known_at[1:]} 時点の記録）"
        return f"（{fiscal.datetime_label(self.known_at)}時点の記録）"

    def properties(self) -> dict[str, str]:
        """Document properties (keywords / subject): machine-readable ``key=value`` pairs."""
        return {"kpi_store_sequence": str(self.store_sequence), "kpi_known_at": self.known_at,
                "kpi_policy_version": self.policy_version, "kpi_as_of": self.as_of, "kpi_made_at": self.made_at}

    def keywords(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.properties().items())


def policy_version(folder: Path | str) -> str:
    """12 hex digits of the sha256 of the policy folder's CSV files (names and bytes): changes when any of them does."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).glob("*.csv")):
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def of(store: Store, policy_folder: Path | str, as_of: str) -> Provenance:
    """The provenance of a file made now from ``store`` (or a view of it as known at a past moment)."""
    asked = getattr(store, "asked", "") if getattr(store, "base", None) is not None else ""
    return Provenance(store.last_sequence(), asked, policy_version(policy_folder), as_of, now_jst())


def record_material(store: Store, file_name: str, kind: str, user: str, prov: Provenance | None, dept: str = "",
                    via: str = "upload") -> str:
    """Append "a material was made" to the store (the current store, also when it was made from a past view)."""
    target = getattr(store, "base", None) or store
    body = {"file_name": Path(file_name).name, "format": kind, "user": user or "", "department": dept, "source": via,
            **({"provenance": asdict(prov)} if prov else {})}
    return target.append_record(FOLDER, body)


def materials(store: Store) -> list[dict]:
    """Every material made, newest first."""
    return list(reversed(store.records(FOLDER)))
