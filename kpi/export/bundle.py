"""Every chart of the materials in one ZIP (PNG at 2×, or SVG / PDF), or into a folder."""
from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from kpi.export import images
from kpi.export.images import Chart

Progress = Callable[[float, str], None]


def _unique(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return out


def rendered(charts: Sequence[Chart], fmt: str = "png", progress: Progress | None = None) -> list[tuple[str, bytes]]:
    """(file name, bytes) per chart; names are unique and end in the format's extension."""
    ext = images.IMAGE_FORMATS[fmt][0]
    blobs = images.render_all(charts, fmt, progress)
    return [(f"{name}.{ext}", blob) for name, blob in zip(_unique([c.name for c in charts]), blobs)]


def zip_charts(charts: Sequence[Chart], fmt: str = "png", progress: Progress | None = None) -> bytes:
    buf = io.BytesIO()
    files = rendered(charts, fmt, progress)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in files:
            # UTF-8 names (flag bit 11): Windows 10+ Explorer and macOS show the Japanese names.
            zf.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), blob, compress_type=zipfile.ZIP_DEFLATED)
    if progress:
        progress(1.0, "完了")
    return buf.getvalue()


def write_folder(charts: Sequence[Chart], folder: Path, fmt: str = "png", progress: Progress | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, blob in rendered(charts, fmt, progress):
        path = folder / name
        path.write_bytes(blob)
        out.append(path)
    return out


def zip_all(m, progress: Progress | None = None) -> bytes:
    """The ZIP of every chart the dashboard shows for the materials' scope (PNG, 2×)."""
    from kpi.export.content import all_charts

    return zip_charts(all_charts(m), "png", progress)
