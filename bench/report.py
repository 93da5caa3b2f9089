"""The Markdown table of docs/performance.md, from the rows ``bench.run`` measured."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any


def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def _derive(row: dict[str, Any]) -> dict[str, Any]:
    """Per-unit rates; sampled engines are extrapolated to N units (and say so)."""
    n, units, seconds = row["n"], row.get("units", 0), row.get("seconds", 0.0)
    rate = units / seconds if seconds else 0.0
    sampled = units < n
    return {
        "time_n": n / rate if rate else 0.0,
        "units_s": rate,
        "evals_s": rate * row.get("rules", 0),
        "sampled": sampled,
    }


def write_report(rows: list[dict[str, Any]], pack: str, command: str, cpu: str, cores: int, target: Path) -> None:
    load = os.getloadavg()
    lines = [
        "# 性能测评（benchmark）",
        "",
        f"- 日期：{dt.date.today().isoformat()}；测评体系：`{pack}`；机器：{cores} 核 {cpu}；写报告时的负载（1/5/15 分钟；各行测量时的负载见“分析”）：{load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}",
        f"- 命令：`{command}`",
        "- 数据：`bench/gen.py` 按数据字典生成（含约 3% 空值、缺考察记录、未注明日期的材料等），直接写成 Parquet；",
        "  参考评测器与 durable 在同一批数据的抽样单位上运行，N 个单位的用时按抽样速率**外推**（表中标“外推”）。",
        "- 墙钟时间：DuckDB/Spark 为 Parquet → `score-flat` → 两个 Parquet 文件的全过程（Spark 另列 JVM 启动）；",
        "  “评测步骤”为 DuckDB 只执行逐条规则查询（聚合在内存中，不写文件）的时间。峰值内存：DuckDB 为 Parquet → Parquet 全过程的最大 RSS（在评测步骤之前单独测得），其他引擎为子进程树的最大 RSS。",
        "",
        "| 单位数 | 引擎 | 实测单位数 | 用时（秒） | 单位/秒 | 规则评测/秒 | 评测步骤（秒） | 评测步骤 规则评测/秒 | 峰值内存 MB | 相对参考 | 相对 durable | 说明 |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    by_size: dict[int, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_size.setdefault(row["n"], {})[row["engine"]] = row
    for n in sorted(by_size):
        engines = by_size[n]
        derived = {name: _derive(r) for name, r in engines.items() if "error" not in r}
        for name, row in engines.items():
            if "error" in row:
                lines.append(f"| {n:,} | {name} | – | – | – | – | – | – | – | – | – | 失败：{row['error']} |")
                continue
            d = derived[name]
            ref, dur = derived.get("reference"), derived.get("durable")
            vs_ref = f"{d['units_s'] / ref['units_s']:.1f}×" if ref and ref["units_s"] else "–"
            vs_dur = f"{d['units_s'] / dur['units_s']:.0f}×" if dur and dur["units_s"] else "–"
            eval_s = row.get("eval_seconds")
            notes = []
            if row.get("carried_over"):
                notes.append("沿用上次会话的测量（本次未重测）")
            if row.get("load"):
                notes.append(f"测量时负载 {row['load'][0]}→{row['load'][1]}")
            if row.get("cpu_seconds"):
                notes.append(f"CPU 时间：全过程 {row['cpu_seconds']} 秒、评测步骤 {row.get('eval_cpu_seconds')} 秒")
            if d["sampled"]:
                notes.append(f"抽样 {row['units']:,} 个，{n:,} 个的用时为外推")
            if name == "spark":
                notes.append(f"JVM 启动 {row.get('startup_seconds', 0):.1f} 秒（未计入）")
            if name == "durable":
                notes.append(f"{row.get('leaves')} 个叶条件，{row.get('fallback_rules')} 条规则回退参考评测器；与参考结果不一致 {row.get('mismatches')} 个单位")
            if name == "reference" and row.get("generator_mismatches"):
                notes.append(f"生成器自检不一致 {len(row['generator_mismatches'])} 处")
            seconds = _fmt(d["time_n"]) + ("（外推）" if d["sampled"] else "")
            lines.append(
                f"| {n:,} | {name} | {row.get('units', 0):,} | {seconds} | {_fmt(d['units_s'], 0)} | {_fmt(d['evals_s'], 0)} | "
                f"{_fmt(eval_s, 2) if eval_s else '–'} | {_fmt(n * row['rules'] / eval_s, 0) if eval_s else '–'} | "
                f"{row['peak_rss'] / 2**20:,.0f} | {vs_ref} | {vs_dur} | {'；'.join(notes)} |")
    lines += ["", "目标（issue 7）：DuckDB 100 万单位 × 全部 wmcs 规则 Parquet → Parquet ≤ 30 秒、峰值内存 ≤ 4 GB、评测步骤 ≥ 2,000 万次规则评测/秒；",
              "参考评测器 ≥ 2,000 单位/秒/核；10 倍单位数用时 ≤ 11 倍。实测结论与未达标项见下方“分析”。", ""]
    old = target.read_text(encoding="utf-8") if target.exists() else ""
    marker = "\n## 分析"
    analysis = old[old.index(marker):] if marker in old else "\n## 分析\n\n（运行后补充）\n"
    target.write_text("\n".join(lines) + analysis, encoding="utf-8")
