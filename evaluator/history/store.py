"""The history store: open, record a run (one transaction), and query runs and findings.

Findings have a stable identity — (pack, unit, rule, sub-item) — so the same problem is recognised from
round to round. Recording a run moves each finding through the rectification lifecycle:

    open ──unit reports it done──▶ rectified ──a later run passes it──▶ verified (销号)
      ▲                                │ still failing                     │ fails again
      └────────────────────────────────┘                                   ▼
                                                                         reopened
Overdue (past due, not verified) and escalation (overdue more than N days, or failing N rounds in a row →
通报/约谈) are derived at read time from the pack's escalation policy, so they are never stale.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from evaluator.errors import usage_error
from evaluator.history.schema import migrate
from evaluator.ranking import competition_ranks
from schemas.pack import Escalation
from schemas.result import RunReport, UnitResult

DEFAULT_DB = "civic.db"
FAILING = ("fail", "partial", "missing")


def resolve_db(url: str | None) -> Path:
    """``--db`` accepts a path or ``sqlite:///path``; default ``civic.db`` in the working folder."""
    if url is None:
        return Path(os.environ.get("CIVIC_DB", DEFAULT_DB))
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///"))
    if "://" in url:
        raise usage_error("U010", f"不支持的数据库地址 '{url}'", hint="目前支持 SQLite：给出文件路径或 sqlite:///路径")
    return Path(url)


def connect(url: str | None) -> sqlite3.Connection:
    path = resolve_db(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise usage_error("U011", f"无法打开历史数据库 {path}：{exc}", hint="确认该文件是 civic 的数据库，或用 --db 指定新文件") from exc
    conn.row_factory = sqlite3.Row
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


@dataclass(frozen=True)
class FindingKey:
    unit_id: str
    rule_id: str
    sub_item: str

    def fingerprint(self, pack_id: str) -> str:
        return json.dumps([pack_id, self.unit_id, self.rule_id, self.sub_item], ensure_ascii=False)


def findings_of(unit: UnitResult) -> dict[FindingKey, dict[str, object]]:
    """The failing sub-items of a unit: one per missing item, else one per failing rule."""
    rects = {r.rule_id: r for r in unit.rectifications}
    found: dict[FindingKey, dict[str, object]] = {}
    for rule in unit.rules:
        if rule.outcome not in FAILING or rule.max == 0:
            continue
        rect = rects.get(rule.rule_id)
        base = {
            "title": rule.title, "problem": rule.message, "points": rule.max - rule.earned,
            "requirement": rect.requirement if rect else f"对照测评标准“{rule.title}”整改到位",
            "role": rect.role if rect else "联络员", "severity": rect.severity if rect else "中",
            "due": rect.due if rect else unit.as_of,
        }
        if rule.missing:
            for item in rule.missing:
                found[FindingKey(unit.unit.id, rule.rule_id, f"{item.kind}:{item.name}")] = {**base, "problem": item.detail}
        else:
            found[FindingKey(unit.unit.id, rule.rule_id, "")] = base
    return found


def _unique_label(conn: sqlite3.Connection, wanted: str) -> str:
    label, n = wanted, 2
    while conn.execute("SELECT 1 FROM runs WHERE label = ?", (label,)).fetchone():
        label, n = f"{wanted}-{n}", n + 1
    return label


def _pause_for_tests(done: int) -> None:
    """Fault injection for the interruption test: stop inside the transaction after N units."""
    limit = os.environ.get("CIVIC_TEST_PAUSE_AFTER_UNITS")
    if limit and done == int(limit):
        marker = os.environ.get("CIVIC_TEST_PAUSE_MARKER")
        if marker:
            Path(marker).write_text("paused", encoding="utf-8")
        import time

        time.sleep(60)


def record_run(conn: sqlite3.Connection, report: RunReport, *, mode: str, who: str, label: str | None = None) -> int:
    """Store a run and update every finding, all in one transaction. Returns the run id."""
    as_of = report.units[0].as_of if report.units else report.as_of
    ranks = competition_ranks(report.units)
    rule_ids = sorted({r.rule_id for u in report.units for r in u.rules})
    with transaction(conn):
        run_label = _unique_label(conn, label or f"{report.pack.id}-{as_of}-{mode}")
        cur = conn.execute(
            "INSERT INTO runs (label, pack_id, pack_title, edition, content_hash, as_of, mode, who, formula, unit_count, rule_ids)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (run_label, report.pack.id, report.pack.title, report.pack.edition, report.pack.content_hash, as_of, mode, who,
             report.formula, len(report.units), json.dumps(rule_ids, ensure_ascii=False)),
        )
        run_id = int(cur.lastrowid or 0)
        for done, unit in enumerate(sorted(report.units, key=lambda u: u.unit.id), start=1):
            _insert_unit(conn, run_id, unit, ranks[unit.unit.id])
            _update_findings(conn, run_id, report.pack.id, unit)
            _pause_for_tests(done)
    return run_id


def _insert_unit(conn: sqlite3.Connection, run_id: int, unit: UnitResult, rank: int) -> None:
    u = unit.unit
    conn.execute(
        "INSERT INTO unit_results VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (run_id, u.id, u.name, u.type, "/".join(u.region), u.group, unit.total, unit.total_without_waivers, unit.grade,
         int(unit.passed), int(unit.disqualified), rank, unit.model_dump_json()),
    )
    conn.executemany(
        "INSERT INTO rule_results VALUES (?,?,?,?,?,?,?,?)",
        [(run_id, u.id, r.rule_id, r.outcome, r.earned, r.max, r.level, r.message) for r in unit.rules],
    )


def _event(conn: sqlite3.Connection, finding_id: int, run_id: int | None, event: str, on: str, note: str | None = None, who: str | None = None) -> None:
    conn.execute("INSERT INTO finding_events (finding_id, run_id, event, on_date, who, note) VALUES (?,?,?,?,?,?)",
                 (finding_id, run_id, event, on, who, note))


def _update_findings(conn: sqlite3.Connection, run_id: int, pack_id: str, unit: UnitResult) -> None:
    current = findings_of(unit)
    evaluated = {r.rule_id for r in unit.rules if r.outcome not in ("not_applicable", "error", "manual_pending")}
    for key, info in sorted(current.items(), key=lambda kv: (kv[0].rule_id, kv[0].sub_item)):
        fp = key.fingerprint(pack_id)
        row = conn.execute("SELECT * FROM findings WHERE fingerprint = ?", (fp,)).fetchone()
        if row is None:
            cur = conn.execute(
                "INSERT INTO findings (fingerprint, pack_id, unit_id, unit_name, rule_id, sub_item, title, problem, requirement, role,"
                " severity, points, status, opened_on, due, first_run_id, last_run_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (fp, pack_id, key.unit_id, unit.unit.name, key.rule_id, key.sub_item, info["title"], info["problem"], info["requirement"],
                 info["role"], info["severity"], info["points"], "open", unit.as_of, info["due"], run_id, run_id),
            )
            _event(conn, int(cur.lastrowid or 0), run_id, "opened", unit.as_of, str(info["problem"]))
            continue
        if row["status"] == "verified":
            conn.execute("UPDATE findings SET status='reopened', problem=?, due=?, last_run_id=?, consecutive_failures=1, closed_run_id=NULL WHERE id=?",
                         (info["problem"], info["due"], run_id, row["id"]))
            _event(conn, row["id"], run_id, "reopened", unit.as_of, str(info["problem"]))
            continue
        status = "open" if row["status"] == "rectified" else row["status"]
        conn.execute("UPDATE findings SET status=?, problem=?, points=?, last_run_id=?, consecutive_failures=consecutive_failures+1 WHERE id=?",
                     (status, info["problem"], info["points"], run_id, row["id"]))
        _event(conn, row["id"], run_id, "still_failing" if row["status"] != "rectified" else "rectification_rejected", unit.as_of, str(info["problem"]))
    keys = {k.fingerprint(pack_id) for k in current}
    for row in conn.execute("SELECT * FROM findings WHERE pack_id=? AND unit_id=? AND status != 'verified'", (pack_id, unit.unit.id)).fetchall():
        if row["fingerprint"] in keys or row["rule_id"] not in evaluated:
            continue
        conn.execute("UPDATE findings SET status='verified', closed_run_id=?, last_run_id=? WHERE id=?", (run_id, run_id, row["id"]))
        _event(conn, row["id"], run_id, "verified", unit.as_of, "复查通过，销号")


def mark_rectified(conn: sqlite3.Connection, finding_id: int, *, on: dt.date, who: str, note: str, evidence: str | None) -> None:
    row = conn.execute("SELECT status FROM findings WHERE id = ?", (finding_id,)).fetchone()
    if row is None:
        raise usage_error("U012", f"没有编号为 {finding_id} 的问题", hint="用 civic rectify list 查看问题编号")
    if row["status"] == "verified":
        raise usage_error("U013", f"问题 {finding_id} 已经销号，无需再报整改")
    with transaction(conn):
        conn.execute("UPDATE findings SET status='rectified' WHERE id=?", (finding_id,))
        _event(conn, finding_id, None, "rectified", on.isoformat(), note + (f"（佐证：{evidence}）" if evidence else ""), who)


def mark_verified(conn: sqlite3.Connection, finding_id: int, *, on: dt.date, who: str, note: str) -> None:
    row = conn.execute("SELECT status FROM findings WHERE id = ?", (finding_id,)).fetchone()
    if row is None:
        raise usage_error("U012", f"没有编号为 {finding_id} 的问题", hint="用 civic rectify list 查看问题编号")
    with transaction(conn):
        conn.execute("UPDATE findings SET status='verified' WHERE id=?", (finding_id,))
        _event(conn, finding_id, None, "verified", on.isoformat(), note, who)


@dataclass(frozen=True)
class FindingView:
    id: int
    unit_id: str
    unit_name: str
    rule_id: str
    sub_item: str
    title: str
    problem: str
    requirement: str
    role: str
    severity: str
    points: float
    status: str
    due: str
    overdue_days: int
    consecutive_failures: int
    escalation: str | None

    @property
    def state_label(self) -> str:
        base = {"open": "未整改", "rectified": "已报整改待复查", "verified": "已销号", "reopened": "重新打开"}[self.status]
        return f"{base}（逾期{self.overdue_days}天）" if self.overdue_days > 0 else base


def list_findings(conn: sqlite3.Connection, *, today: dt.date, policy: Escalation, unit: str | None = None,
                  status: str | None = None, pack: str | None = None) -> list[FindingView]:
    query = "SELECT * FROM findings WHERE 1=1"
    args: list[object] = []
    for column, value in (("unit_id", unit), ("status", status), ("pack_id", pack)):
        if value:
            query += f" AND {column} = ?"
            args.append(value)
    views = []
    for row in conn.execute(query + " ORDER BY unit_id, rule_id, sub_item", args).fetchall():
        overdue = 0 if row["status"] == "verified" else max(0, (today - dt.date.fromisoformat(row["due"])).days)
        escalation = None
        if row["status"] != "verified" and (overdue > policy.overdue_days or row["consecutive_failures"] >= policy.consecutive_failures):
            why = f"逾期{overdue}天" if overdue > policy.overdue_days else f"连续{row['consecutive_failures']}轮未通过"
            escalation = f"{policy.action}（{why}）"
        views.append(FindingView(row["id"], row["unit_id"], row["unit_name"], row["rule_id"], row["sub_item"], row["title"], row["problem"],
                                 row["requirement"], row["role"], row["severity"], row["points"], row["status"], row["due"], overdue,
                                 row["consecutive_failures"], escalation))
    return views


def find_run(conn: sqlite3.Connection, ref: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM runs WHERE label = ? OR CAST(id AS TEXT) = ?", (ref, ref)).fetchone()
    if row is None:
        labels = [r[0] for r in conn.execute("SELECT label FROM runs ORDER BY id").fetchall()]
        raise usage_error("U014", f"历史数据库中没有测评轮次 '{ref}'", hint=f"已有：{'、'.join(labels) or '无'}")
    return row


def run_units(conn: sqlite3.Connection, run_id: int) -> list[UnitResult]:
    rows = conn.execute("SELECT result_json FROM unit_results WHERE run_id = ? ORDER BY unit_id", (run_id,)).fetchall()
    return [UnitResult.model_validate_json(r[0]) for r in rows]
