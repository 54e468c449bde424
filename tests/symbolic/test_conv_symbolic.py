"""Conv2d derived from scalar equations equals the closed forms (the numeric rules on symbols) on
the whole grid of issue 4; wrong closed forms are refused; seed 003's worked example."""

import pytest
from sympy import Symbol

from gradproof.numeric.rules import conv as conv_rules
from gradproof.symbolic.layers.conv import ConvGeometry, deferred, forward_matches_equations, geometry_grid, verify
from gradproof.symbolic.seeds.conv_matrix import seed003_example
from gradproof.symbolic.seeds.conv_vector_form import fc_special_case, seed004_check

GRID = list(geometry_grid())


def test_the_grid_is_the_issues():
    assert len(GRID) == 2 * 2 * 2 * 3 * 2 * 2 * 2


@pytest.mark.parametrize("geometry", GRID, ids=lambda g: f"n{g.batch}c{g.in_channels}o{g.out_channels}k{g.kernel}s{g.stride}p{g.padding}d{g.dilation}")
def test_derivation_equals_closed_forms_and_forward_equals_equations(geometry):
    result = verify(geometry)
    assert result.holds, result.mismatches
    assert forward_matches_equations(geometry)


def _closed_with(grad_input):
    def closed(system):
        g = system.geometry
        return {
            "input": grad_input(system, g),
            "weight": conv_rules.conv2d_grad_weight(deferred(system.grad_output), deferred(system.x), (g.kernel, g.kernel),
                                               g.stride, g.padding, g.dilation),
            "bias": conv_rules.conv2d_grad_bias(deferred(system.grad_output)),
        }
    return closed


def test_forgetting_to_rotate_the_kernel_is_refused():
    def unrotated(system, g):
        flipped_back = system.weight[:, :, ::-1, ::-1]  # the rule rotates it again: net effect, no rotation
        return conv_rules.conv2d_grad_input(deferred(system.grad_output), deferred(flipped_back), g.input_shape,
                                       g.stride, g.padding, g.dilation)
    result = verify(ConvGeometry(1, 1, 1, 4, 4, 2, 1, 0, 1), closed=_closed_with(unrotated))
    assert result.mismatches["input"] is not None and result.mismatches["weight"] is None


def test_ignoring_the_stride_in_the_backward_pass_is_refused():
    def stride_one(system, g):
        return conv_rules.conv2d_grad_input(deferred(system.grad_output), deferred(system.weight), g.input_shape,
                                       1, g.padding, g.dilation)
    result = verify(ConvGeometry(1, 1, 1, 5, 5, 2, 2, 0, 1), closed=_closed_with(stride_one))
    assert result.mismatches["input"] is not None


def test_seed003_worked_example():
    example = seed003_example()
    assert example.holds
    w = {(i, j): Symbol(f"w_{{{i}{j}}}") for i in range(1, 4) for j in range(1, 4)}
    # the first two rows of seed 003's 9 x 9 matrix, as printed on its slide
    assert list(example.conv_matrix[0, :]) == [w[2, 2], w[2, 3], 0, w[3, 2], w[3, 3], 0, 0, 0, 0]
    assert list(example.conv_matrix[4, :]) == [w[i, j] for i in range(1, 4) for j in range(1, 4)]
    a, b, d, e = (Symbol(name) for name in "abde")
    assert list(example.weight_matrix[0, :]) == [0, 0, 0, 0, a, b, 0, d, e]


@pytest.mark.parametrize("kwargs, message", [
    ({"stride": 0}, "stride must be an integer >= 1"), ({"padding": -1}, "padding must be an integer >= 0"),
    ({"kernel": 7}, "the kernel does not fit the padded input"),
])
def test_geometry_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ConvGeometry(**kwargs)


@pytest.mark.parametrize("geometry", [
    ConvGeometry(1, 2, 2, 3, 3, 2, 1, 1, 1), ConvGeometry(1, 1, 2, 4, 5, 2, 2, 1, 2), ConvGeometry(1, 2, 1, 3, 4, 3, 1, 0, 1),
], ids=["p1", "s2p1d2", "k3"])
def test_seed004_vector_form_and_gradients(geometry):
    check = seed004_check(geometry)
    assert check.holds, [name for name, ok in check.checks.items() if not ok]
    assert len(check.checks) == 8


def test_seed004_fc_special_case_is_the_fc_rule():
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


def test_general_size_proofs_with_symbolic_stride_padding_dilation_batch_and_channels():
    from gradproof.symbolic.layers.conv_general import general_proofs

    proofs = {proof.gradient: proof for proof in general_proofs()}
    assert sorted(proofs) == ["bias", "input", "weight"]
    assert all(proof.holds for proof in proofs.values())


@pytest.mark.parametrize("mistake", ["none", "kernel not rotated", "channels not swapped", "padding ignored"])
def test_general_size_proof_refuses_a_wrong_transposed_convolution(mistake):
    from sympy import Sum, Symbol, expand

    from gradproof.symbolic.engine.indexed import normal_form
    from gradproof.symbolic.layers import conv_general as cg

    n0, c0, h0, w0 = (Symbol(name, integer=True) for name in ("n_0", "c_0", "h_0", "w_0"))
    ranges = {n0: (1, cg.N), c0: (1, cg.C), h0: (1, cg.H), w0: (1, cg.W)}
    pad = 0 if mistake == "padding ignored" else cg.PAD
    reach = cg.DIL * (cg.K - 1) + 1 - pad

    def read(index, kernel):
        return index + (kernel - 1) * cg.DIL - reach

    p_r, q_r = cg.p, cg.q  # the closed form's own (reflected-to-be) kernel indices
    kernel = {
        "kernel not rotated": cg.w[cg.o, c0, p_r, q_r],
        "channels not swapped": cg.w[c0, cg.o, cg.K + 1 - p_r, cg.K + 1 - q_r],
    }.get(mistake, cg.w[cg.o, c0, cg.K + 1 - p_r, cg.K + 1 - q_r])
    claim = Sum(cg.g_extended[n0, cg.o, read(h0, p_r), read(w0, q_r)] * kernel, (q_r, 1, cg.K), (p_r, 1, cg.K), (cg.o, 1, cg.O))
    reflected = Sum(claim.function.xreplace({p_r: cg.K + 1 - p_r, q_r: cg.K + 1 - q_r}), *claim.limits)
    derived = cg._derived_normal_form(cg.x[n0, c0, h0, w0], ranges)
    equal = expand(derived - normal_form(reflected, ranges)) == 0
    assert equal == (mistake == "none")
