"""The fuzzing properties of tests/fuzz/props.py, run briefly in the default test suite (derandomised, so CI
always runs the same examples). The long run is a separate command: ``python -m tests.fuzz --minutes 10``.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzz.props import PROPERTIES

EXAMPLES = {"expression_pipeline": 150, "sql_matches_reference": 60, "unit_loader_text": 80, "unit_loader_documents": 60,
            "csv_units": 40}


@pytest.mark.parametrize("name", sorted(PROPERTIES))
def test_property(name: str) -> None:
    prop = PROPERTIES[name]

    @settings(max_examples=EXAMPLES[name], deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(prop.strategy)
    def run(args: tuple[Any, ...]) -> None:
        prop.check(*args)

    run()


def test_sql_and_reference_agree_on_known_edge_cases() -> None:
    """Hand-picked cases the random search should never lose: missing operands, division by zero, huge products,
    short-circuit order of missing and error, empty lists."""
    from decimal import Decimal

    from tests.fuzz.props import sql_matches_reference

    rows: list[dict[str, Any]] = [
        {}, {"职工人数": Decimal(0), "注册人数": Decimal(0)}, {"职工人数": Decimal("1e12"), "注册人数": Decimal("1e12")},
        {"职工人数": Decimal(-3), "注册人数": Decimal(7), "有方案": True, "活动记录": []},
        {"职工人数": Decimal(120), "活动记录": [{"参与人数": Decimal(60), "达标": True}, {"达标": None}]},
    ]
    for source in ["职工人数 / 注册人数", "ratio(注册人数, 职工人数)", "职工人数 * 注册人数 > 0",
                   "有方案 or 职工人数 / 0 > 1", "职工人数 / 0 > 1 or 有方案", "count(活动记录, 达标)", "all(活动记录, 参与人数 > 10)",
                   "coalesce(职工人数, 1) / coalesce(注册人数, 0)", "round(职工人数 / 7, 2)", "min(职工人数, 注册人数, 5)"]:
        sql_matches_reference(source, rows)


def test_sql_backend_survives_a_product_of_three_fields() -> None:
    """500 × 500 × 500: the reference gives 125000000; the SQL backend must give the same, not abort the query."""
    from decimal import Decimal

    from tests.fuzz.props import sql_triples

    row = {"职工人数": Decimal(500), "注册人数": Decimal(500), "占比": Decimal(500)}
    [triple] = sql_triples("职工人数 * 注册人数 * 占比", [row]) or []
    assert triple.value == Decimal(125_000_000)
