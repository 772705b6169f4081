"""The scripts that the dashboard's first pages need, named in the page's HTML so the browser fetches them at once.

Streamlit loads the code of most element types (a select box, an HTML element, a page link…) only when the first
such element arrives over the WebSocket: after the HTML, after the main scripts, after the connection and after the
script has started. Each type is then a second round of fetching and compiling (20–30 files for 指標, 0.2–0.3 s on
this machine), while the one-line page needs none. The deploy site's nginx (deploy/nginx/kpi-dashboard.conf) adds
``<link rel="modulepreload">`` lines for them to the HTML, so they load while the page connects.

The files' names carry a hash that changes with every Streamlit release; they are read from Streamlit's own
build manifest (``streamlit/static/manifest.json``). After upgrading Streamlit:

    python tools/preload.py --write     # rewrites the site's line (tests/test_preload.py fails until then)
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.cluster import SITE  # noqa: E402

# The element types that 概要, 指標 and 市全体 draw and Streamlit loads on demand (Streamlit's component names). The
# browser test through nginx (tests/test_deploy.py) fails when one of those pages loads a script not named here.
# Spinner: a server's first load of a department's 実績 (ui.data) shows one when it takes over half a second.
COMPONENTS = ("Selectbox", "Multiselect", "Radio", "Html", "PageLink", "Button", "Spinner")
MARK = "# modulepreload (tools/preload.py)"
_LINE = re.compile(rf"^( *){re.escape(MARK)}\n *sub_filter \"</head>\" '[^'\n]*';\n", re.M)


def static_folder() -> Path:
    import streamlit

    return Path(streamlit.__file__).parent / "static"


def scripts(components: tuple[str, ...] = COMPONENTS, static: Path | None = None) -> list[str]:
    """The script files (``static/js/…``) the components need beyond those the page's HTML already names, in a
    stable order. A name Streamlit does not know is an error, not a silent gap."""
    static = static or static_folder()
    manifest = json.loads((static / "manifest.json").read_text(encoding="utf-8"))
    html = (static / "index.html").read_text(encoding="utf-8")
    entries = {v["name"]: k for k, v in manifest.items() if v.get("isDynamicEntry") and "name" in v}
    unknown = [c for c in components if c not in entries]
    if unknown:
        raise KeyError(f"Streamlit has no component {unknown}; its names are {sorted(entries)}")
    seen: set[str] = set()
    todo = [entries[c] for c in components]
    while todo:
        key = todo.pop()
        if key not in seen and key in manifest:
            seen.add(key)
            todo.extend(manifest[key].get("imports", []))
    return sorted({manifest[k]["file"] for k in seen} - named_scripts(html))


def named_scripts(html: str) -> set[str]:
    """The script files (``static/js/…``) a page's HTML names: its own script and modulepreload lines, and the site's."""
    return set(re.findall(r'"\./(static/js/[^"]+\.js)"', html))


def directive(files: list[str] | None = None) -> str:
    """The nginx line: every file as a module preload, put before the page's ``</head>``."""
    links = "".join(f'<link rel="modulepreload" crossorigin href="./{f}">' for f in (scripts() if files is None else files))
    return f"sub_filter \"</head>\" '{links}</head>';"


def site_line(text: str) -> str | None:
    """The preload line as the site file holds it, or None."""
    m = _LINE.search(text)
    return m.group(0).splitlines()[1].strip() if m else None


def without(text: str) -> str:
    """The site's text without the preload line (and its mark): a benchmark's comparison (tools/cluster.py)."""
    return _LINE.sub("", text)


def rewrite(text: str, line: str) -> str:
    if not _LINE.search(text):
        raise ValueError(f"{SITE}: no '{MARK}' comment followed by a sub_filter \"</head>\" line")
    return _LINE.sub(lambda m: f"{m.group(1)}{MARK}\n{m.group(1)}{line}\n", text, count=1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help=f"rewrite the line in {SITE.relative_to(ROOT)}")
    args = ap.parse_args()
    files = scripts()
    line = directive(files)
    if not args.write:
        print(line)
        return 0
    text = SITE.read_text(encoding="utf-8")
    SITE.write_text(rewrite(text, line), encoding="utf-8")
    print(f"{SITE.relative_to(ROOT)}: {len(files)} scripts named", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
