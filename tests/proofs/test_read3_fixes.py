"""The third student read of the four PDFs (/tmp/read3/report.md, items N1-N3 and N5-N7): each fix as it
reaches the reader (the rendered LaTeX or the document model), read from the run's objects, not typed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sympy import Sum, Symbol

from gradproof.proofs import conv_proof, fc_network, kron_proof, network_proof
from gradproof.proofs.document import Derivation, Theorem, number_references, render, theorem_numbers
from gradproof.proofs.fc_display import TITLES
from gradproof.proofs.fc_proof import fc_document
from gradproof.proofs.targets import run_target, target_named
from gradproof.symbolic.engine.identities import RANDOM_INTEGERS
from gradproof.symbolic.seeds import objective
from gradproof.symbolic.seeds.vector_form import JACOBIANS


def _flat(tex: str) -> str:
    return " ".join(tex.split())


@pytest.fixture(scope="module")
def kron_run():
    return run_target(target_named("kron"), numeric=False)


@pytest.fixture(scope="module")
def kron_doc(kron_run):
    return kron_proof.kron_document(kron_run)


@pytest.fixture(scope="module")
def kron_tex(kron_doc):
    return _flat(render(kron_doc))


@pytest.fixture(scope="module")
def fc_doc():
    return fc_document(run_target(target_named("fc"), numeric=False))


@pytest.fixture(scope="module")
def conv_tex():
    return _flat(render(conv_proof.conv_document(run_target(target_named("conv2d"), numeric=False))))


@pytest.fixture(scope="module")
def network_tex():
    return _flat(render(network_proof.network_document(run_target(target_named("network"), numeric=False))))


def _theorem(document, title):
    return next(block for section in document.sections for block in section.blocks
                if isinstance(block, Theorem) and block.title == title)


def _block_tex(tex: str, title: str) -> str:
    """The LaTeX of the numbered block with this title, up to the next block."""
    return re.split(r"\\begin\{(?:theorem|lemma|corollary|definition|example)\}", tex.split(f"[{title}]", 1)[1])[0]


# --- N1: fc.pdf section 7 printed W^m twice -----------------------------------------------------------

def test_layer_name_parenthesises_a_letter_index_too():
    assert fc_network.layer_name("W^{m}") == "W^{(m)}"
    assert fc_network.layer_name("s^{2}") == "s^{(2)}"
    assert fc_network.layer_name("t") == "t"


def test_fc_section_7_shows_the_seed_superscript_and_the_parenthesised_one(fc_doc):
    tex = _flat(render(fc_doc))
    sentence = tex.split("Seed 002 writes the layer as a superscript, ", 1)[1].split(" is not read as a square")[0]
    seed, here = re.findall(r"\$([^$]*)\$", sentence)[:2]
    assert seed == "W^{m}" and here == "W^{(m)}"


# --- N2, N5: kron.pdf section 2 says what was checked, at which sizes, from the evidence -----------------

def test_kron_method_states_the_checked_sizes_from_the_run(kron_run, kron_doc, kron_tex):
    numbers = theorem_numbers(kron_doc)
    method = kron_tex.split("Each identity below is proved", 1)[1].split("refuted by a counterexample", 1)[0]
    assert "up to 4" not in method and "the theorem says where" not in kron_tex
    rows = kron_run.statements.rows
    largest = max(max(r.sizes.values()) for row in rows for r in row.sweep.results)
    assert f"sizes from 1 to {largest}" in method
    # the probabilistic test, named by the number of the block that used it
    random = [row.claim for row in rows if row.sweep.count(RANDOM_INTEGERS)]
    assert random
    for claim in random:
        assert f"Theorem {numbers[kron_proof._block_title(claim)][1]}" in method
    # the inverse at its four (n, m), read from the constant the corollary evaluates at
    pairs = ", ".join(f"({n}, {m})" for n, m in kron_proof.INVERSE_CHECK_SIZES)
    inverse = numbers[kron_proof.INVERSE_TITLE][1]
    assert f"Corollary {inverse} at $(n, m) \\in \\{{{pairs}\\}}$" in method
    # each Jacobian (and the chain-rule corollary) at the sizes its check ran at
    for claim, small, _ in kron_run.statements.evidence["jacobians"]:
        number = numbers[kron_proof.jacobian_title(claim)][1]
        after = method.split(f"Theorem {number}", 1)[1].split(";")[0].split(".")[0]
        for value in small.sizes.values():
            assert f"= {value}$" in after
    chain = numbers[kron_proof.CHAIN_RULE_TITLE][1]
    assert f"and Corollary {chain} at" in method


def test_kron_method_reads_the_jacobian_sizes_it_is_given(kron_run):
    """The sentence follows the evidence: other sizes give other numbers (nothing typed in)."""
    claim, small, _ = kron_run.statements.evidence["jacobians"][0]
    moved = type("Small", (), {"sizes": {role: value + 4 for role, value in small.sizes.items()}})()
    parts = kron_proof.checked_sizes_parts([], [(claim, moved)])
    printed = " ".join(latex_of(part) for part in parts)
    for value in moved.sizes.values():
        assert f"= {value}" in printed


def latex_of(part) -> str:
    if isinstance(part, str):
        return part
    from sympy import latex

    return latex(part.value) if hasattr(part, "value") else str(part)


# --- N3: network Theorem 14's b was the bias and an index -------------------------------------------------

def test_objective_sums_over_w_do_not_use_the_bias_letter(network_tex):
    f, _ = objective.objective("W")
    bound = {variable for s in f.atoms(Sum) for variable in s.variables}
    assert Symbol("b", integer=True) not in bound and all(v.name != "b" for v in bound)
    assert "{W}_{a,b}" not in network_tex and "{W}_{a,c}" in network_tex
    assert r"\delta_{b q}" not in network_tex


# --- N6: conv2d's activation is sigma, phi is seed 004's im2col -------------------------------------------

def test_conv2d_uses_one_phi(conv_tex):
    assert r"\varphi" not in conv_tex
    lemma = _block_tex(conv_tex, "Seed 003: the element-wise case")
    assert r"\sigma\left({x}_{j}\right)" in lemma and r"\sigma'\left({x}_{i}\right)" in lemma
    assert "seed 003 writes it" in lemma and "im2col" in lemma
    assert r"P_{\phi}" in conv_tex  # seed 004's im2col keeps its phi


# --- N7 ------------------------------------------------------------------------------------------------

def test_conv2d_says_what_y_is_before_dl_tr_g_dy(conv_tex):
    section = conv_tex.split("Seed 003 writes the convolution of a 3", 1)[1]
    said = section.index("arranged as a 3 × 3 image")
    assert said < section.index(r"\operatorname{tr}")


def test_conv2d_cites_the_first_line_of_seed_004_display_3(conv_tex, network_tex):
    assert "[seed 004's display (3), first line]" in conv_tex
    assert "[seed 004 (3)]" not in conv_tex
    # seed 004's tag (3) sits on the pooling line of its two-line display, which network.pdf cites as (3)
    seeds = Path("/work/shared/seeds")
    if seeds.exists():
        (tagged,) = [line for path in seeds.glob("004_*.txt") for line in path.read_text().splitlines()
                     if r"\quad (3)" in line]
        assert r"P_{\text{pool}}" in tagged and r"\phi" not in tagged
        assert "seed 004 (3)" in network_tex


def test_conv2d_linear_maps_lemma_has_its_own_letters(conv_tex):
    lemma = _block_tex(conv_tex, conv_proof._LINEAR)
    assert "v = R u + c" in lemma and r"m \times \ell" in lemma
    assert "A u" not in lemma and r"m \times n" not in lemma and "A^{T}" not in lemma


def test_kron_jacobian_statements(kron_doc, kron_tex):
    numbered = render(kron_doc)
    seed004 = _flat(_block_tex(numbered, kron_proof.jacobian_title(JACOBIANS[0])))
    statement = seed004.split(r"\begin{proof}")[0]
    assert r"b \in \mathbb{R}" in statement and "s = W z + b" in statement.replace("{", "").replace("}", "")
    assert "summed loss" not in kron_tex and "averaged loss" not in kron_tex


def test_kron_adjugate_rule_says_the_size_of_x(kron_tex):
    assert r"X \in \mathbb{R}^{k \times k}" in kron_tex


def test_network_example_11_says_different_once(network_tex):
    assert "(they differ)" not in network_tex
    assert "have the same $Z$ but different gradients (5), so no formula in $Z$ alone" in network_tex


def test_fc_bias_derivation_shows_no_sum_of_zeros(fc_doc):
    """The differentiated row of the bias theorem is delta_jp g_ij summed, not (delta_jp + sum_k 0) g_ij; the
    row is the proof object's own (layers/presentations.py drops the sum of zeros before the engine checks it),
    and its source is the passed derivation check."""
    numbered = number_references(fc_doc)
    theorem = _theorem(numbered, TITLES["linear.bias"])
    (derivation,) = [block for block in theorem.proof if isinstance(block, Derivation)]
    differentiated = [row for row in derivation.rows if row[1] == "differentiate the scalar equation"]
    assert len(differentiated) == 1
    rhs, _, source = differentiated[0]
    assert rhs.atoms(Sum) and not any(s.function == 0 or s.function.is_Add for s in rhs.atoms(Sum))
    assert source.passed
    tex = _flat(render(fc_doc))
    assert not re.search(r"\\sum_\{k ?= ?1\}\^\{D_\{\\mathrm\{in\}\}\} 0", tex)
