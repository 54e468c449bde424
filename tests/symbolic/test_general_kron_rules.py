"""Issue 12, item 2: the Kronecker inverse and determinant identities proved for general sizes by
chains of named rules (A is n x n, B is m x m), each step made by applying its rule."""

import dataclasses

import pytest
from sympy import Determinant, Identity, MatrixSymbol, symbols

from gradproof.symbolic.engine.errors import OutsideIndexAlgebra
from gradproof.symbolic.engine.general import NAMED_RULES, RULES_DO_NOT_REACH, prove_general
from gradproof.symbolic.engine.identities import prove_identity, sweep
from gradproof.symbolic.seeds import kron_identities as kron

INVERSE = next(c for c in kron.KRON_IDENTITIES if c.key == "kron_inverse")
DET = next(c for c in kron.KRON_IDENTITIES if c.key == "kron_det")


def test_the_inverse_identity_is_proved_by_named_rules():
    proof = prove_general(INVERSE)
    assert proof.holds is True and proof.method == NAMED_RULES
    assert [rule for _, rule in proof.left_steps] == [kron.MIXED_PRODUCT, kron.ADJUGATE, kron.BILINEAR,
                                                     kron.IDENTITY_KRON]
    assert proof.left_steps[-1][0] == proof.right_entry


def test_the_determinant_identity_is_proved_by_named_rules():
    proof = prove_general(DET)
    assert proof.holds is True and proof.method == NAMED_RULES
    assert [rule for _, rule in proof.left_steps] == [kron.MIXED_PRODUCT, kron.DET_PRODUCT, kron.PERFECT_SHUFFLE,
                                                     kron.BLOCK_DIAGONAL]
    n, m = symbols("n m", integer=True, positive=True)
    A, B = MatrixSymbol("A", n, n), MatrixSymbol("B", m, m)
    assert proof.left_steps[-1][0] == Determinant(A) ** m * Determinant(B) ** n  # A is n x n, B is m x m


def test_wrong_exponents_are_not_decided_by_the_rules_and_refuted_concretely():
    swapped = dataclasses.replace(DET, rhs=lambda o, d: Determinant(o["A"]) ** d["n"] * Determinant(o["B"]) ** d["m"])
    proof = prove_general(swapped)
    assert proof.holds is None and proof.reason == RULES_DO_NOT_REACH
    refuted = prove_identity(swapped, sweep(swapped, 2).results)
    assert refuted.holds is False and "n = 1, m = 2" in refuted.reason


def test_the_shuffle_rule_checks_its_entries():
    n, m = symbols("n m", integer=True, positive=True)
    A = MatrixSymbol("A", n, n)
    assert kron._shuffle_is_exact(A, m)
    shuffled = kron.shuffle(Determinant(kron.kron_unevaluated(A, Identity(m))))
    assert shuffled == Determinant(kron.kron_unevaluated(Identity(m), A))


def test_a_rule_applied_outside_its_pattern_refuses():
    n = symbols("n", integer=True, positive=True)
    A, B = MatrixSymbol("A", n, n), MatrixSymbol("B", n, n)
    with pytest.raises(OutsideIndexAlgebra):
        kron.mixed_product(A * B)
    with pytest.raises(OutsideIndexAlgebra):
        kron.adjugate_product(kron.kron_unevaluated(A * B, B * A))
