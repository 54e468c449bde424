"""General-size proofs of network.pdf (issue 14 item 5): the linear-map lemma, max and average pooling's
backward, seed 002's theorem under its conditions, softmax cross-entropy and seed 004's objective. Each
holds, and each refuses a planted wrong step or closed form (otherwise "holds" would say nothing)."""

import pytest
from sympy import Derivative, KroneckerDelta, Sum

from gradproof.symbolic.seeds import objective as ob
from gradproof.symbolic.seeds import pooling_general as pg
from gradproof.symbolic.seeds import selection as sel


def test_linear_map_lemma_holds_and_refuses_a_transposed_matrix():
    assert pg.linear_map_lemma().holds
    planted = pg.linear_map_lemma(entry=lambda row, col: pg.A_BASE[col, row])  # v = A^T u, displayed as A u
    assert not planted.symbolic_holds


@pytest.fixture(scope="module")
def max_proof():
    return pg.max_pooling_proof()


@pytest.fixture(scope="module")
def avg_proof():
    return pg.avg_pooling_proof()


def test_pooling_proofs_hold_at_symbolic_sizes_and_at_overlapping_geometries(max_proof, avg_proof):
    for proof in (max_proof, avg_proof):
        assert proof.symbolic_holds and proof.holds
        assert any("(overlapping)" in where for where, _ in proof.instances)
        assert any("P = 1" in where for where, _ in proof.instances)
    assert pg.STRIDE in max_proof.closed.free_symbols | max_proof.rows[-2][0].free_symbols


def test_a_max_closed_form_with_a_shifted_selection_is_refused():
    def shifted(i_, j_):  # the selection one row lower: wrong wherever a window selects
        return Sum(pg.GRAD[pg.u, pg.v] * KroneckerDelta(i_, pg.max_selected_row(pg.u, pg.v) + 1)
                   * KroneckerDelta(j_, pg.max_selected_col(pg.u, pg.v)), (pg.u, 1, pg.H_OUT), (pg.v, 1, pg.W_OUT))

    proof = pg.max_pooling_proof(closed_form=shifted)
    assert not proof.symbolic_holds
    assert not any(equal for _, equal in proof.instances)


def test_an_average_closed_form_without_the_window_size_is_refused():
    def undivided(i_, j_):
        return pg.avg_closed_form(i_, j_) * pg.K_H * pg.K_W

    proof = pg.avg_pooling_proof(closed_form=undivided)
    assert not proof.symbolic_holds
    assert not any(equal for _, equal in proof.instances)


def test_selection_theorem_holds_for_every_size():
    assert sel.selection_theorem().holds


def test_selection_theorem_refuses_a_pooling_that_does_not_select():
    averaging = sel.selection_theorem(pool_entry=lambda o_, j_: pg.A_BASE[o_, j_])  # any matrix, e.g. averaging
    assert not averaging.holds


def test_selection_theorem_refuses_an_activation_without_condition_ii():
    # sigma' not a function of sigma's output: h(sigma(t)) stays h(sigma(t)) and never becomes sigma'(t)
    assert not sel.selection_theorem(derivative_from_output=lambda t: sel.H_FN(sel.SIGMA(t))).holds


def test_condition_ii_holds_for_relu_tanh_sigmoid_and_a_wrong_h_is_refused():
    assert sel.hypotheses_hold() == {"ReLU": True, "tanh": True, "sigmoid": True}
    from sympy import diff, tanh

    assert not sel.derivative_is_function_of_output(tanh, lambda t: diff(tanh(t), t), lambda z: 1 - z)


def test_average_counterexample_same_z_different_gradient():
    cases = sel.average_counterexample()
    assert cases["S"]["Z"] == cases["S'"]["Z"]
    assert cases["S"]["(5)"] != cases["S'"]["(5)"]
    assert cases["S"]["(6)"] == cases["S'"]["(6)"] == cases["S'"]["(5)"]  # (6) right for S' only


def test_silu_counterexample_same_z_opposite_slopes():
    found = sel.silu_counterexample()
    assert found["same_Z"] and found["first_selected"] and found["differ"]
    assert abs(float(found["root"]) + 0.736188) < 1e-6
    assert float(found["slope"]) < 0 < float(found["slope'"])


def test_cross_entropy_holds_for_symbolic_n_and_k():
    proof = ob.cross_entropy_proof()
    assert proof.symbolic_holds and proof.holds and len(proof.instances) == 3


def test_a_cross_entropy_gradient_without_the_batch_mean_is_refused():
    proof = ob.cross_entropy_proof(closed_form=lambda r, c: ob.softmax(r, c) - ob.Y[r, c])
    assert proof.row_checks[-1] is False
    instances = dict(proof.instances)
    assert instances["N = 1, K = 4"] and not instances["N = 2, K = 3"] and not instances["N = 3, K = 2"]


def test_a_planted_wrong_softmax_gradient_is_refused():
    proof = ob.cross_entropy_proof(closed_form=lambda r, c: (ob.softmax(r, c) + ob.Y[r, c]) / ob.N)
    assert not proof.symbolic_holds and not any(equal for _, equal in proof.instances)


def test_the_label_hypothesis_is_needed_for_the_last_step():
    assert ob.cross_entropy_proof(hypothesis=False).row_checks == (True, True, True, False)


@pytest.mark.parametrize("parameter", ["W", "b"])
def test_objective_holds_for_symbolic_l(parameter):
    proof = ob.objective_proof(parameter)
    assert proof.symbolic_holds and proof.holds


def test_an_objective_gradient_missing_one_over_l_is_refused():
    def missing(entry):
        return entry / ob.C + Sum(Derivative(ob.XI(ob.i, entry), entry), (ob.i, 1, ob.SAMPLES))

    proof = ob.objective_proof("W", closed_form=missing)
    assert proof.row_checks == (True, False)
    assert not any(equal for _, equal in proof.instances)


def test_an_objective_gradient_missing_the_regularization_is_refused():
    proof = ob.objective_proof("W", closed_form=lambda entry: Sum(Derivative(ob.XI(ob.i, entry), entry),
                                                                   (ob.i, 1, ob.SAMPLES)) / ob.SAMPLES)
    assert not proof.symbolic_holds

