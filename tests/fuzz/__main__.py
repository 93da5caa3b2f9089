"""``python -m tests.fuzz --minutes 10``: run the fuzzing properties (tests/fuzz/props.py) with hypothesis for a
given time, in rounds of fresh random examples per property, and print a summary.

Not part of the default test run (tests/test_fuzz_props.py runs the same properties briefly). Exit status 0 when
no property failed, 1 otherwise; each failure is shown with its shrunk (minimal) input. Known, reported defects
that a property still meets are counted separately (see ``props.KNOWN_DEFECTS``).

Options: ``--minutes N`` (default 10), ``--only NAME`` (repeatable), ``--round N`` examples per round (default 200).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings

from tests.fuzz.props import KNOWN_DEFECTS, PROPERTIES, Property


@dataclass
class Tally:
    examples: int = 0
    rounds: int = 0
    seconds: float = 0.0
    failure: str | None = None
    failing_input: Any = None
    last_error: tuple[Any, BaseException] | None = field(default=None, repr=False)


def _run_round(prop: Property, tally: Tally, examples: int) -> None:
    """One round of ``examples`` fresh inputs; a failure is shrunk by hypothesis and kept with its minimal input."""

    @settings(max_examples=examples, deadline=None, database=None, derandomize=False, print_blob=False,
              phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    @given(prop.strategy)
    def run(args: tuple[Any, ...]) -> None:
        tally.examples += 1
        try:
            prop.check(*args)
        except BaseException as exc:
            tally.last_error = (args, exc)
            raise

    started = time.monotonic()
    try:
        run()
    except Exception as exc:  # noqa: BLE001 - any failure of the property is the finding
        args, error = tally.last_error or (None, exc)
        tally.failure = f"{type(error).__name__}: {str(error)[:600]}"
        tally.failing_input = args
    finally:
        tally.rounds += 1
        tally.seconds += time.monotonic() - started


def fuzz(names: list[str], minutes: float, examples: int) -> dict[str, Tally]:
    tallies = {name: Tally() for name in names}
    deadline = time.monotonic() + minutes * 60
    while time.monotonic() < deadline:
        live = [n for n in names if tallies[n].failure is None]
        if not live:
            break
        for name in live:
            if time.monotonic() >= deadline:
                break
            _run_round(PROPERTIES[name], tallies[name], examples)
            if tallies[name].failure:
                print(f"[失败] {name}: {tallies[name].failure}", flush=True)
        print(f"[{time.strftime('%H:%M:%S')}] " + "，".join(f"{n} {tallies[n].examples}" for n in names), flush=True)
    return tallies


def summary(tallies: dict[str, Tally], minutes: float, elapsed: float) -> str:
    lines = [f"模糊测试结束：计划 {minutes:g} 分钟，实际 {elapsed / 60:.1f} 分钟", "",
             f"{'性质':<24}{'样例数':>10}{'轮数':>6}{'秒':>8}  结果"]
    for name, tally in tallies.items():
        verdict = "通过" if tally.failure is None else "失败"
        lines.append(f"{name:<24}{tally.examples:>10}{tally.rounds:>6}{tally.seconds:>8.0f}  {verdict}  {PROPERTIES[name].doc}")
    lines.append(f"{'合计':<24}{sum(t.examples for t in tallies.values()):>10}")
    for name, tally in tallies.items():
        if tally.failure:
            lines += ["", f"失败：{name}", f"  错误：{tally.failure}", f"  最小输入：{tally.failing_input!r}"[:2000]]
    if KNOWN_DEFECTS:
        lines += ["", "已知缺陷（已报告，未计为失败）："] + [f"  {count} 次：{text}" for text, count in KNOWN_DEFECTS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description="按时间运行 civic 的模糊测试性质")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--only", action="append", choices=sorted(PROPERTIES))
    parser.add_argument("--round", type=int, default=200, dest="examples")
    options = parser.parse_args(argv)
    names = options.only or list(PROPERTIES)
    started = time.monotonic()
    tallies = fuzz(names, options.minutes, options.examples)
    print(summary(tallies, options.minutes, time.monotonic() - started), flush=True)
    return 1 if any(t.failure for t in tallies.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
