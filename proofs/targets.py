"""CLI targets and one run of a target: what ``gradproof derive|prove|check|all TARGET`` computes.

A ``Target`` takes its gradient rules from the rule table (``gradproof.symbolic.layers.table``, by
target name) and adds what is not a gradient rule: identities, the seeds' worked examples and
theorems, and composite numeric checks of whole networks. ``run_target`` computes everything once:
each layer entry's verification, each finite-difference case, each statement. The report and the
proof document are then built from that one ``TargetRun``, so they cannot disagree, and each rule's
finite-difference reports are attached to it through the cases and gradient keys the table names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from gradproof.numeric import cases
from gradproof.numeric.cases import CheckCase
from gradproof.numeric.gradcheck import CheckReport
from gradproof.proofs import conv_proof, fc_proof, kron_proof, network_proof
from gradproof.proofs.results import Derivation, RuleResult, Statements
from gradproof.proofs.statements import conv_statements, fc_statements, kron_statements, network_statements
from gradproof.symbolic.engine.rule import GradientRule
from gradproof.symbolic.layers.table import layers_for, rules_for
from gradproof.symbolic.seeds.kron_identities import FALSE_CLAIM, KRON_IDENTITIES
from gradproof.symbolic.seeds.vector_form import JACOBIANS, VECTOR_FORM_IDENTITIES

SIZE_ROLES = ("batch", "in", "out", "features")
DEFAULT_SIZES = {"batch": 2, "in": 3, "out": 2, "features": 2}


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    statements: Callable[[Mapping[str, int]], Statements]
    composite_cases: tuple[CheckCase, ...]
    document: Callable  # (TargetRun) -> Document
    also_verifies: tuple[tuple[str, str], ...] = ()  # (name, seed reference) of its statements, for listing
    default_sizes: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_SIZES))

    def listing(self) -> tuple[tuple[str, str], ...]:
        """(name, seed reference) of each gradient rule of the target, then of its other statements."""
        return tuple((rule.name, rule.seed_ref) for rule in rules_for(self.name)) + self.also_verifies

    def derive(self, sizes: Mapping[str, int]) -> Derivation:
        """The symbolic part of a run (no finite differences)."""
        return run_target(self, sizes, numeric=False).derivation

    def check(self, seed: int = 0, method: str = "central") -> list[CheckReport]:
        """The finite-difference part of a run: every case of the target's rules, then the composite ones."""
        return list(_case_reports(self, seed, method).values_flat())


@dataclass(frozen=True)
class TargetRun:
    """Everything one run of a target established; the report and the document read only this."""

    target: Target
    sizes: Mapping[str, int]
    rules: tuple[RuleResult, ...]
    statements: Statements
    checks: tuple[CheckReport, ...]
    numeric: bool

    @property
    def derivation(self) -> Derivation:
        return Derivation(self.rules + tuple(self.statements.rows), tuple(self.statements.checks))

    @property
    def checks_ok(self) -> bool:
        return all(report.passed for report in self.checks)

    @property
    def ok(self) -> bool:
        return self.derivation.ok and self.checks_ok

    def rule(self, name: str) -> RuleResult:
        for result in self.rules:
            if result.rule.name == name:
                return result
        raise KeyError(f"{self.target.name}: no rule {name!r} in this run")


class _CaseReports(dict):
    """CheckCase -> its reports, each case run once, in the order first needed."""

    def values_flat(self):
        return (report for reports in self.values() for report in reports)


def _case_reports(target: Target, seed: int, method: str) -> _CaseReports:
    reports = _CaseReports()
    needed = [check.case for rule in rules_for(target.name) for check in rule.numeric_checks]
    for case in needed + list(target.composite_cases):
        if case not in reports:
            reports[case] = case.run(seed, method)
    return reports


def _rule_reports(rule: GradientRule, reports: _CaseReports) -> tuple[CheckReport, ...]:
    return tuple(report for check in rule.numeric_checks for report in reports[check.case] if check.covers(report))


def run_target(target: Target, sizes: Mapping[str, int] | None = None, *, seed: int = 0, method: str = "central",
               numeric: bool = True) -> TargetRun:
    """Derive, verify and (with ``numeric``) cross-check every rule and statement of ``target``, once."""
    sizes = {**target.default_sizes, **(sizes or {})}
    reports = _case_reports(target, seed, method) if numeric else _CaseReports()
    statements = target.statements(sizes)
    results = []
    for layer in layers_for(target.name):
        verdicts = layer.verify(layer, sizes)
        for rule in layer.rules:
            covered = _rule_reports(rule, reports) if numeric else None
            rule_verdicts = verdicts[rule.name]
            if rule.name in statements.general_by_rule and rule_verdicts.general.holds is not False:
                # proved for every size by a statement of this run; a refutation by the rule table stays
                rule_verdicts = dataclasses.replace(rule_verdicts, general=statements.general_by_rule[rule.name])
            results.append(RuleResult(rule, rule_verdicts, covered))
    return TargetRun(target, sizes, tuple(results), statements, tuple(reports.values_flat()), numeric)


TARGETS: tuple[Target, ...] = (
    Target(
        name="fc",
        description="fully-connected layer, ReLU and squared loss (seeds 000, 001, 002)",
        statements=fc_statements,
        composite_cases=(cases.FC_NETWORK,),
        document=fc_proof.fc_document,
        also_verifies=(("network (1)-(4)", "seed 002"), ("matrix forms", "seeds 000, 001")),
    ),
    Target(
        name="kron",
        description="Kronecker/vec identities and the FC layer in vector form (seed 004, Matrix Cookbook)",
        statements=kron_statements,
        composite_cases=(cases.KRON_NUMERIC,),
        document=kron_proof.kron_document,
        also_verifies=tuple((item.key, item.seed_ref)
                            for item in (*KRON_IDENTITIES, *VECTOR_FORM_IDENTITIES, *JACOBIANS, FALSE_CLAIM)),
    ),
    Target(
        name="conv2d",
        description="Conv2d with channels, batch, stride, padding, dilation (seed 003, PyTorch convention)",
        statements=conv_statements,
        composite_cases=(),
        document=conv_proof.conv_document,
        also_verifies=(("3 × 3 example as a 9 × 9 matrix", "seed 003"), ("P_pad, P_phi form (3)-(5)", "seed 004")),
    ),
    Target(
        name="network",
        description="pooling, flatten, softmax cross-entropy, the objective, seed 002's theorem; a CNN's gradient",
        statements=network_statements,
        composite_cases=(cases.DIGITS_CNN_PROJECTIONS,),
        document=network_proof.network_document,
        also_verifies=(("theorem (5) = (6)", "seed 002"), ("worked example", "seed 002")),
    ),
)

TARGET_NAMES = tuple(target.name for target in TARGETS)


def target_named(name: str) -> Target:
    for target in TARGETS:
        if target.name == name:
            return target
    raise KeyError(f"unknown target {name!r}; valid targets: {', '.join(TARGET_NAMES)}")
