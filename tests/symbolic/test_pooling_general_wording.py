"""The general-size pooling proofs' justifications read on their own (report rows, ``gradproof derive``): each
names the definition it differentiates ("the definition of max pooling"), never "the Definition", which only a
numbered document could resolve; the lemma's matrix is R (seed 003's Q is its kernel Jacobian)."""

import pytest

from gradproof.symbolic.seeds import pooling_general as pooling


@pytest.mark.parametrize("kind, proof", [("max", pooling.max_pooling_proof), ("average", pooling.avg_pooling_proof)])
def test_justifications_name_their_definition(kind, proof):
    result = proof()
    reasons = [why for _, why in result.rows]
    assert result.holds
    assert not any("Definition" in why for why in reasons), reasons
    assert f"differentiate the definition of {kind} pooling; G = dL/dZ" in reasons
    assert f"entry of P_pool (the definition of {kind} pooling)" in reasons
    assert pooling.DEFINITION[kind] == f"the definition of {kind} pooling"


def test_lemma_matrix_is_r():
    lemma = pooling.linear_map_lemma()
    assert lemma.holds and pooling.A_BASE.name == "R"
    assert "R" in str(lemma.rows[-1][0]) and "Q" not in str(lemma.rows)
