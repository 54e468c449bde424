"""The rule table's pooling, cross-entropy and objective rules show network.pdf's general-size proofs of the
same run as their general-size verdict (report.md said "not attempted" while the PDF proved them)."""

import dataclasses

from gradproof.proofs import statements
from gradproof.proofs.targets import run_target, target_named

PROVED_IN_NETWORK_PDF = ("maxpool2d.input", "avgpool2d.input", "cross_entropy.logits", "objective.theta")


def _general(run, name):
    return run.rule(name).verdicts.general


def test_the_rules_proved_in_network_pdf_hold_for_every_size_in_the_report():
    run = run_target(target_named("network"), numeric=False)
    for name in PROVED_IN_NETWORK_PDF:
        general = _general(run, name)
        assert general.holds is True and "network.pdf" in general.detail, name


def test_a_failed_general_proof_leaves_its_rule_not_decided(monkeypatch):
    real = statements.general_proofs

    def with_a_failed_max_pooling_proof():
        proofs = real()
        proofs["max"] = dataclasses.replace(proofs["max"], instances=(("a planted failing instance", False),))
        return proofs

    monkeypatch.setattr(statements, "general_proofs", with_a_failed_max_pooling_proof)
    run = run_target(target_named("network"), numeric=False)
    assert _general(run, "maxpool2d.input").holds is None
    assert _general(run, "maxpool2d.input").detail.startswith("not decided")
    assert _general(run, "avgpool2d.input").holds is True
