"""Chart images through kaleido, with one Chromium kept alive for the life of the process.

A new browser per ``fig.write_image`` costs seconds; kaleido's sync server keeps one
and renders an image in a fraction of a second. The server is started once, under a
lock, after ``fonts.chromium_env()`` has pointed Chromium at the Japanese font. When no
Chrome/Chromium is found, ``available()`` says so and ``render`` raises
``ExportUnavailable`` with a Japanese message; nothing else in the app depends on it.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache

import plotly.graph_objects as go

from kpi.export import fonts

# Per-image format: extension, MIME type, scale. PNG at 2× for slides.
IMAGE_FORMATS: dict[str, tuple[str, str, float]] = {
    "png": ("png", "image/png", 2.0),
    "svg": ("svg", "image/svg+xml", 1.0),
    "pdf": ("pdf", "application/pdf", 1.0),
}
DEFAULT_WIDTH = 1000
RENDER_TIMEOUT = 60.0
START_TIMEOUT = 60.0

NO_BROWSER = ("画像の書き出しには Chrome または Chromium が必要ですが、このコンピューターには見つかりませんでした。"
              "管理者に `plotly_get_chrome`（Chrome のダウンロード）または `apt-get install chromium` を依頼してください。"
              "表と Excel・CSV は画像なしで書き出せます。")
FAILED = "画像の書き出しに失敗しました（{0}）。しばらくしてからもう一度お試しください。"


class ExportUnavailable(RuntimeError):
    """Images cannot be made here; ``str()`` is a Japanese message for the user."""


@dataclass
class Chart:
    """One exportable figure: its file stem (built from known values) and its size on the page."""

    name: str
    fig: go.Figure
    width: int = DEFAULT_WIDTH
    height: int | None = None  # None: the figure's own layout height
    meta: dict = field(default_factory=dict)

    def size(self) -> tuple[int, int]:
        return self.width, int(self.height or self.fig.layout.height or 500)


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def safe_name(*parts: str) -> str:
    """A file stem from known parts: no path separators, no characters Windows refuses."""
    text = "_".join(unicodedata.normalize("NFC", str(p)).strip() for p in parts if str(p).strip())
    text = _UNSAFE.sub("-", text).strip(" .")
    return text[:120] or "chart"


@cache
def browser_path() -> str | None:
    """The Chrome/Chromium kaleido would use (BROWSER_PATH, kaleido's own download, the system's)."""
    try:
        from choreographer.browsers.chromium import Chromium

        path = Chromium.find_browser(skip_local=False)
    except Exception:
        return None
    return path if path and os.path.isfile(path) else None


def available() -> bool:
    return browser_path() is not None


class _Server:
    """kaleido's process-wide sync server through its public API, started once; calls are serialised by a lock.

    kaleido answers calls through one queue pair, so two threads calling at once could swap
    answers: the lock makes each call whole. A call runs in a worker thread with a deadline;
    a call that fails or never answers (Chromium crashed) stops the server, and the next call
    starts a fresh one.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started = False

    def _start(self) -> None:
        import kaleido

        fonts.chromium_env()
        kaleido.start_sync_server(mathjax=False, timeout=RENDER_TIMEOUT, silence_warnings=True)
        self.started = True

    def _stop(self) -> None:
        import kaleido

        # Stopping waits for the server's thread; a hung browser must not hang the app too.
        stopper = threading.Thread(target=kaleido.stop_sync_server, kwargs={"silence_warnings": True}, daemon=True)
        stopper.start()
        stopper.join(10)
        self.started = False

    def call(self, fig: dict, opts: dict) -> bytes:
        import kaleido

        if not available():
            raise ExportUnavailable(NO_BROWSER)
        with self.lock:
            first = not self.started
            if first:
                self._start()
            result: list = []

            def work() -> None:
                try:
                    result.append(kaleido.calc_fig_sync(fig, opts=opts))
                except BaseException as exc:  # handed to the caller below
                    result.append(exc)

            worker = threading.Thread(target=work, daemon=True)
            worker.start()
            worker.join((START_TIMEOUT if first else 0) + RENDER_TIMEOUT)
            if not result:
                self._stop()
                raise ExportUnavailable(FAILED.format("応答がありません"))
            out = result[0]
            if isinstance(out, BaseException):
                self._stop()
                raise ExportUnavailable(FAILED.format("ブラウザーが応答しませんでした")) from out
            return out

    def stop(self) -> None:
        with self.lock:
            if self.started:
                self._stop()


SERVER = _Server()


def warm_up() -> bool:
    """Start the browser ahead of the first export (e.g. when the 会議資料 page opens)."""
    if not available():
        return False
    try:
        render(go.Figure(layout=dict(width=10, height=10)), "png", width=10, height=10, scale=1)
    except ExportUnavailable:
        return False
    return True


class _Cache:
    """Recent images by figure and options: the deck, the PDF and the ZIP share their charts."""

    def __init__(self, limit_bytes: int = 96 * 1024 * 1024):
        self.items: OrderedDict[str, bytes] = OrderedDict()
        self.limit = limit_bytes
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            blob = self.items.get(key)
            if blob is not None:
                self.items.move_to_end(key)
            return blob

    def put(self, key: str, blob: bytes) -> None:
        with self.lock:
            if key in self.items:
                return
            self.items[key] = blob
            self.size += len(blob)
            while self.size > self.limit and self.items:
                _, old = self.items.popitem(last=False)
                self.size -= len(old)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.size = 0


CACHE = _Cache()


def render(fig: go.Figure, fmt: str = "png", width: int | None = None, height: int | None = None,
           scale: float | None = None, cache: bool = True) -> bytes:
    """One figure as PNG, SVG or PDF bytes, with the figure's own template and fonts."""
    ext, _, default_scale = IMAGE_FORMATS[fmt]
    text = fig.to_json()
    spec = json.loads(text)
    layout = spec.get("layout", {})
    opts = dict(format=ext, width=int(width or layout.get("width") or DEFAULT_WIDTH),
                height=int(height or layout.get("height") or 500), scale=scale or default_scale)
    key = hashlib.sha256((text + json.dumps(opts, sort_keys=True)).encode("utf-8")).hexdigest()
    if cache and (hit := CACHE.get(key)) is not None:
        return hit
    blob = SERVER.call(spec, opts)
    if cache:
        CACHE.put(key, blob)
    return blob


def render_chart(chart: Chart, fmt: str = "png", scale: float | None = None) -> bytes:
    w, h = chart.size()
    return render(chart.fig, fmt, w, h, scale)


Progress = Callable[[float, str], None]


def render_all(charts: Sequence[Chart], fmt: str = "png", progress: Progress | None = None,
               scale: float | None = None) -> list[bytes]:
    out = []
    for i, c in enumerate(charts):
        if progress:
            progress(i / max(1, len(charts)), f"グラフを画像にしています（{i + 1}/{len(charts)}）")
        out.append(render_chart(c, fmt, scale))
    return out
