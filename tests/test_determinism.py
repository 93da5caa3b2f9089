"""Same inputs → byte-identical outputs: no clock, no hash-order, no dependence on the order of the files.

The subprocess runs use different ``PYTHONHASHSEED`` values, so any iteration over an unordered set or dict
of strings that leaked into the output would show up here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = [f"rules/wmdw/samples/{name}.yaml" for name in ("strong", "average", "weak")]


def _invoke(monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["evaluate", *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("fmt", ["json", "md", "table"])
def test_two_runs_are_byte_identical(monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    first = _invoke(monkeypatch, *SAMPLES, "-f", fmt)
    second = _invoke(monkeypatch, *SAMPLES, "-f", fmt)
    assert first.encode() == second.encode()


def test_separate_processes_with_different_hash_seeds_agree() -> None:
    outputs = []
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-m", "cli", "evaluate", *SAMPLES, "-f", "json"], cwd=ROOT, env=env,
                              capture_output=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr.decode()
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]


def test_each_unit_result_does_not_depend_on_batch_order(monkeypatch: pytest.MonkeyPatch) -> None:
    forward = json.loads(_invoke(monkeypatch, *SAMPLES, "-f", "json"))["units"]
    backward = json.loads(_invoke(monkeypatch, *reversed(SAMPLES), "-f", "json"))["units"]
    by_id = {u["unit"]["id"]: u for u in backward}
    assert len(by_id) == 3
    for unit in forward:
        assert json.dumps(unit, ensure_ascii=False, sort_keys=True) == json.dumps(by_id[unit["unit"]["id"]], ensure_ascii=False, sort_keys=True)


def test_batch_equals_single_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    batch = json.loads(_invoke(monkeypatch, *SAMPLES, "-f", "json"))["units"]
    singles = [json.loads(_invoke(monkeypatch, sample, "-f", "json"))["units"][0] for sample in SAMPLES]
    assert batch == singles
