"""Conv2d derived from scalar equations equals the closed forms (the numeric rules on symbols) on
the whole grid (issue 4's plus rectangular kernels); a broken numeric rule is refused; seed 003's
worked example (its slide is the oracle) and seed 004's vector form.

No formula is written here: the mutation tests break the real rules (``numeric.rules.conv``) and
the real general-size closed forms (``symbolic.layers.conv_general``) and check that verification
notices. Mutations of the one scalar equation are in test_conv_single_source.py.
"""

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sympy import Symbol

from gradproof.numeric.rules import conv as conv_rules
from gradproof.symbolic.layers import conv_general
from gradproof.symbolic.layers.conv import (
    RECTANGULAR_GRID,
    SQUARE_GRID,
    ConvGeometry,
    forward_matches_equations,
    geometry_grid,
    verify,
)
from gradproof.symbolic.seeds.conv_matrix import seed003_example
from gradproof.symbolic.seeds.conv_vector_form import fc_special_case, seed004_check

GRID = list(geometry_grid())


def _id(g):
    return f"n{g.batch}c{g.in_channels}o{g.out_channels}k{g.kernel_hw[0]}x{g.kernel_hw[1]}s{g.stride}p{g.padding}d{g.dilation}"


def test_the_grid_covers_issue_4_and_rectangular_kernels_with_every_stride_padding_dilation():
    # fails if a configuration of issue 4's grid is dropped, or a rectangular kernel misses a combination
    settings = {(g.batch, g.in_channels, g.out_channels, g.kernel_hw, g.stride, g.padding, g.dilation) for g in GRID}
    square = SQUARE_GRID
    for b, ci, co, k, s, p, d in itertools.product(*square.values()):
        assert (b, ci, co, (k, k), s, p, d) in settings
    for kernel in (k for k, _ in RECTANGULAR_GRID["kernel and (batch, in, out)"]):
        assert kernel[0] != kernel[1]
        assert {(g.stride, g.padding, g.dilation) for g in GRID if g.kernel_hw == kernel} == set(
            itertools.product(square["stride"], square["padding"], square["dilation"]))


@pytest.mark.parametrize("geometry", GRID, ids=_id)
def test_derivation_equals_closed_forms_and_forward_equals_equations(geometry):
    # fails if any numeric rule (forward, col2im dX, transposed dX, dW, db) is wrong at this geometry
    result = verify(geometry)
    assert result.holds, result.mismatches
    assert forward_matches_equations(geometry)


@st.composite
def _rectangular_geometries(draw):
    small = st.integers(1, 3)
    kernel = (draw(small), draw(small))
    settings_ = dict(batch=draw(st.integers(1, 2)), in_channels=draw(st.integers(1, 2)),
                     out_channels=draw(st.integers(1, 2)), height=draw(st.integers(1, 6)), width=draw(st.integers(1, 6)),
                     kernel=kernel, stride=draw(small), padding=draw(st.integers(0, 2)), dilation=draw(small))
    try:
        return ConvGeometry(**settings_)
    except ValueError:
        assume(False)


@settings(max_examples=25, deadline=None)
@given(_rectangular_geometries())
def test_derivation_equals_closed_forms_off_the_grid(geometry):
    # random sizes, rectangular kernels, stride/dilation up to 3 and padding up to 2
    result = verify(geometry)
    assert result.holds, (geometry, result.mismatches)
    assert forward_matches_equations(geometry)


def _unrotated(weight):
    return weight.transpose(1, 0, 2, 3)  # channels swapped, kernel NOT rotated


def _unswapped(weight):
    return weight[:, :, ::-1, ::-1]  # rotated, channels NOT swapped


def _stride_ignored(g, stride):
    return g


def _im2col_taps_transposed(x_padded, kernel, stride, dilation, out=None):
    columns, out_hw = _real_im2col(x_padded, kernel, stride, dilation, out)
    n, rows, positions = columns.shape
    taps = columns.reshape(n, rows // (kernel[0] * kernel[1]), kernel[0], kernel[1], positions)
    return taps.swapaxes(2, 3).reshape(n, rows, positions), out_hw  # tap (i, j) holds window entry (j, i)


def _col2im_dilation_ignored(columns, padded_shape, kernel, stride, dilation, out_hw):
    return _real_col2im(columns, padded_shape, kernel, stride, 1, out_hw)


def _pad_one_sided(x, padding):
    return _real_pad(x, padding) if padding == 0 else np.pad(
        x, ((0, 0), (0, 0), (2 * padding, 0), (2 * padding, 0)), constant_values=0)


_real_im2col, _real_col2im, _real_pad = conv_rules.im2col, conv_rules.col2im, conv_rules.pad2d

# (function of numeric.rules.conv, its mutant, the closed forms that must be refused, the geometry)
NUMERIC_MUTANTS = {
    "kernel not rotated": ("rot180_swap", _unrotated, {"input_transposed"}, ConvGeometry(1, 2, 2, 4, 5, (2, 3), 1, 1, 1)),
    "channels not swapped": ("rot180_swap", _unswapped, {"input_transposed"}, ConvGeometry(1, 2, 2, 4, 4, 2, 1, 0, 1)),
    "stride ignored in dilating G": ("dilate2d", _stride_ignored, {"input_transposed"},
                                     ConvGeometry(1, 1, 1, 5, 5, 2, 2, 0, 1)),
    "kernel taps transposed in im2col": ("im2col", _im2col_taps_transposed, {"weight", "input_transposed"},
                                         ConvGeometry(1, 1, 1, 5, 5, 3, 2, 0, 1)),
    "dilation ignored in col2im": ("col2im", _col2im_dilation_ignored, {"input"}, ConvGeometry(1, 1, 1, 5, 5, 2, 1, 0, 2)),
    "padding on one side": ("pad2d", _pad_one_sided, {"weight"}, ConvGeometry(1, 1, 1, 4, 4, (3, 2), 1, 1, 1)),
}


@pytest.mark.parametrize("mutant", NUMERIC_MUTANTS)
def test_a_broken_numeric_rule_is_refused(monkeypatch, mutant):
    name, broken, refused, geometry = NUMERIC_MUTANTS[mutant]
    assert verify(geometry).holds  # the geometry is a fair test: the real rules pass on it
    monkeypatch.setattr(conv_rules, name, broken)
    result = verify(geometry)
    assert {form for form, found in result.mismatches.items() if found is not None} >= refused


def test_forgetting_to_rotate_the_kernel_breaks_seed003s_transpose_statement(monkeypatch):
    monkeypatch.setattr(conv_rules, "rot180_swap", _unrotated)
    example = seed003_example()
    assert example.backward_is_transpose and not example.transpose_is_rotated_convolution


def test_seed003_worked_example():
    example = seed003_example()
    assert example.holds
    w = {(i, j): Symbol(f"w_{{{i}{j}}}") for i in range(1, 4) for j in range(1, 4)}
    # the first two rows of seed 003's 9 x 9 matrix, as printed on its slide (the oracle)
    assert list(example.conv_matrix[0, :]) == [w[2, 2], w[2, 3], 0, w[3, 2], w[3, 3], 0, 0, 0, 0]
    assert list(example.conv_matrix[4, :]) == [w[i, j] for i in range(1, 4) for j in range(1, 4)]
    a, b, d, e = (Symbol(name) for name in "abde")
    assert list(example.weight_matrix[0, :]) == [0, 0, 0, 0, a, b, 0, d, e]


@pytest.mark.parametrize("kwargs, message", [
    ({"stride": 0}, "stride must be an integer >= 1"), ({"padding": -1}, "padding must be an integer >= 0"),
    ({"kernel": 7}, "the kernel does not fit the padded input"), ({"kernel": (2, 7)}, "does not fit"),
    ({"kernel": (2, 0)}, "kernel must be an integer >= 1"), ({"kernel": (1, 2, 3)}, "an integer or a pair"),
    ({"kernel": 2.0}, "an integer or a pair"),
])
def test_geometry_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ConvGeometry(**kwargs)


def test_rectangular_kernel_shapes():
    geometry = ConvGeometry(1, 2, 3, 5, 6, (2, 3), 1, 0, 1)
    assert geometry.weight_shape == (3, 2, 2, 3)
    assert geometry.output_shape == (1, 3, 4, 4)


@pytest.mark.parametrize("geometry", [
    ConvGeometry(1, 2, 2, 3, 3, 2, 1, 1, 1), ConvGeometry(1, 1, 2, 4, 5, 2, 2, 1, 2), ConvGeometry(1, 2, 1, 3, 4, 3, 1, 0, 1),
    ConvGeometry(1, 2, 2, 4, 5, (2, 3), 2, 1, 1), ConvGeometry(1, 1, 2, 5, 4, (3, 1), 1, 1, 2),
], ids=["p1", "s2p1d2", "k3", "k2x3s2p1", "k3x1p1d2"])
def test_seed004_vector_form_and_gradients(geometry):
    # fails if im2col/pad2d are not selections, or seed 004's statements disagree with the derivation
    check = seed004_check(geometry)
    assert check.holds, [name for name, ok in check.checks.items() if not ok]


def test_seed004_fc_special_case_is_the_fc_rule():
    # fails if the conv weight gradient and the rule table's linear.weight disagree
    assert all(fc_special_case().values())


def test_selection_check_rejects_a_non_selection():
    from sympy import Matrix

    from gradproof.symbolic.seeds.conv_vector_form import _is_selection

    assert _is_selection(Matrix([[0, 1], [1, 0]]), one_per_row=True)
    assert not _is_selection(Matrix([[1, 1], [0, 1]]), one_per_row=True)
    assert not _is_selection(Matrix([[2, 0], [0, 1]]), one_per_row=False)


def test_seed004_form_is_per_sample():
    with pytest.raises(ValueError, match="per sample, got batch 2"):
        seed004_check(ConvGeometry(2, 1, 1, 3, 3, 2))


def test_general_size_proofs_hold_for_every_size_and_at_the_rectangular_instances():
    proofs = {proof.subject: proof for proof in conv_general.general_proofs()}
    assert sorted(proofs) == ["bias", "input", "weight"]
    for proof in proofs.values():
        assert proof.normal_forms_agree and proof.holds is True
        assert {g.kernel_hw for g, _ in proof.instances} == {(2, 3), (3, 1)}


def test_general_size_proof_refuses_the_unrotated_kernel(monkeypatch):
    monkeypatch.setattr(conv_general, "reflect", lambda index, size: index)
    proof = conv_general.prove_grad_input()
    assert not proof.normal_forms_agree and proof.holds is False
    geometry, (index, closed, numeric) = proof.refuting_instance
    assert closed != numeric


def test_general_size_proof_refuses_a_wrong_dilation_of_g(monkeypatch):
    monkeypatch.setattr(conv_general, "dilated_position", lambda output, stride: (output - 1) * stride)
    proof = conv_general.prove_grad_input()
    assert not proof.normal_forms_agree and proof.holds is False
