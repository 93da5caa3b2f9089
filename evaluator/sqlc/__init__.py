"""Compile a rule pack to SQL (through sqlglot expressions, so one compiler serves DuckDB and Spark).

The SQL backend scores units laid out as one flat row each (see ``flat.py``). It reproduces the reference
evaluator's outcome and points for every rule it can compile; a rule it cannot compile raises ``Unsupported``
and is reported by name and evaluated by the reference evaluator instead — never a silent difference.
"""
