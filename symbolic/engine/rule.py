"""A gradient rule: the one record that ties a rule's scalar equations, closed form and numeric function.

The entries themselves live in ``gradproof.symbolic.layers.table``; the engine only needs the type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gradproof.symbolic.engine.equations import LayerEquations


@dataclass(frozen=True)
class GradientRule:
    """One gradient rule: dJ/d(wrt) = closed_form(canonical operands)."""

    name: str
    target: str
    wrt: str
    summary: str
    seed_ref: str
    closed_form: Callable
    numeric_rule: Callable
    numeric_operands: tuple[str, ...]
    presentations: tuple[LayerEquations, ...]

    @property
    def canonical(self) -> LayerEquations:
        return self.presentations[0]
