"""Kronecker/vec identities (seed 004, Matrix Cookbook 10.2): every size with dimensions 1..4,
general sizes in index notation, refusals with counterexamples, and the FC vector form."""

import dataclasses

import pytest
from sympy import Identity, KroneckerProduct, Matrix, MatrixSymbol, Trace, Transpose, symbols

from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.engine.identities import (
    RANDOM_INTEGERS,
    SYMBOLIC,
    IdentityClaim,
    Operand,
    build,
    check,
    prove_general,
    prove_identity,
    sweep,
)
from gradproof.symbolic.engine.kron import Vec, VecRowMajor
from gradproof.symbolic.seeds.kron_identities import FALSE_CLAIM, KRON_IDENTITIES
from gradproof.symbolic.seeds.vector_form import (
    JACOBIANS,
    VECTOR_FORM_IDENTITIES,
    check_jacobian,
    prove_jacobian_general,
)

ALL = KRON_IDENTITIES + VECTOR_FORM_IDENTITIES
GENERAL = [claim for claim in ALL if claim.general]


@pytest.mark.parametrize("claim", ALL, ids=[c.key for c in ALL])
def test_identity_holds_for_every_size_with_dimensions_1_to_4(claim):
    result = sweep(claim, 4)
    assert result.holds, result.counterexample.describe()
    assert len(result.results) == 4 ** len(claim.dimensions())


@pytest.mark.parametrize("claim", GENERAL, ids=[c.key for c in GENERAL])
def test_identity_holds_for_general_sizes(claim):
    proof = prove_general(claim)
    assert proof.reason == "" and proof.holds


def test_every_identity_has_a_general_proof_and_det_says_which_sizes_are_symbolic():
    assert {c.key for c in ALL if not c.general} == set()
    det = next(c for c in ALL if c.key == "kron_det")
    assert check(det, {"n": 2, "m": 4}).method == SYMBOLIC
    assert check(det, {"n": 4, "m": 4}).method == RANDOM_INTEGERS


def test_the_false_claim_is_refused_with_the_smallest_counterexample():
    result = sweep(FALSE_CLAIM, 4)
    assert not result.holds
    counterexample = result.counterexample
    assert counterexample.sizes == {"m": 1, "n": 2, "p": 2}
    assert counterexample.mismatch.index == (1, 1)
    assert str(counterexample.mismatch.left) == "A[1,1]*B[1,1] + A[1,2]*B[2,1]"
    assert str(counterexample.mismatch.right) == "A[1,1]*B[1,1] + A[1,2]*B[1,2]"
    assert "does not hold for m = 1, n = 2, p = 2: entry (1, 1)" in counterexample.describe()
    proof = prove_general(FALSE_CLAIM)
    assert proof.holds is None and "index slots" in proof.reason  # not decided: the sides index differently


def _claim(key, operands, lhs, rhs, **extra):
    return IdentityClaim(key=key, seed_ref="test", operands=operands, lhs=lhs, rhs=rhs, **extra)


def test_the_numpy_row_major_mix_up_is_refused():
    vec_axb = next(c for c in ALL if c.key == "vec_r_AXB")
    mixed_up = dataclasses.replace(vec_axb, rhs=lambda o, d: KroneckerProduct(o["B"].T, o["A"]) * VecRowMajor(o["X"]))
    assert not sweep(mixed_up, 2).holds
    assert prove_general(mixed_up).holds is None  # not decided in general: the concrete sweep refutes it


def test_a_false_claim_with_matching_structure_is_refuted_only_with_a_counterexample():
    wrong = _claim(
        "trace_sum", (Operand.matrix("A", "n", "n"), Operand.matrix("B", "m", "m")),
        lambda o, d: Trace(KroneckerProduct(o["A"], o["B"])), lambda o, d: Trace(o["A"]) + Trace(o["B"]),
    )
    general = prove_general(wrong)  # differing normal forms alone: not decided
    assert general.holds is None and "normal forms of the two sides differ" in general.reason
    sweep_result = sweep(wrong, 2)
    assert sweep_result.counterexample.sizes == {"n": 1, "m": 1}
    refuted = prove_identity(wrong, sweep_result.results)
    assert refuted.holds is False and "refuted by a concrete counterexample" in refuted.reason
    assert "n = 1, m = 1" in refuted.reason


def test_wrong_exponents_in_the_determinant_are_refused():
    det = next(c for c in ALL if c.key == "kron_det")
    swapped = dataclasses.replace(det, rhs=lambda o, d: o["A"].det() ** d["n"] * o["B"].det() ** d["m"])
    assert sweep(swapped, 4).counterexample.sizes == {"n": 1, "m": 2}


def test_the_transpose_identity_is_not_made_true_by_sympy_rewriting():
    claim = next(c for c in ALL if c.key == "kron_transpose")
    _, _, lhs, rhs = build(claim)
    assert isinstance(lhs, Transpose) and lhs != rhs


def test_non_conforming_sizes_are_named():
    claim = _claim("bad", (Operand.matrix("A", "m", "n"), Operand.matrix("B", "p", "q")),
                   lambda o, d: o["A"] * o["B"], lambda o, d: o["A"] * o["B"])
    with pytest.raises(InvalidInput, match=r"operands do not conform \(A \(2, 3\), B \(2, 2\)\)"):
        check(claim, {"m": 2, "n": 3, "p": 2, "q": 2})
    different = _claim("shapes", (Operand.matrix("A", "m", "n"),), lambda o, d: o["A"], lambda o, d: o["A"].T)
    with pytest.raises(InvalidInput, match=r"the sides have different shapes, \(2, 3\) and \(3, 2\)"):
        check(different, {"m": 2, "n": 3})


def test_vec_and_vec_r_entries():
    x = Matrix(2, 3, symbols("x0:6"))
    assert list(Vec(x).doit()) == [x[0, 0], x[1, 0], x[0, 1], x[1, 1], x[0, 2], x[1, 2]]
    assert list(VecRowMajor(x).doit()) == list(x)
    symbol = MatrixSymbol("X", 2, 3)
    assert Vec(symbol).as_explicit()[3, 0] == symbol[1, 1]
    assert VecRowMajor(symbol).as_explicit()[3, 0] == symbol[1, 0]


@pytest.mark.parametrize("claim", JACOBIANS, ids=[j.key for j in JACOBIANS])
def test_jacobians_derived_from_scalar_equations(claim):
    for sizes in ({"batch": 1, "in": 1, "out": 1}, {"batch": 2, "in": 3, "out": 2}):
        assert check_jacobian(claim, sizes).holds
    assert prove_jacobian_general(claim).holds


def test_a_wrong_jacobian_is_refused():
    batch = next(j for j in JACOBIANS if j.key == "batch_jacobian_weight")
    wrong = dataclasses.replace(batch, claimed=lambda s, d: KroneckerProduct(s["x"], Identity(d["out"])))
    assert not check_jacobian(wrong, {"batch": 2, "in": 2, "out": 2}).holds
    assert not prove_jacobian_general(wrong).holds


def test_claims_with_inverses_are_decided_exactly_with_rational_functions():
    from sympy import Inverse

    from gradproof.symbolic.engine.identities import RATIONAL_FUNCTIONS

    operands = (Operand.matrix("A", "n", "n"), Operand.matrix("B", "n", "n"))
    true = _claim("inverse_of_product", operands, lambda o, d: Inverse(o["A"] * o["B"]),
                  lambda o, d: Inverse(o["B"]) * Inverse(o["A"]))
    false = _claim("wrong_order", operands, lambda o, d: Inverse(o["A"] * o["B"]),
                   lambda o, d: Inverse(o["A"]) * Inverse(o["B"]))
    assert check(true, {"n": 2}).holds and check(true, {"n": 2}).method == RATIONAL_FUNCTIONS
    assert sweep(true, 2).holds
    refuted = sweep(false, 2)
    assert not refuted.holds and refuted.counterexample.sizes == {"n": 2}
