"""Command line: ``python -m kpi …`` for scheduled jobs and for checking without a browser.

Exit status: 0 success, 1 input refused (nothing written), 2 usage, 3 internal error
(a Japanese message with a reference to the log entry under ``KPI_STORE/logs/``; never a traceback).
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from kpi import checkdata, checkins, cliargs, departments, fiscal, fmt, provenance, text
from kpi import evaluation as ev
from kpi.export import command as export_command
from kpi.importer import FileRefused, commit, file_name_text, max_upload_bytes, preview, read_file
from kpi.kinds import GRADES
from kpi.policy import PolicyError
from kpi.service import fy_range, results, status_record
from kpi.store import StoreError, StoreUnavailable, log_exception, printable, store_dir
from kpi.store.base import log_location
from kpi.store.commands import add_store_parser, cmd_store
from kpi.store.snapshot import moment_arg

OK, REFUSED, USAGE, INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own exit code is 2 already; keep the message Japanese-friendly
        self.print_usage(sys.stderr)
        print(f"使い方の誤り: {message}", file=sys.stderr)
        sys.exit(USAGE)


_month = cliargs.month


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m kpi", description="運営方針 KPI ダッシュボードのコマンドライン")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("status", help="指標ごとの状況")
    s.add_argument("--fy", type=int, help="年度（西暦の開始年、例 2025 = 令和7年度）")
    s.add_argument("--as-of", type=_month, help="基準月 YYYY-MM（その月末時点で評価。既定: 最新＝終わった最後の月、終わった年度はその年度の3月）")
    s.add_argument("--issue", action="append", help="経営課題（複数可）")
    s.add_argument("--json", action="store_true")

    a = sub.add_parser("actuals", help="指標・月ごとの現在の実績")
    a.add_argument("--fy", type=int)
    a.add_argument("--json", action="store_true")

    i = sub.add_parser("import", help="実績ファイルの取り込み")
    i.add_argument("file", type=Path)
    i.add_argument("--dry-run", action="store_true")
    i.add_argument("--json", action="store_true")
    i.add_argument("--user", default=None)

    h = sub.add_parser("history", help="取り込み履歴")
    h.add_argument("--json", action="store_true")

    r = sub.add_parser("rollback", help="バッチの取り消し（記録され、元に戻せます）")
    r.add_argument("batch_id")
    r.add_argument("--user", default=None)
    r.add_argument("--restore", action="store_true", help="取り消したバッチを元に戻す")
    r.add_argument("--reason", default="", help="理由（履歴に記録）")

    o = sub.add_parser("override", help="年度評価の上書き（理由が必要。画面の「年度評価」と同じ記録）")
    o.add_argument("indicator", help="指標ID（例 K4-7）")
    o.add_argument("--fy", type=int, required=True, help="評価する年度（西暦の開始年、例 2025 = 令和7年度）")
    o.add_argument("--grade", choices=sorted(GRADES), help="上書き後の評価 A（達成）または B（未達成）")
    o.add_argument("--reason", default="", help="理由（必須。履歴に残ります）")
    o.add_argument("--withdraw", action="store_true", help="上書きを取り消す（算定評価に戻す）")
    o.add_argument("--user", default=None)
    o.add_argument("--json", action="store_true")

    c = sub.add_parser("checkin", help="月ごとの振り返り（要因・対策）の記録（画面の「指標」と同じ記録）")
    c.add_argument("indicator", help="指標ID（例 K2-2）")
    c.add_argument("--month", type=_month, required=True, help="対象の年月 YYYY-MM")
    c.add_argument("--cause", required=True, help="要因（なぜ動いたか）")
    c.add_argument("--action", required=True, help="対策（次に何をするか）")
    c.add_argument("--comment", default="", help="状況のコメント（任意）")
    c.add_argument("--user", default=None)
    c.add_argument("--json", action="store_true")

    d = sub.add_parser("departments", help="所属（運営方針のある部署）と年度の一覧")
    d.add_argument("--json", action="store_true")

    pol = sub.add_parser("policy", help="運営方針の取り込み（公開されている本文から参照データのCSVを作成）")
    pol_sub = pol.add_subparsers(dest="policy_command", required=True, parser_class=_Parser)
    pi = pol_sub.add_parser("import", help="公開されている運営方針の本文（テキスト）から運営方針のフォルダを作る")
    pi.add_argument("file", type=Path, help="運営方針の本文のテキストファイル（UTF-8 または Shift_JIS）")
    pi.add_argument("--fy", type=int, required=True, help="運営方針の年度（西暦の開始年、例 2025 = 令和7年度）")
    pi.add_argument("--out", type=Path, required=True, help="書き出すフォルダ（新しいフォルダか空のフォルダ）")
    pi.add_argument("--dept-name", help="所属名（省略時は本文の題名から）")
    pi.add_argument("--json", action="store_true")

    checkdata.add_parser(sub)
    export_command.add_parser(sub)
    s.add_argument("--as-known-at", type=moment_arg, metavar="日時|記録番号",
                   help="その時点で分かっていた記録で表示（例 2025-10-15T10:00、または資料に印刷された記録番号）")
    add_store_parser(sub)
    for name in DEPARTMENT_COMMANDS:
        sub.choices[name].add_argument("--dept", help="所属ID（所属が複数あるときは必須。一覧は python -m kpi departments）")
    for parser in sub.choices.values():  # every --fy, also of subcommands defined elsewhere, takes the same bounded type
        for action in parser._actions:
            if action.dest == "fy":
                action.type = cliargs.fiscal_year
    return p


def _user(name: str | None) -> str:
    if name:
        return name
    try:  # the login name comes from the environment, in whatever encoding it was set: decoded as file names are
        return file_name_text(getpass.getuser())[0]
    except Exception:
        return "unknown"


def cmd_status(args, policy, store) -> int:
    fy = args.fy or policy.fiscal_year
    as_of = args.as_of or fiscal.latest_as_of(fy)
    rs = results(store, policy, fy, as_of, args.issue)
    if args.json:
        print(json.dumps([status_record(r) for r in rs], ensure_ascii=False, indent=1))
        return OK
    print(f"{fiscal.fy_label(fy, western=True)} 基準月 {fiscal.month_label(as_of)}")
    for r in rs:
        print("\t".join([
            r.indicator.indicator_id, fmt.status_text(r.status), fmt.grade_text(r) if r.grade else "",
            fmt.value_text(r), "目標 " + fmt.target_text(r.indicator, r.target),
            fmt.progress_text(r), r.last_month or "－", r.indicator.short_name,
        ]))
    return OK


def cmd_override(args, policy, store) -> int:
    """Record (or withdraw) an editor's grade for an indicator's fiscal year: the same record the 年度評価 page writes."""
    ind = policy.indicators.get(args.indicator)
    problem = None
    if ind is None:
        problem = f"指標ID「{args.indicator}」はありません（{', '.join(policy.indicators)}）"
    elif ind.target(args.fy) is None:
        problem = f"{args.indicator} には{fiscal.fy_label(args.fy, western=True)}の目標がありません"
    elif not args.withdraw and not args.grade:
        problem = "--grade A または --grade B を指定してください"
    record_id = None
    if problem is None:
        try:
            if args.withdraw:
                record_id = ev.withdraw_override(store, args.fy, args.indicator, _user(args.user), args.reason)
            else:
                record_id = ev.set_override(store, args.fy, args.indicator, args.grade, args.reason, _user(args.user))
        except ValueError as exc:
            problem = str(exc)
    out = {"ok": problem is None, "record_id": record_id, "indicator_id": args.indicator, "fiscal_year": args.fy,
           "grade": None if args.withdraw else args.grade, "withdrawn": bool(args.withdraw), "error": problem}
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
    elif problem:
        print(problem, file=sys.stderr)
    else:
        what = "の上書きを取り消しました" if args.withdraw else f"を {fmt.grade_label(args.grade)} に上書きしました"
        print(f"{fiscal.fy_label(args.fy)} {args.indicator} の評価{what}（記録 {record_id}）")
    return REFUSED if problem else OK


def cmd_actuals(args, policy, store) -> int:
    if args.fy:
        rows = store.current(*fy_range(args.fy))
    else:
        rows = store.current()
    records = [{"indicator_id": a.indicator_id, "month": a.month, "value": a.value, "numerator": a.numerator,
                "denominator": a.denominator, "note": a.note, "batch_id": a.batch_id} for a in rows]
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=1))
    else:
        for r in records:
            print("\t".join("" if v is None else str(v) for v in r.values()))
    return OK


def cmd_import(args, policy, store) -> int:
    try:  # in chunks, the size limit checked before reading on; a FIFO or a device (/dev/zero) is refused unread
        raw = read_file(args.file, max_upload_bytes())
    except FileRefused as exc:
        message = str(exc)
        if args.json:
            print(json.dumps({"ok": False, "batch_id": None, "rows": 0, "new": 0, "changed": 0, "unchanged": 0,
                              "errors": [{"row": None, "column": None, "message": message}], "warnings": []},
                             ensure_ascii=False, indent=1))
        else:
            print(message, file=sys.stderr)
        return REFUSED
    pv = preview(store, policy, raw, args.file.name, max_bytes=max_upload_bytes())
    batch_id = None
    if pv.ok and not args.dry_run:  # preview and commit in one go: compared again under the store's lock if anything landed meanwhile
        batch_id = commit(store, pv, _user(args.user), source="cli", refresh=True)
    out = pv.summary() | {"batch_id": batch_id, "dry_run": bool(args.dry_run)}
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        for p in pv.errors:
            print(f"エラー: {printable(p)}", file=sys.stderr)
        for p in pv.warnings:
            print(f"注意: {printable(p)}", file=sys.stderr)
        name = printable(pv.file_name)
        if out["ok"]:
            verb = "取り込めます（--dry-run のため未登録）" if args.dry_run else f"登録しました（バッチ {out['batch_id']}）"
            print(f"{name}: {out['rows']}行 {fmt.coverage_text(pv.coverage)} 新規{out['new']} 変更{out['changed']} 変更なし{out['unchanged']} — {verb}")
        else:
            if not pv.errors:
                print("エラー: 取り込める行がありません", file=sys.stderr)
            print(f"{name}: 取り込みを中止しました（何も登録していません）", file=sys.stderr)
    if out["ok"]:
        return OK
    return INTERNAL if pv.internal else REFUSED  # the reader's own defect (logged) is not a refusal of the input


def cmd_history(args, policy, store) -> int:
    batches, covers = store.batches(), store.coverage()
    if args.json:
        print(json.dumps([b.record() | (covers[b.batch_id].record() if b.batch_id in covers else {}) for b in batches],
                         ensure_ascii=False, indent=1))
        return OK
    if not batches:
        print("登録されたバッチはありません")
    for b in batches:
        print("\t".join(printable(x) for x in [b.batch_id, b.created_at, b.user, b.file_name, fmt.coverage_text(covers.get(b.batch_id)),
                                                f"{b.rows}行", b.state] + (["サンプル"] if b.sample else [])))
    return OK


def cmd_rollback(args, policy, store) -> int:
    try:  # the reason and the name by the one text rule (kpi.text), as on the 履歴 page
        reason, user = text.clean("batch.reason", args.reason), text.clean("user", _user(args.user))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return REFUSED
    try:
        if args.restore:
            store.restore(args.batch_id, user, reason)
        else:
            store.rollback(args.batch_id, user, reason)
    except KeyError:
        print(f"バッチ {args.batch_id} はありません（python -m kpi history で確認できます）", file=sys.stderr)
        return REFUSED
    except StoreError as exc:  # already in that state, or changed at the same moment by someone else: nothing written
        print(printable(exc), file=sys.stderr)
        return REFUSED
    print(f"バッチ {args.batch_id} を{'元に戻しました' if args.restore else '取り消しました'}")
    return OK


def cmd_checkin(args, policy, store) -> int:
    """Record a check-in (要因・対策) for an indicator and month: the same record the 指標 page writes."""
    record_id, problem = None, None
    try:
        record_id = checkins.add(store, args.indicator, args.month, args.cause, args.action, _user(args.user), args.comment,
                                 known_ids=list(policy.indicators))
    except ValueError as exc:
        problem = str(exc)
    if args.json:
        print(json.dumps({"ok": problem is None, "record_id": record_id, "indicator_id": args.indicator, "month": args.month,
                          "error": problem}, ensure_ascii=False, indent=1))
    elif problem:
        print(problem, file=sys.stderr)
    else:
        print(f"{args.indicator} の{fiscal.month_label(args.month)}の振り返りを記録しました（記録 {record_id}）")
    return REFUSED if problem else OK


def cmd_departments(args, cat: departments.Catalog) -> int:
    records = [{"id": d.dept_id, "name": d.name, "fiscal_years": d.fiscal_years(), "default_fiscal_year": d.default_year(),
                "sample": d.sample} for d in cat.departments.values()]
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=1))
    else:
        for r in records:
            print("\t".join([r["id"] or "（単一の運営方針）", r["name"], "・".join(fiscal.fy_label(y) for y in r["fiscal_years"])]))
    return OK


def cmd_policy(args, policy, store) -> int:
    """``policy import``: read a published 運営方針 and write its policy folder; the guesses are listed for review."""
    from kpi import policy_import
    from kpi.policy import load_policy

    if not 2000 <= args.fy <= 2100:
        print(f"使い方の誤り: --fy {args.fy} は西暦の年度ではありません（例 2025 = 令和7年度）", file=sys.stderr)
        return USAGE
    error = policy_import.folder_refusal(args.out)
    try:
        if error:
            raise policy_import.ImportRefused(error)
        imp = policy_import.parse(policy_import.decode(args.file.read_bytes()), args.fy, args.dept_name)
        written = policy_import.write_folder(imp, args.out)
    except OSError as exc:
        error = f"ファイルを読めません: {args.file}（{exc.strerror}）"
    except policy_import.ImportRefused as exc:
        error = str(exc) if error else f"{args.file}: {exc}"
    else:
        error = None
    if error:
        if args.json:
            print(json.dumps({"ok": False, "error": error}, ensure_ascii=False, indent=1))
        else:
            print(f"取り込みを中止しました（何も書き出していません）: {error}", file=sys.stderr)
        return REFUSED
    try:  # what was written must load as a policy (the app's own loader): else say so, never leave it unsaid
        load_policy(args.out)
        load_problems: list[str] = []
    except PolicyError as exc:
        load_problems = [p.text for p in exc.problems]
    out = imp.record() | {"ok": not load_problems, "out": str(args.out), "written": [p.name for p in written],
                          "load_problems": load_problems}
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        print(f"{args.out}: 経営課題 {len(imp.issues)}件、指標 {len(imp.indicators)}件、目標 {sum(len(d.targets) for d in imp.indicators)}件、"
              f"予算・決算 {len(imp.budgets)}件、公表された実績 {len(imp.results)}件を書き出しました（{'、'.join(out['written'])}）")
        print("推定した項目（本文に書かれていないため語句から推定しました。確認してください）:")
        for g in imp.guesses:
            print(f"  {g.line}")
        for p in imp.problems:
            print(f"注意: {p}", file=sys.stderr)
        for p in load_problems:
            print(f"エラー: {p}", file=sys.stderr)
    return REFUSED if load_problems else OK


def cmd_export_recorded(args, policy, store) -> int:
    """``export``, then a "material made" record in the store when a file was written (listed on 履歴)."""
    def record(where: str) -> None:  # the file written: inside --out when --out is a folder
        as_of = args.as_of or fiscal.latest_as_of(args.fy or policy.fiscal_year)
        provenance.record_material(store, where, args.format, _user(None), provenance.of(store, policy.data_dir, as_of),
                                   dept=getattr(args, "dept", None) or "", via="cli")

    return export_command.cmd_export(args, policy, store, on_written=record)


COMMANDS = {
    "status": cmd_status,
    "actuals": cmd_actuals,
    "import": cmd_import,
    "history": cmd_history,
    "rollback": cmd_rollback,
    "check-data": checkdata.cmd_check_data,
    "export": cmd_export_recorded,
    "override": cmd_override,
    "checkin": cmd_checkin,
    "departments": cmd_departments,
    "policy": cmd_policy,
    "store": lambda args, policy, store: cmd_store(args),
}
NO_POLICY = {"check-data", "policy", "store"}  # commands that run even when the reference data does not load
# Commands that read or write one department's data: they take --dept (required when there are several).
DEPARTMENT_COMMANDS = ("status", "actuals", "import", "history", "rollback", "override", "checkin", "export")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 done, 1 refused, 2 usage (argparse), 3 internal error (logged, reported in Japanese).

    A closed output (``python -m kpi history | head -1``) ends the command quietly with 0: the reader has
    what it wanted, and whatever the command wrote to the store was written before.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    undecodable = _undecodable(parser, args)
    if undecodable:
        print(f"{undecodable} の文字を読み取れません（UTF-8 ではない文字が含まれています）。"
              "UTF-8 の端末から入力し直してください（何も記録していません）", file=sys.stderr)
        return REFUSED
    try:
        code = _run(args)
        sys.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
        return code
    except BrokenPipeError:
        _silence_stdout()
        return OK
    except StoreUnavailable as exc:  # the database does not answer: nothing was done, the message says where
        print(str(exc), file=sys.stderr)
        return REFUSED
    except KeyboardInterrupt:
        print("中断しました", file=sys.stderr)
        return INTERNAL
    except Exception as exc:  # a defect of ours: the user gets a reference to the log entry, never a traceback
        ref = log_exception(store_dir(), f"python -m kpi {args.command}", exc)
        print(f"内部エラーのため中止しました。お手数ですが、管理者に連絡してください（ログ参照: {ref}、"
              f"記録先: {log_location(store_dir())}）", file=sys.stderr)
        return INTERNAL


def _undecodable(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """The option (or argument) whose text arrived in another encoding than UTF-8, if any.

    Python hands such bytes over as lone surrogates, which no file, record or terminal can hold; they are
    refused here in Japanese instead of failing later with the codec's own message. Paths (``Path``) are
    left alone: a file's name may be in any encoding (see ``importer.file_name_text``).
    """
    actions = {a.dest: a for p in [parser, *_subparsers(parser)] for a in p._actions}
    for dest, value in vars(args).items():
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(t, str) and _has_surrogate(t) for t in texts):
            action = actions.get(dest)
            return action.option_strings[-1] if action is not None and action.option_strings else dest
    return None


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    return [p for a in parser._actions if isinstance(a, argparse._SubParsersAction) for p in a.choices.values()]


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _silence_stdout() -> None:
    """After the reader closed the pipe: what is still buffered goes nowhere (no second error at exit)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _run(args: argparse.Namespace) -> int:
    if args.command in NO_POLICY:
        return COMMANDS[args.command](args, None, None)
    try:
        cat = departments.catalog()
        if args.command == "departments":
            return cmd_departments(args, cat)
        if not cat.departments:
            print(f"参照データのフォルダ（{cat.root}）に運営方針がありません", file=sys.stderr)
            return REFUSED
        wanted = getattr(args, "dept", None)
        if wanted and wanted not in cat.departments or not wanted and cat.several:
            what = f"所属「{wanted}」はありません" if wanted else "所属が複数あります。--dept で指定してください"
            print(f"使い方の誤り: {what}（選べる所属: {cat.choices()}）", file=sys.stderr)
            return USAGE
        dept = cat.get(wanted)
        fy = getattr(args, "fy", None)
        # An upload may hold any of the department's years; a view is of one year's policy.
        policy = dept.combined_policy() if args.command == "import" else dept.policy(fy if fy in dept.fiscal_years() else None)
    except PolicyError as exc:
        print("参照データに問題があります:\n" + str(exc), file=sys.stderr)
        return REFUSED
    store = dept.store()
    if getattr(args, "as_known_at", None):  # status / export: the store as known then (read-only)
        store = store.as_known_at(args.as_known_at)
    return COMMANDS[args.command](args, policy, store)
