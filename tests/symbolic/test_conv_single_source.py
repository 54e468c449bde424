"""Conv2d's scalar equation is written once (``conv.scalar_equation`` with ``conv.input_position``):
break that one definition and BOTH the concrete check (derivation vs the numeric rules of
``numeric.rules.conv``, which do not use it) and the general-size proof fail (seed 003).

The bias gradient is the sum of G whatever positions the inputs are read from, so it is right,
and stays proved, under every mutation of the position: the tests say so explicitly.
"""

import pytest

from gradproof.symbolic.layers import conv, conv_general


def _padding_sign(output, tap, stride, padding, dilation):
    return (output - 1) * stride + (tap - 1) * dilation + 1 + padding


def _stride_dilation_swapped(output, tap, stride, padding, dilation):
    return (output - 1) * dilation + (tap - 1) * stride + 1 - padding


def _off_by_one(output, tap, stride, padding, dilation):
    return (output - 1) * stride + (tap - 1) * dilation - padding


def _dilation_ignored(output, tap, stride, padding, dilation):
    return (output - 1) * stride + tap - padding


MUTANTS = [_padding_sign, _stride_dilation_swapped, _off_by_one, _dilation_ignored]

# stride 2, dilation 3, padding 1, a rectangular kernel: every mutant above changes some entry
GEOMETRY = conv.ConvGeometry(1, 2, 2, 6, 7, (2, 3), 2, 1, 3)


def test_the_unmutated_definition_passes_both_checks():
    assert conv.verify(GEOMETRY).holds and conv.forward_matches_equations(GEOMETRY)
    assert all(proof.holds for proof in conv_general.general_proofs())


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda f: f.__name__.strip("_"))
def test_a_wrong_input_position_fails_the_concrete_check(monkeypatch, mutant):
    monkeypatch.setattr(conv, "input_position", mutant)
    result = conv.verify(GEOMETRY)
    assert result.mismatches["input"] is not None and result.mismatches["weight"] is not None
    assert result.mismatches["bias"] is None  # db = sum of G does not depend on the positions
    assert not conv.forward_matches_equations(GEOMETRY)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda f: f.__name__.strip("_"))
def test_a_wrong_input_position_fails_the_general_proof(monkeypatch, mutant):
    monkeypatch.setattr(conv, "input_position", mutant)
    proofs = {proof.subject: proof for proof in conv_general.general_proofs()}
    for gradient in ("input", "weight"):
        assert proofs[gradient].holds is False, gradient  # a concrete counterexample, not "undecided"
        geometry, (index, closed, numeric) = proofs[gradient].refuting_instance
        assert closed != numeric
    assert proofs["bias"].holds


def test_the_general_equation_is_the_concrete_one(monkeypatch):
    """The general proof's equation is built by ``conv.scalar_equation``: a change there shows in it."""
    before = conv_general.equation(1, 1, 1, 1)
    monkeypatch.setattr(conv, "input_position", _padding_sign)
    assert conv_general.equation(1, 1, 1, 1) != before
