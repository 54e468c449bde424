"""Rows of the report: what one run verified about a rule, an identity or a statement.

Every row type offers the same read-only interface, used by ``gradproof derive`` and report.md:
``name``, ``seed_ref``, ``statement``, ``concrete_ok``, ``concrete_text``, ``general_ok`` (None when not
decided or not attempted), ``numeric_ok``, ``ok``. A ``RuleResult`` also carries the finite-difference
reports that cover its numeric implementation, attached by the rule table's cases and gradient keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from gradproof.symbolic.engine.identities import (
    RANDOM_INTEGERS,
    SYMBOLIC,
    GeneralProof,
    IdentityClaim,
    SweepResult,
    build,
)
from gradproof.symbolic.engine.rule import GradientRule, RuleVerdicts


def verdict_word(holds: bool | None) -> str:
    return "not decided" if holds is None else ("holds" if holds else "DOES NOT HOLD")


@dataclass(frozen=True)
class RuleResult:
    """One rule in one run: the symbolic verdicts and the finite-difference reports of its numeric rule.

    ``reports`` is None when the run did no numeric checks (``gradproof derive``); an empty tuple means
    the table names no case that covers the rule, which fails the rule: a rule nobody checked numerically
    is not verified.
    """

    rule: GradientRule
    verdicts: RuleVerdicts
    reports: tuple | None = None

    name = property(lambda self: self.rule.name)
    seed_ref = property(lambda self: self.rule.seed_ref)
    concrete_ok = property(lambda self: self.verdicts.concrete.holds)
    general_ok = property(lambda self: self.verdicts.general.holds)
    numeric_ok = property(lambda self: self.verdicts.numeric.holds)
    concrete_text = property(lambda self: f"{verdict_word(self.concrete_ok)} ({self.verdicts.concrete.detail})")
    @property
    def general_text(self) -> str:
        general = self.verdicts.general
        return general.detail if not general.attempted else f"{verdict_word(general.holds)} ({general.detail})"
    statement = property(lambda self: f"{self.rule.summary}; numeric rule {self.rule.numeric_rule.__name__}")

    @property
    def finite_differences_ok(self) -> bool | None:
        if self.reports is None:
            return None
        return bool(self.reports) and all(report.passed for report in self.reports)

    @property
    def ok(self) -> bool:
        general = self.verdicts.general
        general_ok = general.holds is True or (general.holds is None and not general.attempted)
        return (self.concrete_ok is True and self.numeric_ok is True and general_ok
                and self.finite_differences_ok is not False)


@dataclass(frozen=True)
class IdentityResult:
    """An identity claim: the concrete sweep and the general-size proof (if one is attempted)."""

    claim: IdentityClaim
    sweep: SweepResult
    general: GeneralProof | None

    name = property(lambda self: self.claim.key)
    seed_ref = property(lambda self: self.claim.seed_ref)
    concrete_ok = property(lambda self: self.sweep.holds)
    general_ok = property(lambda self: None if self.general is None else self.general.holds)
    numeric_ok = property(lambda self: None)
    general_text = property(lambda self: "not attempted" if self.general is None else verdict_word(self.general_ok))

    @property
    def concrete_detail(self) -> str:
        detail = f"{len(self.sweep.results)} sizes, {self.sweep.count(SYMBOLIC)} symbolic"
        if self.sweep.count(RANDOM_INTEGERS):
            detail += f", {self.sweep.count(RANDOM_INTEGERS)} exact-integer"
        return detail

    @property
    def ok(self) -> bool:
        return self.concrete_ok and self.general_ok is not False

    @property
    def statement(self) -> str:
        _, _, lhs, rhs = build(self.claim)
        return f"{lhs} = {rhs}"

    @property
    def concrete_text(self) -> str:
        verdict = "holds" if self.concrete_ok else self.sweep.counterexample.describe()
        return f"{verdict} ({self.concrete_detail})"


class Statement(NamedTuple):
    """A composite check of a target (a seed's example or theorem, a matrix form): label, verdict, detail."""

    label: str
    holds: bool
    detail: str


@dataclass(frozen=True)
class Statements:
    """What a target verifies beyond its gradient rules: rows (identities), composite checks, and the
    checked objects its proof document displays (``evidence``, keyed by the document's section)."""

    rows: tuple = ()
    checks: tuple[Statement, ...] = ()
    evidence: Mapping[str, object] = field(default_factory=dict)
    general_by_rule: Mapping[str, object] = field(default_factory=dict)
    """{rule name: Verdict} for rules whose general-size proof is one of these statements (network.pdf's pooling,
    cross-entropy and objective theorems): ``run_target`` shows it as the rule's general-size verdict."""


@dataclass(frozen=True)
class Derivation:
    """The symbolic side of a run: per-rule and per-identity rows plus composite checks."""

    rules: tuple  # RuleResult or IdentityResult rows
    extras: tuple[Statement, ...]

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.rules) and all(holds for _, holds, _ in self.extras)
