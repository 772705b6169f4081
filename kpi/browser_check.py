"""``python -m kpi.browser_check``: is there a Chrome/Chromium for image exports, and a Japanese font?

``make run`` calls this before starting the dashboard. It only reports (in Japanese) and
always exits 0: the dashboard works without a browser; only chart images, the
PowerPoint deck, the PDF and the image ZIP need one.
"""
from __future__ import annotations

import sys


def report() -> list[str]:
    from kpi.export import fonts, images

    lines = []
    path = images.browser_path()
    if path:
        lines.append(f"画像の書き出し: Chrome/Chromium を使います（{path}）。")
    else:
        lines += [
            "画像の書き出し: Chrome/Chromium が見つかりません。ダッシュボードは使えますが、",
            "  グラフ画像・PowerPoint・PDF の書き出しはできません（Excel と CSV はできます）。",
            "  次のどちらかで入れてください:",
            "    plotly_get_chrome -y              （この環境に Chrome をダウンロード）",
            "    sudo apt-get install chromium     （Debian / Ubuntu）",
            "  別の場所にある場合は環境変数 BROWSER_PATH にそのパスを設定してください。",
        ]
    font = fonts.font_path()
    if font:
        lines.append(f"日本語フォント: IPAexゴシック（{font}）。")
    else:
        lines += [
            "日本語フォント: IPAexゴシックが見つかりません。画像や PDF の日本語が □ になることがあります。",
            "  pip install matplotlib-fontja   または   sudo apt-get install fonts-ipaexfont-gothic",
        ]
    return lines


def main() -> int:
    try:
        lines = report()
    except Exception as exc:  # a check must never stop `make run`
        lines = [f"画像の書き出しの確認に失敗しました（{type(exc).__name__}）。ダッシュボードはそのまま使えます。"]
    print("\n".join(lines), file=sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
