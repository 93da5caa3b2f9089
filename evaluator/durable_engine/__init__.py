"""The optional durable-rules engine (``civic[durable]``, ``--engine durable``): durable-rules as a guarded leaf
matcher under the reference evaluator, exactly the one job durable-rules.md §5–§7 allows. Never the default.
See docs/engines.md for when (not) to use it and what it costs.
"""

from evaluator.durable_engine.engine import (
           DurableOutcome,
           require_durable,
           score_units_durable,
           score_units_durable_detailed,
)
from evaluator.durable_engine.matcher import DurableMatcher, LeafMatcher, ReferenceMatcher

__all__ = ["DurableMatcher", "DurableOutcome", "LeafMatcher", "ReferenceMatcher", "require_durable", "score_units_durable",
           "score_units_durable_detailed"]
