"""``python -m kpi store copy FROM TO``: move a store between a folder and PostgreSQL, verified.

    python -m kpi store copy ./store postgresql://kpi@db.example/kpi      a department's folder into the city's database
    python -m kpi store copy postgresql://kpi@db/kpi ./backup-store       and back

Exit status: 0 copied and verified (counts and checksums equal), 1 refused (target not empty,
unreachable) or not verified, 2 usage.
"""
from __future__ import annotations

import json
import sys

from kpi.store.base import Store, StoreError, printable
from kpi.store.copy import copy


def add_store_parser(sub) -> None:
    st = sub.add_parser("store", help="保存先の操作（フォルダ ⇄ PostgreSQL のコピー）")
    ops = st.add_subparsers(dest="store_command", required=True, metavar="操作")
    c = ops.add_parser("copy", help="保存先をまるごと空の保存先へコピーし、件数とチェックサムで確認")
    c.add_argument("source", help="コピー元（フォルダのパス、または postgresql://…）")
    c.add_argument("target", help="コピー先（空のフォルダ、または空の PostgreSQL の保存先）")
    c.add_argument("--json", action="store_true")


def cmd_store(args) -> int:
    try:
        before, after = copy(Store(args.source), Store(args.target))
    except StoreError as exc:
        print(f"コピーできませんでした: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # e.g. the database cannot be reached: say which, without a traceback
        if type(exc).__module__.startswith("psycopg"):
            print(f"PostgreSQL に接続・書き込みできませんでした: {printable(exc)}", file=sys.stderr)
            return 1
        raise
    ok = before == after
    if args.json:
        print(json.dumps({"ok": ok, "source": before.counts | {"checksum": before.checksum},
                          "target": after.counts | {"checksum": after.checksum}}, ensure_ascii=False, indent=1))
    else:
        print(f"コピー元 {printable(args.source)}\n  " + "\n  ".join(before.lines()))
        print(f"コピー先 {printable(args.target)}\n  " + "\n  ".join(after.lines()))
        print("確認しました: 件数とチェックサムが一致します" if ok else "一致しません: コピー先を確認してください")
    return 0 if ok else 1
