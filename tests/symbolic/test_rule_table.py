"""The rule table: every rule of every layer is there once, is verified by its layer's derivation, is covered
by a finite-difference case, and a wrong numeric rule is caught through the table (not by a retyped formula)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from gradproof.numeric.rules import conv as conv_rules
from gradproof.numeric.rules import cross_entropy as cross_entropy_rules
from gradproof.numeric.rules import objective as objective_rules
from gradproof.numeric.rules import pooling as pool_rules
from gradproof.proofs.targets import TARGET_NAMES, run_target, target_named
from gradproof.symbolic.layers.table import RULES

EXPECTED_RULES = {
    "linear.weight", "linear.bias", "linear.input", "relu.input", "squared_loss.prediction",
    "conv2d.input", "conv2d.weight", "conv2d.bias", "maxpool2d.input", "avgpool2d.input", "flatten.input",
    "cross_entropy.logits", "objective.theta", "sgd.step",
}


def test_every_rule_of_every_layer_is_in_the_table_once():
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    assert set(names) == EXPECTED_RULES
    assert {rule.target for rule in RULES} <= set(TARGET_NAMES)


def test_every_numeric_rule_is_a_plain_function_of_the_numeric_rules_package():
    for rule in RULES:
        assert inspect.isfunction(rule.numeric_rule), rule.name
        assert rule.numeric_rule.__module__.startswith("gradproof.numeric.rules."), (rule.name, rule.numeric_rule)


@pytest.fixture(scope="module")
def runs():
    return {name: run_target(target_named(name)) for name in TARGET_NAMES if name != "kron"}


def test_every_rule_is_verified_and_covered_by_finite_differences(runs):
    seen = set()
    for run in runs.values():
        for result in run.rules:
            seen.add(result.name)
            assert result.concrete_ok is True, result.concrete_text
            assert result.numeric_ok is True, result.verdicts.numeric.detail
            assert result.general_ok is True or not result.verdicts.general.attempted, result.general_text
            assert result.reports, f"{result.name}: no finite-difference report covers it"
            assert all(report.passed for report in result.reports), [r.row() for r in result.reports]
            assert result.ok
    assert seen == EXPECTED_RULES


def test_reports_are_attached_by_gradient_key_not_by_name(runs):
    weight = runs["fc"].rule("linear.weight")
    assert [report.wrt for report in weight.reports] == ["weight"]
    conv_input = runs["conv2d"].rule("conv2d.input")
    assert len(conv_input.reports) == 3 and {report.wrt for report in conv_input.reports} == {"input"}


def _scaled(function, factor=1.001):
    def wrong(*args, **kwargs):
        return factor * function(*args, **kwargs)

    return wrong


WRONG_RULES = [
    ("conv2d", conv_rules, "conv2d_grad_weight", "conv2d.weight"),
    ("conv2d", conv_rules, "conv2d_grad_bias", "conv2d.bias"),
    ("network", pool_rules, "maxpool_grad_input", "maxpool2d.input"),
    ("network", pool_rules, "avgpool_grad_input", "avgpool2d.input"),
    ("network", cross_entropy_rules, "cross_entropy_grad", "cross_entropy.logits"),
    ("network", objective_rules, "objective_grad", "objective.theta"),
]


@pytest.mark.parametrize("target, module, function, rule_name", WRONG_RULES, ids=[w[3] for w in WRONG_RULES])
def test_a_wrong_numeric_rule_is_refused_by_the_derivation(monkeypatch, target, module, function, rule_name):
    # planted in the module (what the seeds' own equations call) and in the rule table's entry (what the
    # description engine runs on symbols): the rule's numeric verdict, or its concrete one where the seeds'
    # equations compare the numeric rule (the conv and pooling grids, the objective), must turn False
    import dataclasses

    from gradproof.proofs import targets

    wrong = _scaled(getattr(module, function))
    monkeypatch.setattr(module, function, wrong)
    honest_layers = targets.layers_for

    def planted(name):
        return tuple(dataclasses.replace(layer, rules=tuple(
            dataclasses.replace(rule, numeric_rule=wrong) if rule.name == rule_name else rule for rule in layer.rules))
            for layer in honest_layers(name))

    monkeypatch.setattr(targets, "layers_for", planted)
    run = run_target(target_named(target), numeric=False)
    result = run.rule(rule_name)
    assert False in (result.concrete_ok, result.numeric_ok), result.concrete_text
    assert not result.ok and not run.derivation.ok


def test_a_wrong_sgd_step_is_refused(monkeypatch):
    def ascent(parameter, gradient, learning_rate):
        return parameter + learning_rate * gradient

    monkeypatch.setattr(objective_rules, "sgd_update", ascent)
    run = run_target(target_named("network"))
    step = run.rule("sgd.step")
    assert step.concrete_ok is False and step.finite_differences_ok is False


def test_a_rule_no_case_covers_fails_instead_of_printing_a_dash(monkeypatch):
    import dataclasses

    from gradproof.proofs import targets

    fc = target_named("fc")
    run = targets.run_target(fc)
    uncovered = dataclasses.replace(run.rules[0], reports=())
    assert uncovered.finite_differences_ok is False and not uncovered.ok


def test_a_run_is_deterministic_in_its_numbers():
    first = run_target(target_named("fc"), seed=3).checks
    second = run_target(target_named("fc"), seed=3).checks
    assert [r.max_abs_error for r in first] == [r.max_abs_error for r in second]
    assert np.isfinite([r.max_abs_error for r in first]).all()
