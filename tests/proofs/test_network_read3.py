"""network.pdf after the second student read (/tmp/read2/report.md items 11, 12, 14-17): portrait pages, letters
with one meaning, single letters and theta as formulas, the bias rule (2) displayed from its own checked
derivation, xi_i as a function of one number, and the flatten shapes read from the run's verdict."""

import re

import pytest
from sympy import Derivative, Sum

from gradproof.proofs import network_display, network_proof, network_seed002
from gradproof.proofs.document import Derivation, Text, Theorem, formulas_without_source, render
from gradproof.proofs.targets import run_target, target_named
from gradproof.symbolic.engine.rule import Verdict
from gradproof.symbolic.seeds import objective as ob


@pytest.fixture(scope="module")
def run():
    return run_target(target_named("network"), numeric=False)


@pytest.fixture(scope="module")
def document(run):
    return network_proof.network_document(run)


@pytest.fixture(scope="module")
def tex(document):
    return " ".join(render(document).split())


def _blocks(blocks):
    for block in blocks:
        yield block
        if isinstance(block, Theorem):
            yield from _blocks(block.statement + block.proof)
        elif hasattr(block, "blocks"):
            yield from _blocks(block.blocks)


def _prose(document) -> list[str]:
    """Every string of prose and of a justification (formulas left out)."""
    texts = []
    for block in _blocks(document.sections[1:]):  # the shared notation sheet is not network.pdf's own
        if isinstance(block, Text):
            texts.append("".join(part for part in block.parts if isinstance(part, str)))
        elif isinstance(block, Derivation):
            for _, why, _ in block.rows:
                parts = why.parts if isinstance(why, Text) else (why,)
                texts.append("".join(part for part in parts if isinstance(part, str)))
    return texts


def test_the_document_is_portrait(document, tex):
    assert document.landscape is False
    assert "landscape" not in tex


def test_no_single_letter_is_left_as_plain_prose(document):
    """Item 14: "entry (i, j)", "S's", "l be the number of samples", "W holds" set as formulas: no letter stands
    alone in the prose but the articles a, A, the pronoun I and the condition labels (i), (ii)."""
    lone = re.compile(r"(?<![\w\\'])[B-HJ-Zb-z](?![\w])")
    found = [(text, lone.findall(re.sub("\x00[^\x00]*\x00", "", text).replace("(i)", ""))) for text in _prose(document)]
    assert [item for item in found if item[1]] == []


def test_prose_splitter_sets_letters_pairs_and_primes_as_formulas():
    pieces = network_display.prose("entry (i, j) of S's window, right for S' (s less than), (i) holds, a A")
    math = [piece.value.name for piece in pieces if not isinstance(piece, str)]
    assert math == ["(i, j)", "S", "S'", "s"]
    assert "(i) holds, a A" in "".join(piece for piece in pieces if isinstance(piece, str))


def test_theta_is_a_formula_and_sympy_is_not_in_the_update_sentence(tex):
    """Item 14: "equal to theta minus the learning rate times SymPy's derivative of f"."""
    update = tex.split(r"\theta_{\mathrm{new}}")[1]
    assert "theta" not in update.replace(r"\theta", "") and "SymPy" not in update
    assert r"\theta - \mu" in update


def test_sigma_is_only_the_generic_activation(tex):
    """Item 16: SiLU and tanh have their own names; sigma is the activation of seed 002's theorem."""
    silu = tex.split(r"\begin{example}[{SiLU")[1].split(r"\section")[0]  # a heading with $S$ is braced
    assert r"\operatorname{silu}" in silu and r"\tanh'" in silu
    assert r"\sigma'" not in silu and silu.count(r"\sigma") == 1  # "Let the activation sigma be SiLU"


def test_lemma_matrix_is_not_seed003s_q_and_the_letters_are_said(tex):
    """Item 16: Q is seed 003's kernel Jacobian (conv2d.pdf); the lemma's own matrix is R, and one sentence
    says which letters mean what."""
    assert "R^{T}" in tex and "Q^{T}" not in tex
    assert "in conv2d.pdf $A$ is its $9 \\times 9$ convolution matrix, and $Q$ is seed 003's kernel Jacobian" in tex


def test_xi_is_a_function_of_one_number(tex):
    """Item 17: xi(i, W_{p,q}) read as a function of a matrix entry and an index; it is xi_i(W_{p,q})."""
    assert r"\xi_{i}\left({W}_{p,q}\right)" in tex and r"\xi{\left(i," not in tex


def test_the_bias_rule_is_displayed_from_its_checked_derivation(document):
    """Item 17: "(2) is the same with b for W, checked too" was not displayed: its theorem shows proof_b's rows."""
    bias = next(b for b in _blocks(document.sections) if isinstance(b, Theorem) and b.title == network_proof.OBJECTIVE_B)
    derivation = next(b for b in bias.proof if isinstance(b, Derivation))
    proof_b = ob.objective_proof("b")
    assert derivation.lhs == proof_b.lhs and [rhs for rhs, _, _ in derivation.rows] == [r for r, _ in proof_b.rows]
    assert all(source.valid for _, _, source in derivation.rows)


def test_a_wrong_bias_rule_unsources_the_bias_theorem():
    def missing_mean(entry):  # the data term without 1/l
        return entry / ob.C + Sum(Derivative(ob.XI(ob.i, entry), entry), (ob.i, 1, ob.SAMPLES))

    wrong = ob.objective_proof("b", closed_form=missing_mean)
    assert not wrong.holds
    _, bias = network_proof._objective_theorems(ob.objective_proof("W"), wrong)
    derivation = next(b for b in bias.proof if isinstance(b, Derivation))
    assert not all(source.valid for _, _, source in derivation.rows)


def test_flatten_shapes_are_the_runs(run, tex):
    """The flatten sentence prints the shapes of this run's verdict, not a constant of another module."""
    verdict = run.rule("flatten.input").verdicts.concrete
    shapes = network_proof.flatten_shapes(verdict)
    assert shapes and all(len(shape) == 4 for shape in shapes)
    for shape in shapes:
        assert r" \times ".join(map(str, shape)) in tex


def test_flatten_text_follows_the_verdict_it_is_given():
    planted = Verdict(True, "exact for shapes ((5, 1, 2, 7),)")
    text = "".join(part if isinstance(part, str) else part.value.name for part in network_proof._flatten_text(planted))
    assert r"5 \times 1 \times 2 \times 7" in text and "shape " in text
    carried = Verdict(True, "exact", {"shapes": [(2, 2, 2, 2), (1, 1, 3, 3)]})
    assert network_proof.flatten_shapes(carried) == ((2, 2, 2, 2), (1, 1, 3, 3))
    silent = Verdict(False, "differs for shape (1, 2, 3, 2)")
    text = "".join(part for part in network_proof._flatten_text(silent) if isinstance(part, str))
    assert "FAILS" in text and "\\times" not in text and "(1, 2, 3, 2)" not in text


def test_every_formula_still_has_a_source(document):
    assert formulas_without_source(document) == []
    rows = [b for b in _blocks(document.sections) if isinstance(b, Derivation)]
    assert len(rows) >= 7 and all(source.valid for row in rows for _, _, source in row.rows)


def test_derivations_put_their_justifications_in_tags(document):
    """Portrait pages: a justification is a flush-right tag, which drops below a step that fills the line."""
    derivation = next(b for b in _blocks(document.sections) if isinstance(b, Derivation))
    tex = render_blocks(derivation)
    assert tex.count(r"\tag*{[") == len(derivation.rows) and r"\parbox" not in tex


def render_blocks(*blocks):
    from gradproof.proofs.document import Document, Section

    return " ".join(render(Document("t", (Section("s", tuple(blocks)),))).split())


def test_references_resolve_in_the_seed002_section(document):
    tex = " ".join(render(document).split())
    from gradproof.proofs.document import title_latex
    from gradproof.proofs.network_display import heading

    # the corollary's heading as printed: its S is a formula
    assert "\x00" not in tex and title_latex(heading(network_seed002.COROLLARY)) in tex


def test_third_read_wording(tex):
    """The third read (item 7): the examples cite seed 002's (5) and (6) (numbered in section 3, after them), the
    tie example names the entry of G it moves, the overlap condition is a formula, the grid's groups read as
    counts, and sel(k) = j is one formula."""
    pooling = tex.split(r"\section{Pooling")[1].split(r"\section{")[0]
    assert "equation (5)" not in pooling and "Equation (6)" not in pooling
    assert "seed 002's (5):" in pooling and "Seed 002's (6) gives" in pooling
    example = network_proof.general_proofs()["example"]
    assert f"receives $G$'s entry $(2, 1)$, {example['G'][1, 0]}, and the mask" in tex
    assert r"$s < K_h$ or $s < K_w$" in tex and "less than the window" not in tex
    assert " more: 6 with padding $P = 1$ or 2 and 7 whose windows leave rows or columns out, 4 of them both" in tex
    assert r"\operatorname{sel}(k) = j" in tex and r"\operatorname{silu}(r) = " in tex
