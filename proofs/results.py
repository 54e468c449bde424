"""Rows of the report: what was verified about one rule, identity or statement.

Every row type offers the same read-only interface, used by ``gradproof derive`` and report.md:
``name``, ``seed_ref``, ``concrete_ok``, ``concrete_detail``, ``general_ok`` (None when no
general-size argument applies), ``numeric_ok`` (None when the numeric rule is the closed form
itself), ``ok``; identities and statements also give ``statement`` and ``concrete_text``.
"""

from __future__ import annotations

from dataclasses import dataclass

from gradproof.symbolic.engine.identities import (
    RANDOM_INTEGERS,
    SYMBOLIC,
    GeneralProof,
    IdentityClaim,
    SweepResult,
    build,
)
from gradproof.symbolic.engine.rule import GradientRule


@dataclass(frozen=True)
class RuleResult:
    """Everything verified about one rule: concrete and general derivations, numeric rule."""

    rule: GradientRule
    concrete: tuple  # ConcreteVerification per presentation
    general: tuple  # GeneralProof per presentation
    numeric_mismatch: object

    @property
    def concrete_ok(self) -> bool:
        return all(check.holds for check in self.concrete)

    @property
    def general_ok(self) -> bool:
        return all(proof.holds for proof in self.general)

    @property
    def numeric_ok(self) -> bool:
        return self.numeric_mismatch is None

    @property
    def ok(self) -> bool:
        return self.concrete_ok and self.general_ok and self.numeric_ok

    name = property(lambda self: self.rule.name)
    seed_ref = property(lambda self: self.rule.seed_ref)
    concrete_detail = property(lambda self: f"{len(self.concrete)} layouts")


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


@dataclass(frozen=True)
class ConvGradientResult:
    """One Conv2d gradient over the grid: derivation from scalar equations vs the numeric rule."""

    name: str
    seed_ref: str
    results: tuple  # ConvVerification per grid configuration
    gradient: str
    closed_forms: tuple[str, ...]
    general_ok: bool | None = None
    numeric_ok = property(lambda self: None)  # the numeric rule IS the closed form compared here

    @property
    def concrete_ok(self) -> bool:
        return all(result.mismatches[form] is None for result in self.results for form in self.closed_forms)

    @property
    def concrete_detail(self) -> str:
        forms = " and ".join(self.closed_forms)
        return f"{len(self.results)} grid configurations; closed forms: {forms}"

    @property
    def statement(self) -> str:
        return ", ".join(f"numeric.conv.conv2d_grad_{form}" for form in self.closed_forms)

    @property
    def concrete_text(self) -> str:
        failing = [(r, f) for r in self.results for f in self.closed_forms if r.mismatches[f] is not None]
        verdict = "holds" if not failing else f"FAILS at {failing[0][0].geometry}: {failing[0][0].mismatches[failing[0][1]]}"
        return f"{verdict} ({self.concrete_detail})"

    @property
    def ok(self) -> bool:
        return self.concrete_ok and self.general_ok is not False


@dataclass(frozen=True)
class CheckedStatement:
    """A rule verified by one exact check, as a report row."""

    name: str
    seed_ref: str
    concrete_ok: bool
    concrete_detail: str
    statement: str
    general_ok: bool | None = None
    numeric_ok = property(lambda self: None)
    ok = property(lambda self: self.concrete_ok and self.general_ok is not False)
    concrete_text = property(lambda self: f"{'holds' if self.concrete_ok else 'FAILS'} ({self.concrete_detail})")


@dataclass(frozen=True)
class Derivation:
    """Result of ``derive`` for a target: per-rule results plus extra composite checks."""

    rules: tuple  # RuleResult or IdentityResult rows
    extras: tuple[tuple[str, bool, str], ...]  # (label, holds, detail)

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.rules) and all(holds for _, holds, _ in self.extras)
