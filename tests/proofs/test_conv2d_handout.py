"""conv2d.pdf as a lecturer's handout (issue 14 items 3, 4, 6): each new claim of the document is a
check that can fail.

* the worked example's closed-form numbers equal the numeric rules, and a planted wrong rule is refused
  (and its formulas lose their source);
* the readable renaming of summation indices is a pure renaming (same normal form);
* the theorems for dX, dW, db are each proved by ONE derivation, with a shape check that holds, and the
  printed document uses the notation sheet's sizes (n_H, n'_H), never H_out or the normal form's k_0;
* seed 003's route and seed 004's derivation steps are each checked, and a planted wrong step is refused.
"""

import dataclasses

import numpy as np
import pytest
from sympy import Matrix, Sum, Symbol

from gradproof.numeric.rules import conv as conv_rules
from gradproof.proofs import conv_proof
from gradproof.proofs.document import Derivation, Theorem, formulas_without_source, render
from gradproof.proofs.targets import run_target, target_named
from gradproof.symbolic.engine.indexed import normal_form
from gradproof.symbolic.layers import conv_general as cg
from gradproof.symbolic.seeds import conv_matrix, conv_vector_form

PROOFS = {proof.subject: proof for proof in cg.general_proofs()}


@pytest.fixture(scope="module")
def document():
    return conv_proof.conv_document(run_target(target_named("conv2d"), numeric=False))


def test_worked_example_closed_forms_equal_the_numeric_rules():
    example = conv_proof.worked_example(PROOFS)
    assert example.holds, example.agrees
    # an independent spot value: dW[1, 1] = sum_{u,v} x[u, v] g[u, v] at s = 1, P = 0 (no rule involved)
    x, g = np.array(conv_proof.WORKED_X), np.array(conv_proof.WORKED_G)
    assert example.gradients["weight"][0, 0, 0, 0] == int((x[:2, :2] * g).sum())
    assert example.gradients["bias"][0] == int(g.sum())


def test_worked_example_refuses_a_wrong_closed_form():
    wrong = dict(PROOFS)
    weight = PROOFS["weight"]
    wrong["weight"] = dataclasses.replace(weight, right=weight.closed_form.xreplace({cg.PAD: cg.PAD + 1}))
    example = conv_proof.worked_example(wrong)
    assert not example.agrees["weight"] and example.agrees["input"]


def test_worked_example_refuses_bad_input():
    with pytest.raises(ValueError, match="grad_output must have the output's shape"):
        cg.worked_example(PROOFS, np.ones((1, 1, 3, 3), int), np.ones((1, 1, 2, 2), int), np.ones(1, int),
                          np.ones((1, 1, 3, 3), int))
    with pytest.raises(ValueError, match="x must be an integer array, got dtype float64"):
        cg.worked_example(PROOFS, np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2), int), np.ones(1, int),
                          np.ones((1, 1, 2, 2), int))


def test_a_wrong_numeric_rule_leaves_the_worked_example_unsourced(monkeypatch):
    right = conv_rules.conv2d_grad_weight
    monkeypatch.setattr(conv_rules, "conv2d_grad_weight", lambda *args, **kw: 2 * right(*args, **kw))
    example = conv_proof.worked_example(PROOFS)
    assert not example.agrees["weight"]
    section = conv_proof._worked_section(example)
    missing = formulas_without_source(conv_proof.Document("t", (section,)))
    # the dW grid and the dW(1, 1) sum written out in the prose: both restate the refused weight gradient
    assert len(missing) == 2 and r"\partial W" in missing[0][1] and r"\cdot" in missing[1][1]


@pytest.mark.parametrize("subject", ["input", "weight", "bias"])
def test_readable_names_are_a_renaming_of_bound_indices(subject):
    proof = PROOFS[subject]
    rename = cg.free_renaming(proof)
    back = {new: old for old, new in rename.items()}
    for expr in (proof.closed_form, proof.left_normal):
        shown = cg.readable(expr, rename)
        assert not {s.name for s in shown.free_symbols} & {"k_{0}", "k_{1}", "k_{2}"}
        assert normal_form(shown.xreplace(back), proof.ranges) == normal_form(expr, proof.ranges)


def _bound(expr):
    """The names of every summation index in ``expr``."""
    return {limit[0].name for total in expr.atoms(Sum) for limit in total.limits}


def test_readable_bars_an_index_that_would_be_captured():
    """A bar, not a prime (issue 14: n' beside the size n'_H read as three uses of the prime)."""
    chain = cg.readable(PROOFS["weight"].chain, cg.free_renaming(PROOFS["weight"]))
    assert {r"\bar{o}", r"\bar{c}", r"\bar{p}", r"\bar{q}"} <= _bound(chain)  # (o, c, p, q) is dW's free entry


def test_no_displayed_index_is_primed_and_the_reflection_is_a_tilde(document):
    """Primes belong to the output sizes n'_H, n'_W only: no summation index or reflected kernel index has one."""
    for subject, proof in PROOFS.items():
        rename = cg.free_renaming(proof)
        for expr in (proof.chain, proof.left_normal, proof.closed_form):
            assert not [name for name in _bound(cg.readable(expr, rename)) if "'" in name], subject
    assert {r"\tilde{p}", r"\tilde{q}"} <= _bound(cg.readable(PROOFS["input"].closed_form,
                                                                  cg.free_renaming(PROOFS["input"])))
    text = render(document)
    assert "p'" not in text and "n'_{H}" in text


def _theorems(document):
    return [block for section in document.sections for block in section.blocks if isinstance(block, Theorem)]


def test_each_gradient_theorem_is_one_derivation_with_a_shape_check_that_holds(document):
    titles = {"Input gradient at every size", "Weight gradient at every size", "Bias gradient at every size"}
    found = {t.title: t for t in _theorems(document) if t.title in titles}
    assert set(found) == titles
    for theorem in found.values():
        assert theorem.kind == "theorem"
        # ONE derivation (its justifications render as tags: portrait pages)
        derivations = [block for block in theorem.proof if isinstance(block, Derivation)]
        assert len(derivations) == 1 and isinstance(derivations[0], Derivation)
        shapes = [block for block in theorem.proof if isinstance(block, conv_proof.TensorShapeCheck)]
        assert len(shapes) == 1 and shapes[0].holds
        assert any("Scope:" in "".join(map(str, getattr(b, "parts", ()))) for b in theorem.proof)


def test_a_wrong_shape_is_reported():
    check = conv_proof.TensorShapeCheck(Symbol("D"), "X", (Symbol("n"),), (cg.N,), (cg.C,))
    assert not check.holds and "FAILS" in check.to_latex()


def test_the_document_uses_the_notation_sheet_sizes(document):
    text = render(document)
    assert "n_{H}" in text and "n'_{H}" in text
    for leaked in ("H_{out}", "W_{out}", "k_{0}", "k_{1}", "h_{0}", "o_{0}", "N × C × H × W"):
        assert leaked not in text, leaked


def test_seed003_route_each_step_holds_and_a_wrong_q_is_refused():
    """Q read with the kernel in column-major order (a plausible slip; Q itself is symmetric here, so a
    transposed Q would pass) breaks y = Q m and Q^T g = the correlation."""
    example = conv_matrix.seed003_example()
    column_major = example.weight_matrix[:, [3 * (k % 3) + k // 3 for k in range(9)]]
    assert example.route and all(example.route.values())
    system = conv_matrix.scalar_equations(conv_matrix.ConvGeometry(1, 1, 1, 3, 3, 3, 1, 1, 1))
    rename = conv_matrix._renaming(system)
    route, _, _ = conv_matrix._route(system, rename, example.outputs, example.x, example.weight, example.grad_output,
                                     example.conv_matrix, column_major, example.grad_input,
                                     example.grad_weight)
    assert not route["y = Q m"] and not route["Q^T g = the correlation of the padded input with G"]


def test_seed004_steps_hold_and_a_planted_wrong_step_is_refused():
    check = conv_vector_form.seed004_check(conv_vector_form.ConvGeometry(1, 2, 2, 3, 3, 2, 1, 1, 1))
    assert check.steps and all(check.steps.values())
    weight = check.weight
    vec_z = Matrix([Symbol(f"z{k}") for k in range(check.p_pad.cols)])
    phi = (check.p_phi * check.p_pad * vec_z).reshape(check.phi.cols, check.phi.rows).T  # mat(P_phi P_pad vec(Z))
    grad = Matrix(weight.rows, phi.cols, lambda o, k: Symbol(f"G{o}{k}"))
    derived = {"weight": conv_vector_form._vec(grad * phi.T), "bias": grad * Matrix.ones(phi.cols, 1),
               "input": (conv_vector_form._vec(weight.T * grad).T * check.p_phi * check.p_pad).T}
    good = conv_vector_form.derivation_steps(check.p_pad, check.p_phi, phi, weight, grad, vec_z, derived, phi)
    assert all(good.values()), [k for k, v in good.items() if not v]
    planted = dict(derived, weight=conv_vector_form._vec(grad * phi.T * 2))  # a doubled weight gradient
    bad = conv_vector_form.derivation_steps(check.p_pad, check.p_phi, phi, weight, grad, vec_z, planted, phi)
    assert [k for k, v in bad.items() if not v] == ["weight: the Lemma on (5)"]
