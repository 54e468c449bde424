"""Every displayed formula of a proof document has a verified source (issue 14 item 1; DESIGN.md 5a).

The walker (``formulas_without_source``) lists each formula whose source is missing or is a check of
the same run that did not pass. conv2d and network (part B of issue 14) are listed too: they pass once
their documents carry sources.
"""


import pytest

from gradproof.proofs.document import formulas_without_source
from gradproof.proofs.targets import run_target, target_named


@pytest.mark.parametrize("name", ["fc", "kron", "conv2d", "network"])
def test_every_formula_has_a_verified_source(name):
    target = target_named(name)
    document = target.document(run_target(target, numeric=False))
    missing = formulas_without_source(document)
    assert missing == [], f"{len(missing)} formulas without a verified source, first: {missing[:5]}"


def test_a_doubled_weight_rule_leaves_its_formulas_without_a_source(doubled_weight_rule):
    target = target_named("fc")
    missing = formulas_without_source(target.document(run_target(target, numeric=False)))
    assert missing, "the doubled weight rule's closed form was displayed as verified"
    assert all("2" in text for _, text in missing if "W" in text), missing
