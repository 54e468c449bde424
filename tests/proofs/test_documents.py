"""Proof documents: every formula comes from a SymPy object, steps name their rules, the PDF compiles."""


import pytest

from gradproof.proofs.compile import compile_pdf
from gradproof.proofs.document import Document, Equation, Math, Section, Text, latex, render
from gradproof.proofs.fc_proof import fc_document
from gradproof.proofs.targets import run_target, target_named
from gradproof.symbolic.engine.derive import closed_form_in
from gradproof.symbolic.engine.indexed import SIFTING
from gradproof.symbolic.layers.table import rules_for

FAILURE_MARKERS = ("FAILS", "DIFFER", "NOT equal")  # "DIFFER" also matches "DIFFERS"
# One verdict sentence per theorem (each rule in the numeric layer's layout) and per corollary (each other layout
# of the Linear layer, its three rules in one sentence when all pass).
VERDICTS = len(rules_for("fc")) + len({eqs.name for rule in rules_for("fc") for eqs in rule.presentations[1:]})


@pytest.fixture(scope="module")
def fc_tex():
    return render(fc_document(run_target(target_named("fc"), numeric=False)))


def _failures_reported(tex):
    """What a correct fc proof must not contain, and the verdicts it must contain once per presentation."""
    problems = [marker for marker in FAILURE_MARKERS if marker in tex]
    for verdict in ("rule holds for every size", "equal entry by entry."):
        if tex.count(verdict) != VERDICTS:
            problems.append(f"{verdict!r} {tex.count(verdict)} times, expected {VERDICTS}")
    return problems


def test_fc_proof_contains_each_rule_closed_form_in_every_layout(fc_tex):
    # as displayed: in the notation sheet's symbols (seed 000's delta y is g, the sizes N, D_in, D_out)
    from gradproof.proofs.fc_display import shown

    for rule in rules_for("fc"):
        for equations in rule.presentations:
            closed = closed_form_in(rule, equations, equations.matrix_symbols())
            assert latex(shown(equations, closed)) in fc_tex, (rule.name, equations.name)


def test_fc_proof_names_its_rules_and_reports_no_failure(fc_tex):
    for step in ("chain rule", "upstream gradient", "differentiate the scalar equation", SIFTING,
                 "entry $(p, q)$ of the matrix product", "entry $p$ of the matrix-vector product"):
        assert step in fc_tex
    assert _failures_reported(fc_tex) == []


def test_a_refuted_rule_shows_in_the_fc_proof(doubled_weight_rule):
    # The planted fault of the fixture: the document must say so, or the absence of failure words proves nothing.
    tex = render(fc_document(run_target(target_named("fc"), numeric=False)))
    problems = _failures_reported(tex)
    assert "DIFFER" in problems and "NOT equal" in problems, problems


def test_prose_is_escaped_so_it_cannot_carry_a_hand_typed_formula():
    tex = render(Document("t", (Section("s", (Text.of("cost $5 & 10% of x_1"),)),)))
    assert r"cost \$5 \& 10\% of x\_1" in tex


def test_formulas_come_from_sympy_objects():
    from sympy import Symbol

    block = Text.of("value ", Math(Symbol("alpha") ** 2))
    tex = render(Document("t", (Section("s", (block, Equation(Symbol("y"), Symbol("x") + 1, "r"))),)))
    assert r"$\alpha^{2}$" in tex and r"y &= x + 1" in tex and r"\text{[r]}" in tex


def test_fc_proof_compiles_to_pdf(tmp_path, fc_tex, require_tex):
    tex_path = tmp_path / "fc.tex"
    tex_path.write_text(fc_tex)
    pdf = compile_pdf(tex_path)
    assert pdf.stat().st_size > 10_000
    assert pdf.read_bytes().startswith(b"%PDF")


def test_network_proof_states_property_one_non_vacuously(require_tex, tmp_path):
    from gradproof.proofs.network_proof import network_document

    tex = render(network_document(run_target(target_named("network"), numeric=False)))
    assert r"\mathbb{I}\left[\operatorname{relu}\left(t\right)\right] &= \mathbb{I}\left[t\right]" in tex
    assert "for every one" in tex and "FAILS" not in tex
    assert "have the same $Z$ but different gradients (5), so" in tex and "did NOT find" not in tex
    path = tmp_path / "network.tex"
    path.write_text(tex)
    assert compile_pdf(path).read_bytes().startswith(b"%PDF")


def test_the_figures_are_placed_in_the_conv2d_and_network_documents():
    from gradproof.proofs.conv_proof import conv_document
    from gradproof.proofs.figures import BandFigure, KernelFlipFigure, PooledImageFigure
    from gradproof.proofs.network_proof import network_document

    def figures(document):
        return {type(block) for section in document.sections for block in section.blocks if hasattr(block, "to_latex")}

    assert {BandFigure, KernelFlipFigure} <= figures(conv_document(run_target(target_named("conv2d"), numeric=False)))
    network = network_document(run_target(target_named("network"), numeric=False))
    assert PooledImageFigure in figures(network) and r"\boxed{5}" in render(network)
