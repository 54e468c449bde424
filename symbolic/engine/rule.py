"""The record types of the rule table: a gradient rule, a layer's group of rules, and their verdicts.

A ``GradientRule`` ties together, once each, what DESIGN.md section 2 asks of every rule: its seed
reference, its closed form (a real SymPy object, or the numeric rule itself run on symbols), its numeric
function, the scalar equations it is derived from, and the finite-difference cases that exercise its
numeric implementation. A ``LayerEntry`` groups the rules that one set of scalar equations yields (the
three Conv2d gradients come from one derivation) with the function that verifies them. The entries
themselves live in ``gradproof.symbolic.layers.table``; the engine only defines the types.

Verdicts have three values everywhere (DESIGN.md 5a): ``holds`` is True (with how it was shown), False
(with a counterexample) or None (not decided or not attempted, with the reason).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from gradproof.symbolic.engine.equations import LayerEquations


@dataclass(frozen=True)
class NumericCheck:
    """Which finite-difference case covers a rule's numeric implementation, and which of its gradients.

    ``case`` is a ``gradproof.numeric.cases.CheckCase``; ``wrt`` picks its reports by their ``wrt`` key
    ("input", "weight", "prediction", ...), or "*" for every report of the case.
    """

    case: object
    wrt: str

    def covers(self, report) -> bool:
        return self.wrt == "*" or report.wrt == self.wrt


@dataclass(frozen=True)
class GradientRule:
    """One gradient rule: dJ/d(wrt) = closed form, implemented by ``numeric_rule``.

    ``closed_form``, ``numeric_operands`` and ``presentations`` describe rules whose closed form is a
    SymPy matrix expression of canonical operands (the FC rules: the closed form is evaluated on the
    scalar equations of every presentation, seed 000's column vectors, seed 001's rows, ...). Rules
    whose closed form is their numeric function run on symbols (Conv2d, pooling, cross-entropy, the
    objective) leave them empty; their layer's ``verify`` derives and compares them.
    """

    name: str
    target: str
    wrt: str
    summary: str
    seed_ref: str
    numeric_rule: Callable
    numeric_checks: tuple[NumericCheck, ...] = ()
    closed_form: Callable | None = None
    numeric_operands: tuple[str, ...] = ()
    presentations: tuple[LayerEquations, ...] = ()

    @property
    def canonical(self) -> LayerEquations:
        if not self.presentations:
            raise ValueError(f"{self.name}: its closed form is its numeric rule; it has no LayerEquations")
        return self.presentations[0]


@dataclass(frozen=True)
class Verdict:
    """holds: True (``detail`` says how), False (``detail`` gives the counterexample), or None
    (not decided / not attempted, ``detail`` says why). ``evidence`` keeps the objects that were
    checked, for the proof documents to display."""

    holds: bool | None
    detail: str
    evidence: object = None
    attempted: bool = True  # False: no argument was tried (e.g. general sizes for max pooling), by design


@dataclass(frozen=True)
class RuleVerdicts:
    """What the symbolic side established about one rule."""

    concrete: Verdict  # derived from the scalar equations == closed form, at concrete sizes
    general: Verdict  # the same for general (symbolic) sizes, in index notation
    numeric: Verdict  # the numeric function == the closed form, symbol for symbol


@dataclass(frozen=True)
class LayerEntry:
    """A layer's rules and the function that derives and verifies all of them from its equations.

    ``verify(entry, sizes)`` returns ``{rule name: RuleVerdicts}`` for every rule of the entry.
    """

    name: str
    target: str
    rules: tuple[GradientRule, ...]
    verify: Callable[[LayerEntry, Mapping[str, int]], Mapping[str, RuleVerdicts]]
