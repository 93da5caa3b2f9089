"""Command modules of the CLI, registered onto the ``civic`` group by ``register_all``.

Each module exposes ``register(group)``; add a module to ``MODULES`` to add commands.
"""

from __future__ import annotations

import importlib

import click

MODULES = [
    "evaluator.commands.rules_cmd",
    "evaluator.commands.schema_cmd",
    "evaluator.commands.history_cmd",
    "evaluator.commands.sql_cmd",
    "evaluator.commands.template_cmd",
    "evaluator.commands.sample_cmd",
    "evaluator.commands.batch_cmd",
    "evaluator.commands.combine_cmd",
]


def register_all(group: click.Group) -> None:
    for name in MODULES:
        importlib.import_module(name).register(group)
