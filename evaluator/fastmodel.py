"""Build result models from values that are already valid, without running pydantic validation again.

The reference evaluator makes hundreds of ``Check`` / ``RuleResult`` models per unit from values it computed
itself (strings it formatted, floats it converted, models it already built). Validating them again costs
more than computing them, and ``model_construct`` is slower still (it walks every field in Python). ``made``
sets the instance state directly, exactly as validation would leave it: the values in the model's field order,
the given names as the “fields set”, no extras, no private state.

The caller guarantees the types (``float`` for float fields, ``list`` for list fields, models for nested
models); tests check that every result round-trips through validation to the same JSON. Only for
``schemas.result`` models, whose fields have no validators and no aliases.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

_new = object.__new__
_set = object.__setattr__
_ALL_FIELDS: dict[type, set[str]] = {}


def _all_fields(cls: type[BaseModel]) -> set[str]:
    """Every field name of ``cls``: the “fields set” of a model given every field. One set per class is shared
    by its instances; pydantic only ever adds a field name to it (a no-op here) and copies it on ``model_copy``."""
    names = _ALL_FIELDS.get(cls)
    if names is None:
        names = _ALL_FIELDS[cls] = set(cls.model_fields)
    return names


def made(cls: type[M], values: dict[str, Any]) -> M:
    """``cls(**values)`` without validation. ``values`` must name every field, in declaration order, with a
    value of the declared type (the dict becomes the instance's ``__dict__``; do not reuse it)."""
    model = _new(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", _ALL_FIELDS.get(cls) or _all_fields(cls))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model
