"""fc.pdf after the second student read (/tmp/read2, items 9, 10, 16, 17): one meaning per letter.

* Y and y are only a layer's output; a loss's target is T (t for a vector), as in network.pdf.
* Seed 002's layer index is printed in parentheses, s^{(2)}, never as s^{2}, which reads as a square.
* No derivation shows a step that changes nothing (Corollary 11's "= g_p [entry p of the vector]").
* G is the upstream gradient in every layout (no D next to D_in and D_out); seed 001's averaged loss is L-bar,
  so G = dL/dY stays true; B is defined where it is used.
* References are the shared registry's (``document.ref``), numbered from the block order.

Each test reads the document (or its LaTeX) and fails on the build the student read.
"""

import dataclasses
import re

import pytest
from sympy import Derivative, Indexed, IndexedBase, MatrixSymbol, Mul, Symbol

from gradproof.proofs import fc_display
from gradproof.proofs.document import (
    Aligned,
    Derivation,
    Document,
    Equation,
    Math,
    Section,
    SideBySide,
    Text,
    Theorem,
    latex,
    ref,
    render,
    theorem_numbers,
)
from gradproof.proofs.fc_proof import fc_document
from gradproof.proofs.targets import run_target, target_named
from gradproof.symbolic.engine.derive import J


@pytest.fixture(scope="module")
def document():
    return fc_document(run_target(target_named("fc"), numeric=False))


@pytest.fixture(scope="module")
def tex(document):
    """fc.pdf's own LaTeX (the notation sheet, sections[0], is shared by the four documents)."""
    return render(dataclasses.replace(document, sections=document.sections[1:]))


def _blocks(blocks):
    for block in blocks:
        yield block
        if isinstance(block, Theorem):
            yield from _blocks(block.statement + block.proof)


def _formulas(section):
    """Every SymPy object displayed in ``section``: inline parts, equations' and derivations' sides."""
    for block in _blocks(section.blocks):
        if isinstance(block, Text):
            yield from (part.value for part in block.parts if isinstance(part, Math))
        elif isinstance(block, Equation):
            yield from (block.lhs, block.rhs)
        elif isinstance(block, (Aligned, SideBySide)):
            yield from (side for row in block.rows for side in (row.lhs, row.rhs))
        elif isinstance(block, Derivation):
            yield block.lhs
            yield from (rhs for rhs, _, _ in block.rows)


def _letters(value) -> set[str]:
    """The names of the matrices, vectors and entry bases in a formula."""
    atoms = getattr(value, "atoms", None)
    if atoms is None:
        return set()
    return {atom.name for atom in atoms(MatrixSymbol)} | {str(atom.label) for atom in atoms(IndexedBase)}


def _section(document, start: str) -> Section:
    return next(section for section in document.sections if section.title.startswith(start))


# --- item 9: the target is T / t -------------------------------------------------------------------------------

def test_the_target_is_t_and_y_is_only_an_output(document):
    for start in ("The squared loss", "Seed 002"):
        letters = set().union(*(_letters(value) for value in _formulas(_section(document, start))))
        assert not letters & {"Y", "y"}, (start, letters)  # the loss has no layer output: Y or y there is the target
        assert letters & {"T", "t"}, (start, letters)
    loss = _section(document, "The squared loss")
    theorem = next(block for block in loss.blocks if isinstance(block, Theorem) and block.kind == "theorem")
    statement = next(block for block in theorem.statement if isinstance(block, Equation))
    assert latex(statement.rhs) in ("- 2 T + 2 Z", "2 Z - 2 T"), latex(statement.rhs)


def test_the_linear_layers_output_is_still_y(document):
    letters = set().union(*(_letters(value) for value in _formulas(_section(document, "The Linear layer"))))
    assert "Y" in letters and "y" in letters and not letters & {"T", "t"}


# --- item 10: layer indices in parentheses ----------------------------------------------------------------------

_BARE_LAYER = re.compile(r"(?<![\\A-Za-z])[sSzZWbgt]\^\{\d+\}")


def test_layer_indices_are_parenthesised(tex):
    assert _BARE_LAYER.findall(tex) == []
    for shown in ("s^{(2)}", "z^{(2)}", "W^{(1)}", "g^{(2)}"):
        assert shown in tex, shown
    assert _BARE_LAYER.search(r"2 s^{2} - 2 t") and not _BARE_LAYER.search(r"\left(x\right)^{2}")  # it detects


# --- item 17: no empty step -------------------------------------------------------------------------------------

def printed(value) -> str:
    """A formula as a reader sees it: its LaTeX without grouping braces and spaces ({g}_{p} reads as g_{p})."""
    return re.sub(r"[{} ]", "", latex(value))


def empty_steps(document) -> list[str]:
    """Each derivation row whose right side prints as the line before it (or as the left side)."""
    found = []
    for section in document.sections:
        for block in _blocks(section.blocks):
            if isinstance(block, Derivation):
                shown = [printed(block.lhs)] + [printed(rhs) for rhs, _, _ in block.rows]
                found += [f"{section.title}: {after}" for before, after in zip(shown, shown[1:]) if before == after]
    return found


def test_no_derivation_has_a_step_that_changes_nothing(document):
    assert empty_steps(document) == []
    g, p = IndexedBase("g"), Symbol("p")
    from gradproof.proofs.fc_checks import Entry

    planted = Derivation(Symbol("a"), ((g[p], "sifting", None), (Entry(MatrixSymbol("g", 3, 1), p), "entry", None)))
    assert empty_steps(Document("t", (Section("s", (planted,)),))) != []  # {g}_{p} and g_{p} print alike


# --- item 16: G, not D; B defined; the averaged loss -------------------------------------------------------------

def test_the_upstream_gradient_is_g_in_every_layout(document, tex):
    upstream = [row for section in document.sections for block in _blocks(section.blocks)
                for row in (block.rows if isinstance(block, Aligned) else (block,) if isinstance(block, Equation) else ())
                if isinstance(row.lhs, Derivative) and isinstance(row.lhs.variables[0], Indexed)
                and str(row.lhs.variables[0].base.label) in ("y", "z")]
    assert len(upstream) >= 5  # Definition 1, ReLU, the three corollaries
    for row in upstream:
        entries = row.rhs.atoms(Indexed)
        assert {str(entry.base.label) for entry in entries} == {"g"}, (row.lhs, row.rhs)
        if isinstance(row.rhs, Mul):  # seed 001's averaged loss: dL-bar/dy = g / N, so G is still dL/dY
            assert row.lhs.expr == fc_display.MEAN_LOSS, row.lhs
        else:
            assert row.lhs.expr == J, row.lhs
    assert not re.search(r"(?<![\\A-Za-z])D(?![_A-Za-z])", tex)  # D alone: the seed-001 matrix of the old build
    assert "seed 001 writes" in tex


def test_b_is_defined_where_it_is_used(tex):
    uses = [tex[max(match.start() - 3, 0):match.end() + 12] for match in re.finditer(r"(?<![\\A-Za-z{])B(?![A-Za-z])", tex)]
    assert uses and all("B = 1 b^{T}" in use for use in uses), uses
    assert "B + X W" not in tex


# --- item 6 of the brief: the shared reference registry ------------------------------------------------------------

def test_references_come_from_the_shared_registry(document):
    assert not any(hasattr(fc_display, name) for name in ("ORDER", "block_number", "reference", "references"))
    numbers = theorem_numbers(document)
    for key, title in fc_display.TITLES.items():
        kind = "definition" if key in ("linear", "relu", "squared_loss") else "theorem"
        assert numbers[title][0] == kind, (key, numbers[title])
    assert [numbers[fc_display.corollary_title(name)][1] for name in
            ("linear.seed000", "linear.seed001.sum", "linear.seed001.mean")] == [11, 12, 13]
    wrong = Document("t", (Section("s", (Theorem("definition", fc_display.TITLES["linear"], ()),
                                         Text.of(ref("theorem", fc_display.TITLES["linear"]))),),))
    with pytest.raises(ValueError, match="expected a theorem"):
        render(wrong)
