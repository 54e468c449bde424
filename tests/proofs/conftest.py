"""Shared fixtures of the proof-document tests."""

import dataclasses

import pytest

from gradproof.proofs import targets


@pytest.fixture
def doubled_weight_rule(monkeypatch):
    """A planted fault: linear.weight's closed form doubled in the rule table the runs loop over. A
    document built after this must show the failure, or the absence of failure words proves nothing."""
    def doubled(layer):
        rules = tuple(dataclasses.replace(rule, closed_form=lambda o, honest=rule.closed_form: 2 * honest(o))
                      if rule.name == "linear.weight" else rule for rule in layer.rules)
        return dataclasses.replace(layer, rules=rules)

    honest_layers = targets.layers_for
    monkeypatch.setattr(targets, "layers_for", lambda name: tuple(map(doubled, honest_layers(name))))
