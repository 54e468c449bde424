"""conv2d.pdf follow-ups from an independent student read (issue 14), each a check that can fail:

* seed 003's section keeps the seed's names (M the kernel vector, Q) and never uses g for the gradient
  or M for the 9 x 9 input Jacobian;
* seed 003's weight update M_new = M_old - mu (dL/dM)^T: its transpose is the numerator layout, and the
  library's SGD step is M_old - mu Q^T dL/dy, exactly; a planted wrong step is refused and unsourced;
* seed 003's element-wise rule dL/dx_i = phi'(x_i) dL/dy_i holds for an abstract phi at a symbolic size,
  and wrong rules are refused;
* the grid's count is computed from its geometries and adds up (square kernels at every combination,
  rectangular kernels at one batch/channel setting);
* the PDF has no overfull box.
"""

import pytest
from sympy import Derivative, IndexedBase, Symbol

from gradproof.numeric.rules import objective as objective_rules
from gradproof.proofs import conv_proof
from gradproof.proofs.compile import compile_pdf, overfull_boxes
from gradproof.proofs.document import (
    Document,
    Section,
    Text,
    Theorem,
    formulas_without_source,
    number_references,
    ref,
    render,
    theorem_numbers,
)
from gradproof.proofs.targets import run_target, target_named
from gradproof.symbolic.layers import conv
from gradproof.symbolic.seeds import conv_matrix


@pytest.fixture(scope="module")
def document():
    return conv_proof.conv_document(run_target(target_named("conv2d"), numeric=False))


@pytest.fixture(scope="module")
def example():
    return conv_matrix.seed003_example()


def _seed003(document):
    return next(section for section in document.sections if section.title.startswith("Seed 003"))


def test_seed003_names_do_not_collide_with_the_seed(document):
    tex = render(Document("t", (_seed003(document),)))
    assert r"\frac{\partial L}{\partial x} &= A^{T} \frac{\partial L}{\partial y}" in tex
    assert r"\frac{\partial L}{\partial M}$ = $Q^{T} \frac{\partial L}{\partial y}" in tex
    assert "M^{T}" not in tex and "g^{T}" not in tex and "Q^{T} g" not in tex
    assert "without a name is called" in tex  # the sentence mapping the seed's names to the document's


def test_seed003_update_checks_hold(example):
    checks = conv_matrix.update_checks(example)
    assert len(checks) == 3 and all(checks.values()), checks


def test_a_wrong_sgd_step_is_refused_and_its_formula_unsourced(example, monkeypatch):
    monkeypatch.setattr(objective_rules, "sgd_update", lambda parameter, gradient, lr: parameter + lr * gradient)
    checks = conv_matrix.update_checks(example)
    assert not checks["the SGD step is M - mu Q^T dL/dy"]
    assert checks["the seed's row gradient, transposed, is Q^T dL/dy"]
    theorem = conv_proof._update_theorem(example, *(conv_proof.MatrixSymbol(n, 9, r) for n, r in
                                                      (("M", 1), ("Q", 9), ("y", 1))))
    missing = formulas_without_source(Document("t", (Section("s", (theorem,)),)))
    assert any(r"M^{\mathrm{new}}" in text for _, text in missing)


def test_elementwise_rule_holds_for_an_abstract_phi():
    rule = conv_matrix.elementwise_rule()
    assert rule.holds
    assert rule.size.is_Symbol  # a symbolic size m, not a concrete one
    tex = render(Document("t", (Section("s", (conv_proof._elementwise_lemma(),)),)))
    assert r"\sigma'\left({x}_{i}\right)" in tex and "Function" not in tex and "phi_prime" not in tex


@pytest.mark.parametrize("wrong", ["phi instead of phi'", "phi' at y", "index j left free", "doubled"])
def test_elementwise_rule_refuses_wrong_rules(wrong):
    x, y = IndexedBase("x"), IndexedBase("y")
    i, j, loss = Symbol("i", integer=True), Symbol("j", integer=True), Symbol("L")
    closed = {
        "phi instead of phi'": conv_matrix.phi(x[i]) * Derivative(loss, y[i]),
        "phi' at y": conv_matrix.phi_prime(y[i]) * Derivative(loss, y[i]),
        "index j left free": conv_matrix.phi_prime(x[j]) * Derivative(loss, y[i]),
        "doubled": 2 * conv_matrix.phi_prime(x[i]) * Derivative(loss, y[i]),
    }[wrong]
    assert not conv_matrix.elementwise_rule(closed).holds


def _words(parts) -> str:
    return "".join(part if isinstance(part, str) else conv_proof.latex(part.value) for part in parts)


def test_the_grid_count_is_computed_and_adds_up():
    grid = list(conv.geometry_grid())
    text = _words(conv_proof.grid_description(grid))
    square = sum(1 for g in grid if g.kernel_hw[0] == g.kernel_hw[1])
    assert f"= {square} configurations" in text and f"= {len(grid) - square})" in text
    assert f"; {len(grid)} configurations in all" in text and "every combination" in text
    # a grid with one square configuration missing says so instead of claiming every combination
    fewer = [g for g in grid if g != grid[0]]
    text = _words(conv_proof.grid_description(fewer))
    assert f"{square - 1} of the combinations" in text and f"; {len(grid) - 1} configurations in all" in text


def test_the_grid_section_states_the_run_count(document):
    grid = next(section for section in document.sections if section.title.startswith("Concrete sizes"))
    block = grid.blocks[0]
    assert isinstance(block, Text)
    assert f"All {len(list(conv.geometry_grid()))} configurations hold" in _words(block.parts)


def test_conv2d_pdf_has_no_overfull_box(require_tex, tmp_path, document):
    path = tmp_path / "conv2d.tex"
    path.write_text(render(document))
    compile_pdf(path)
    assert overfull_boxes(path) == []


def test_second_read_wording_fixes(document):
    """Second student read: the element-wise lemma (Kronecker delta, new x and y) is outside seed 003's
    3 x 3 section, which promises its delta is an entry; ReLU is an instance only away from 0; the
    Kronecker transpose rule names the Kronecker product; the bias gradient is O x 1; seed 004 defines G."""
    seed003 = _seed003(document)
    lemma_titles = [getattr(block, "title", "") for block in seed003.blocks]
    assert "Seed 003: the element-wise case" not in lemma_titles
    elementwise = next(s for s in document.sections if s.title == "Seed 003: the element-wise case")
    assert "Kronecker delta" in render(Document("t", (elementwise,)))
    tex = render(document)
    assert "ReLU, tanh and the sigmoid are instances" not in tex
    assert r"\operatorname{relu}'(0) = 0" in tex
    assert "is the product of the transposes" not in tex
    assert "Kronecker product of the transposes" in tex
    assert r"is $O \times 1$" in tex
    seed004 = next(s for s in document.sections if s.title.startswith("Seed 004"))
    assert "of one sample, entry" in render(Document("t", (seed004,)))


def test_references_are_numbered_from_the_block_order(document):
    """Every reference names a numbered block of its kind, counted as amsthm numbers them (one shared
    counter); no unnumbered "(Lemma)", "the Lemma", "the Definition" or "Theorem (input gradient)" is left."""
    numbers = theorem_numbers(document)
    tex = render(document)
    assert "\x00" not in tex
    for phrase in ("(Lemma)", "the Lemma", "the Definition", "Theorem (input gradient)", "the weight gradient theorem"):
        assert phrase not in tex, phrase
    expected = {conv_proof._TITLES[k]: "theorem" for k in ("input", "weight", "bias")}
    expected.update({conv_proof._WEIGHT003: "theorem", conv_proof._LINEAR: "lemma",
                     conv_proof._PATCHES: "definition", "Seed 003: the convolution is a matrix product": "lemma"})
    for title, kind in expected.items():
        assert numbers[title][0] == kind
        assert f"{kind.capitalize()} {numbers[title][1]}" in tex, title
    planted = Document("t", (Section("s", (Theorem("lemma", conv_proof._LINEAR, ()),
                                           Text.of(ref("theorem", conv_proof._LINEAR)))),))
    with pytest.raises(ValueError, match="expected a theorem"):
        number_references(planted)
    with pytest.raises(ValueError, match="expected the title"):
        number_references(Document("t", (Section("s", (Text.of(ref("lemma", "no such")),)),)))
