"""network.pdf as a handout (issue 14 items 4-6): numbered lemma/theorems, each ONE derivation with a
shape check; worked examples whose numbers are the numeric layers' (and PyTorch's); counterexamples with
printed inputs; every formula, also those of the side-by-side example rows, carries a verified source;
the compiled PDF has no overfull box."""

import numpy as np
import pytest
from sympy import Matrix

from gradproof.numeric.rules import pooling as pool_rules
from gradproof.proofs import network_display, network_proof, network_seed002
from gradproof.proofs.compile import compile_pdf, overfull_boxes
from gradproof.proofs.document import Derivation, ShapeCheck, SideBySide, Theorem, formulas_without_source, render
from gradproof.proofs.targets import run_target, target_named
from gradproof.symbolic.seeds import theorem


@pytest.fixture(scope="module")
def document():
    return network_proof.network_document(run_target(target_named("network"), numeric=False))


def _blocks(document):
    for section in document.sections:
        for block in section.blocks:
            yield block
            if isinstance(block, Theorem):
                yield from block.statement + block.proof


def _derivations(blocks):
    """The derivations among ``blocks``."""
    return [b for b in blocks if isinstance(b, Derivation)]


def test_every_formula_including_the_example_rows_has_a_verified_source(document):
    assert formulas_without_source(document) == []
    rows = [block for block in _blocks(document) if isinstance(block, SideBySide)]
    assert len(rows) >= 6
    assert all(eq.source is not None and eq.source.valid for row in rows for eq in row.rows)


def test_each_theorem_and_lemma_is_one_derivation_with_a_shape_check(document):
    theorems = [block for block in _blocks(document) if isinstance(block, Theorem)]
    kinds = [block.kind for block in theorems]
    assert kinds.count("lemma") == 1 and kinds.count("theorem") >= 5 and kinds.count("example") >= 5
    for block in theorems:
        if block.kind in ("lemma", "theorem"):
            derivations = _derivations(block.proof)
            assert len(derivations) == 1, block.title
            if block.title != "Seed 002's theorem, with its conditions":
                assert any(isinstance(b, ShapeCheck) for b in block.proof), block.title


def test_general_theorems_say_they_hold_and_name_overlapping_windows(document):
    tex = render(document)
    assert "FAILS" not in tex and "DIFFERENT" not in tex
    assert "(overlapping): holds" in tex and "$N = 2$, $K = 3$: holds" in tex and "$l = 3$: holds" in tex


def test_the_small_integer_example_is_pytorchs_gradient(torch_module):
    torch = torch_module
    for image, upstream, stride in ((theorem.RELU_MAXPOOL_S, theorem.RELU_MAXPOOL_G, 2),
                                    (theorem.OVERLAP_S, theorem.OVERLAP_G, 1)):
        example = theorem.relu_maxpool_example(image, upstream, 2, stride)
        s = torch.tensor(image, dtype=torch.float64, requires_grad=True)
        out = torch.nn.functional.max_pool2d(torch.relu(s)[None, None], 2, stride)[0, 0]
        out.backward(torch.tensor(upstream, dtype=torch.float64))
        assert example["holds"]
        assert Matrix(s.grad.numpy().astype(int).tolist()) == example["(5)"] == example["numeric"]


def test_a_wrong_numeric_pooling_backward_leaves_the_example_unsourced(monkeypatch):
    def spread(grad_output, argmax, input_shape, kernel, stride, padding=0):  # G copied to the whole window
        return pool_rules.avgpool_grad_input(grad_output, input_shape, kernel, stride, padding) * kernel * kernel

    monkeypatch.setattr(pool_rules, "maxpool_grad_input", spread)
    example = theorem.relu_maxpool_example()
    assert not example["holds"]
    block = network_proof._example_block(example, "planted", "planted")
    rows = [b for b in block.statement if isinstance(b, SideBySide)]
    assert any(not eq.source.valid for row in rows for eq in row.rows)


def test_seed002_worked_example_puts_v_where_numeric_max_pooling_sends_g():
    example = theorem.worked_example()
    image = np.array(theorem.SEED002_IMAGE, dtype=float)[None, None]
    argmax = pool_rules.maxpool_argmax(image, 2, 2)
    v = np.array(list(example["v"]), dtype=object).reshape(2, 2, order="F")
    back = pool_rules.maxpool_grad_input(v[None, None], argmax, (1, 1, 4, 4), 2, 2)[0, 0]
    assert list(example["form6"]) == list(back.flatten(order="F"))
    assert sum(1 for entry in example["form6"] if entry == 0) == 12


def test_the_counterexamples_print_their_inputs_and_numbers(document):
    tex = render(document)
    silu = network_proof.general_proofs()["silu"]
    assert f"{float(silu['root']):.6f}" in tex and f"{float(silu['slope']):.4f}" in tex
    assert r"\operatorname{vec}(S')^{T}" in tex and "-1.3" in tex


def test_network_pdf_has_no_overfull_box(require_tex, tmp_path, document):
    path = tmp_path / "network.tex"
    path.write_text(render(document))
    compile_pdf(path)
    assert overfull_boxes(path) == []


def test_a_wrong_numeric_max_pooling_backward_unsources_the_max_theorem(monkeypatch):
    # The document recomputes its checks on every build: a wrong numeric rule cannot hide behind a cache.
    def spread(grad_output, argmax, input_shape, kernel, stride, padding=0):
        return pool_rules.avgpool_grad_input(grad_output, input_shape, kernel, stride, padding) * kernel * kernel

    monkeypatch.setattr(pool_rules, "maxpool_grad_input", spread)
    proofs = network_proof.general_proofs()
    assert proofs["max"].symbolic_holds and not proofs["max"].holds
    theorem_block = network_proof._pooling_theorem(proofs["max"], "max")
    derivation = _derivations(theorem_block.proof)[0]
    assert all(not source.valid for _, _, source in derivation.rows)
    # rendered with the blocks it refers to (the lemma, the definition)
    assert "FAILS" in render_blocks(network_proof._lemma(proofs["lemma"]), *network_proof._definitions(), theorem_block)


def render_blocks(*blocks):
    from gradproof.proofs.document import Document, Section

    return render(Document("t", (Section("s", blocks),)))


# ---------------------------------------------------------------- issue 14 follow-ups (student read)

def test_the_handout_reads_as_a_handout_with_its_data_as_math(document):
    """No talk of previous versions; the pooling grid described from its configurations (its counts add up
    to the total printed); shapes and numbers as formulas, no Python tuples or plain '1 - Z'."""
    tex = render(document)
    assert "previous version" not in tex
    from gradproof.proofs.document import Text

    prose = " ".join(part for block in _blocks(document) if isinstance(block, Text) for part in block.parts
                     if isinstance(part, str))
    assert "(5)" in prose
    for plain in ("((", "1 - Z", "-0.", "P_pool", "^", "sigma", "dL/d"):
        assert plain not in prose, plain
    assert r"1 \times 2 \times 3 \times 2" in tex
    text = " ".join(tex.split())
    total = int(text.split(" configurations, equals")[0].rsplit(" ", 1)[1])
    tiled = int(text.split("They are ")[1].split(" ")[0])
    more = int(text.split(" more: ")[0].rsplit(" ", 1)[1])
    assert tiled + more == total == 25
    # the two groups of the rest overlap: their counts and the overlap add up to the rest (student read 2, item 2)
    rest = text.split(" more: ")[1]
    padded = int(rest.split(" with padding")[0].rsplit(" ", 1)[-1].strip(":"))
    dropped = int(rest.split(" whose windows leave rows or columns out")[0].rsplit(" ", 1)[-1])
    both = int(rest.split(" of them both")[0].rsplit(" ", 1)[1]) if " of them both" in rest else 0
    assert padded + dropped - both == more
    assert "tile" not in text


def test_grid_text_counts_what_it_is_given():
    grid = [((1, 1, 4, 4), 2, 2, 0), ((1, 1, 5, 5), 2, 2, 0), ((1, 1, 5, 5), 3, 2, 1)]
    text = network_proof._grid_text(grid)
    assert text.startswith("They are 1 without padding") and "every combination" in text
    assert "2 more: 1 with padding P = 1 and 1 whose windows leave rows or columns out;" in text
    both = [((1, 1, 4, 4), 2, 2, 0), ((1, 1, 4, 4), 2, 2, 1), ((1, 1, 4, 4), 3, 2, 1)]
    assert "2 more: 2 with padding P = 1 and 1 whose windows leave rows or columns out, 1 of them both;" in \
        network_proof._grid_text(both)


def test_seed002_theorem_reuses_no_notation_symbol(document):
    """Theorem 8 names its sizes n_S, n_Z and its index k: not s (the stride), n or o (batch and channel)."""
    block = next(b for b in _blocks(document) if isinstance(b, Theorem) and b.title.startswith("Seed 002's theorem"))
    tex = render_blocks(block)
    assert "n_{S}" in tex and "n_{Z}" in tex and r"\operatorname{sel}{\left(k \right)}" in tex
    assert "sel}{\\left(o" not in tex and "s_{" not in tex


def test_report_lists_the_documents_general_checks():
    """network_statements lists the general-size checks and hands the same objects to the document."""
    from gradproof.proofs.statements import network_statements

    statements = network_statements({})
    labels = [check.label for check in statements.checks]
    for needle in ("linear-map lemma", "max-pooling backward", "average-pooling backward", "seed 002 theorem (5) = (6) for any",
                   "softmax cross-entropy", "seed 004 (1)", "seed 004 (2)", "SiLU"):
        assert any(needle in label for label in labels), needle
    assert all(check.holds for check in statements.checks)
    assert statements.checks[-1].holds == (statements.evidence["general"]["example"]["holds"]
                                           and statements.evidence["general"]["overlap"]["holds"])


def test_second_read_wording(document):
    """Student read 2: Lemma 1 names y (not the old v), θ is a formula, the objective's verdicts are sentences."""
    tex = " ".join(render(document).split())
    assert "v's entries" not in tex and "with the entries of" in tex
    assert " theta " not in tex and r"\theta" in tex
    assert "W holds" not in tex and "b holds" not in tex


def test_references_are_numbered_from_the_block_order(document):
    """Student read 2, item 12: "the Corollary above", "the Definition", a typed "Theorem 4" are references
    (proofs.document.ref) that render numbers from the blocks' order; none is typed."""
    from gradproof.proofs.document import theorem_numbers

    tex = " ".join(render(document).split())
    numbers = {title: f"{kind.capitalize()} {n}" for title, (kind, n) in theorem_numbers(document).items()}
    assert "Corollary above" not in tex and "the Definition" not in tex and "the Lemma" not in tex
    assert f"(ii) ({numbers[network_seed002.COROLLARY]})" in tex
    assert f"differentiate {numbers[network_proof.DEFINITIONS['max']]}" in tex
    assert f"differentiate {numbers[network_proof.DEFINITIONS['average']]}" in tex
    assert f"selection ({numbers[network_proof.MAX_THEOREM]})" in tex
    assert f"{numbers[network_proof.LEMMA]} with" in tex
    assert f"as in {numbers[network_proof.OBJECTIVE_W]} and" in tex


def test_no_number_of_a_block_is_typed_in_the_builders():
    """A number typed by hand goes stale when a block moves: the builders' sources hold none."""
    import inspect
    import re

    for module in (network_proof, network_seed002, network_display):
        typed = re.findall(r"(?:Theorem|Lemma|Corollary|Definition|Example) \d+", inspect.getsource(module))
        assert typed == [], (module.__name__, typed)


def test_a_moved_block_moves_its_references(document):
    """The lemma moved behind the max-pooling theorem: the reference follows it (it would not if typed)."""
    from gradproof.proofs.document import Section

    pooling = document.sections[1]
    lemma = next(b for b in pooling.blocks if isinstance(b, Theorem) and b.title == network_proof.LEMMA)
    rest = tuple(b for b in pooling.blocks if b is not lemma)
    moved = Section(pooling.title, rest + (lemma,), pooling.level)
    document = type(document)(document.title, (document.sections[0], moved) + document.sections[2:], document.landscape)
    from gradproof.proofs.document import theorem_numbers

    number = theorem_numbers(document)[network_proof.LEMMA][1]
    tex = " ".join(render(document).split())
    assert f"Lemma {number} with" in tex and number > 5
