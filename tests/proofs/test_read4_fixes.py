"""The last student read's slips (/tmp/read4/report.md items 1-4, and the headings and indices the docs6 brief
found): each fix checked where it reaches the reader, the rendered LaTeX or the document model, with the
expected text read from the run's objects and the notation sheet, not typed."""

from __future__ import annotations

import re

import pytest
from sympy import Symbol

from gradproof.proofs import conv_proof, fc_display, kron_proof, network_proof
from gradproof.proofs.document import (
    Derivation,
    Document,
    Math,
    Section,
    Source,
    Text,
    Theorem,
    Title,
    formulas_without_source,
    latex,
    ref,
    refs,
    render,
    theorem_numbers,
    title_latex,
)
from gradproof.proofs.fc_display import DISPLAY_SIZES, TITLES
from gradproof.proofs.notation import LAYOUT_SENTENCE
from gradproof.proofs.report import AllOutcome, TargetOutcome, markdown, report_markdown
from gradproof.proofs.targets import run_target, target_named
from gradproof.symbolic.layers import conv_general as general
from gradproof.symbolic.layers import fc


def _flat(tex: str) -> str:
    return " ".join(tex.split())


@pytest.fixture(scope="module")
def runs():
    return {name: run_target(target_named(name), numeric=False) for name in ("fc", "kron", "conv2d", "network")}


@pytest.fixture(scope="module")
def documents(runs):
    return {name: run.target.document(run) for name, run in runs.items()}


@pytest.fixture(scope="module")
def texs(documents):
    return {name: _flat(render(document)) for name, document in documents.items()}


def _headings(document):
    """(kind, title) of every section and numbered block."""
    for section in document.sections:
        yield "section", section.title
        for block in section.blocks:
            if isinstance(block, Theorem):
                yield block.kind, block.title


# --- item 1: fc.pdf's seed-001 corollaries say D_in x D_out, as the notation sheet -----------------------

def test_fc_seed001_corollary_titles_write_the_weight_shape_as_the_notation_sheet(documents, texs):
    (sheet_shape,) = [piece.split("|")[0] for piece in LAYOUT_SENTENCE.split("$")[1::2]
                      if piece.split("|")[1] == "D_in × D_out"]
    shape = latex(DISPLAY_SIZES["in"]) + r" \times " + latex(DISPLAY_SIZES["out"])
    assert shape == sheet_shape
    numbers = theorem_numbers(documents["fc"])
    for equations in (fc.LINEAR_SEED001_SUM, fc.LINEAR_SEED001_MEAN):
        assert "(in, out)" in equations.title  # the presentation's own title, renamed for the reader
        title = fc_display.corollary_title(equations.name)
        assert isinstance(title, Title) and numbers[title][0] == "corollary"
        assert f"weight of shape ${shape}$, " in title_latex(title)
        assert f"[{{{title_latex(title)}}}]" in texs["fc"]
    assert "in by out" not in texs["fc"]


# --- item 2: report.md says what was checked at which sizes, as kron.pdf's section 2, from the run -------

def test_report_states_kron_pdf_checked_sizes_sentence(runs, documents, texs):
    run = runs["kron"]
    text = report_markdown(AllOutcome([TargetOutcome(run, "kron.tex", document=documents["kron"])], want_pdf=False))
    assert "every size with each dimension from 1 to 4" not in text
    (line,) = [line for line in text.splitlines() if line.startswith("- kron (numbers of kron.pdf): ")]
    sentence = line.split(": ", 1)[1]
    # the same sentence, word for word and formula for formula, as kron.pdf prints
    assert sentence in texs["kron"]
    numbers = theorem_numbers(documents["kron"])
    inverse = numbers[kron_proof.INVERSE_TITLE][1]
    pairs = ", ".join(f"({n}, {m})" for n, m in kron_proof.INVERSE_CHECK_SIZES)
    assert f"Corollary {inverse} at $(n, m) \\in \\{{{pairs}\\}}$" in sentence
    for claim, small, _ in run.statements.evidence["jacobians"]:
        after = sentence.split(f"Theorem {numbers[kron_proof.jacobian_title(claim)][1]}", 1)[1].split(";")[0]
        for value in small.sizes.values():
            assert f"= {value}$" in after
    largest = max(max(r.sizes.values()) for row in run.statements.rows for r in row.sweep.results)
    assert f"sizes from 1 to {largest}" in sentence


def test_report_builds_the_document_when_not_given(runs):
    """A report from a run alone (as test_report builds it) numbers the references from the run's document."""
    text = report_markdown(AllOutcome([TargetOutcome(runs["kron"], "kron.tex")], want_pdf=False))
    assert "\x00" not in text and "- kron (numbers of kron.pdf): The identities (Lemma " in text


def test_kron_checked_sizes_lists_the_identity_blocks(runs, documents, texs):
    """Corollary 4 is an identity too: the sentence names the blocks the sweep covers, so 'the other results'
    (the inverse, the Jacobians) are not among them."""
    numbers = theorem_numbers(documents["kron"])
    method = texs["kron"].split("The identities (", 1)[1].split(")", 1)[0]
    rows = {row.claim.key: row for row in runs["kron"].statements.rows}
    swept = kron_proof._identity_rows(rows)
    assert len(swept) == len(rows)
    listed: dict = {}
    for kind, numbers_text in re.findall(r"(Lemma|Theorem|Corollary)s? ((?:\d+(?:–\d+)?(?:, | and )?)+)", method):
        for part in re.split(r", | and ", numbers_text):
            if part:
                low, _, high = part.partition("–")
                listed.setdefault(kind.lower(), set()).update(range(int(low), int(high or low) + 1))
    assert listed == {kind: {numbers[title][1] for k, title, _ in swept if k == kind} for kind in ("lemma", "theorem")}
    assert f"Corollary {numbers[kron_proof.INVERSE_TITLE][1]}" not in method


# --- item 3: conv2d.pdf cites seed 004's (3), not a bare (3) ---------------------------------------------

def test_conv2d_cites_seed_004_display_3_by_name(documents, texs):
    tex = texs["conv2d"]
    assert "from (3)" not in tex and "[(3)" not in tex
    assert "follows from seed 004's (3), first line" in tex
    vec_chain = [block for section in documents["conv2d"].sections for block in section.blocks
                 if isinstance(block, Derivation) and latex(block.lhs).startswith(r"\operatorname{vec}")]
    (chain,) = vec_chain
    rhs, why, source = chain.rows[0]
    assert why.startswith("seed 004's (3)") and source == Source("seed", "seed 004 (3)")


# --- item 4: refs, several blocks of one kind in one reference --------------------------------------------

def _numbered(*titles, kind="theorem"):
    return tuple(Theorem(kind, title, ()) for title in titles)


def _said(blocks, text):
    return _flat(render(Document("t", (Section("s", (*blocks, Text.of(text))),)))).split(r"\end{theorem}")[-1]


def test_refs_renders_runs_of_numbers():
    blocks = _numbered("a", "b", "c", "d", "e", "f")
    assert "Theorems 1–3 " in _said(blocks, refs("theorem", "c", "a", "b") + " ")
    assert "Theorems 1 and 3 " in _said(blocks, refs("theorem", "a", "c") + " ")
    assert "Theorems 1 and 2 " in _said(blocks, refs("theorem", "b", "a") + " ")
    assert "Theorems 1–3, 5 and 6 " in _said(blocks, refs("theorem", "a", "b", "c", "e", "f") + " ")
    assert "Theorem 4 " in _said(blocks, refs("theorem", "d") + " ")
    lemmas = _numbered("x", "y", "z", kind="lemma")
    assert "Lemmas 1–3 " in _flat(render(Document("t", (Section("s", (*lemmas, Text.of(refs("lemma", "x", "y", "z")
                                                                                             + " "))),))))


def test_refs_errors_like_ref():
    blocks = _numbered("a", "b")
    for text in (ref("theorem", "zz"), refs("theorem", "a", "zz")):
        with pytest.raises(ValueError, match="expected the title of a numbered block, got 'zz'"):
            render(Document("t", (Section("s", (*blocks, Text.of(text))),)))
    for text in (ref("lemma", "a"), refs("lemma", "b", "a")):
        with pytest.raises(ValueError, match="expected a lemma, the block is a theorem"):
            render(Document("t", (Section("s", (*blocks, Text.of(text))),)))
    with pytest.raises(ValueError, match="distinct"):
        refs("theorem", "a", "a")


def test_no_document_lists_references_one_by_one(texs):
    kinds = "Theorem|Lemma|Corollary|Definition|Example"
    for name, tex in texs.items():
        assert not re.search(rf"\b({kinds}) \d+(, | and |, and )\1 \d+", tex), name


def test_fc_and_conv2d_cite_their_three_theorems_as_a_run(documents, texs):
    fc_numbers = theorem_numbers(documents["fc"])
    first, *_, last = sorted(fc_numbers[TITLES[key]][1] for key in ("linear.weight", "linear.bias", "linear.input"))
    assert f"Theorems {first}–{last}" in texs["fc"]
    conv_numbers = theorem_numbers(documents["conv2d"])
    first, *_, last = sorted(conv_numbers[conv_proof._TITLES[key]][1] for key in ("input", "weight", "bias"))
    assert f"the general statements are Theorems {first}–{last}" in texs["conv2d"]


# --- item 5: headings print matrix names as math -----------------------------------------------------------

_UPRIGHT_SYMBOL = re.compile(r"(?<![\w'’$\\])(?!A )[B-HJ-Z](?![\w'’])|vec\(")
"""A capital letter standing alone (a matrix name; not the article "A", nor "I") or a vec( outside math."""


def _outside_math(tex: str) -> str:
    return re.sub(r"\$[^$]*\$", " ", tex)


def test_headings_set_matrix_names_as_math(documents, texs):
    for name, document in documents.items():
        for kind, title in _headings(document):
            printed = title_latex(title)
            assert not _UPRIGHT_SYMBOL.search(_outside_math(printed)), (name, kind, printed)
            heading = (rf"\section{{{printed}}}" if kind == "section"
                       else f"[{{{printed}}}]" if isinstance(title, Title) else f"[{printed}]")
            assert heading in texs[name], (name, heading)
    network_titles = dict((str(title), title) for _, title in _headings(documents["network"]))
    for plain in ("Seed 002's theorem: when S need not be stored", "SiLU: S must be stored"):
        assert title_latex(network_titles[plain]).count("$S$") == 1


def test_a_title_keeps_its_plain_reading_for_references(documents):
    """network.pdf's corollary is still named by its plain title: its references render, numbered."""
    from gradproof.proofs import network_seed002

    numbers = theorem_numbers(documents["network"])
    kind, number = numbers[network_seed002.COROLLARY]
    assert kind == "corollary" and isinstance(next(t for t in numbers if t == network_seed002.COROLLARY), Title)


def test_title_formulas_need_a_source():
    bare = Title.of("when ", Math(Symbol("S")), " need not be stored")
    document = Document("t", (Section(bare, (Theorem("lemma", bare, ()),)),))
    assert len(formulas_without_source(document)) == 2
    sourced = Title.of("when ", Math(Symbol("S"), Source("definition", "notation sheet")), " need not be stored")
    assert formulas_without_source(Document("t", (Section(sourced, (Theorem("lemma", sourced, ()),)),))) == []
    tex = render(Document("t", (Section(sourced, (Theorem("lemma", sourced, ()),)),)))
    assert r"\section{when $S$ need not be stored}" in tex and r"\begin{lemma}[{when $S$ need not be stored}]" in tex


# --- item 6: an entry's indices in a justification are math --------------------------------------------

_UPRIGHT_ENTRY = re.compile(r"entry (?:\([a-z](?:, [a-z])*\)|[a-z](?=[ \],.;]))")


def test_no_entry_indices_set_upright(documents, texs):
    for name, tex in texs.items():
        assert not _UPRIGHT_ENTRY.search(_outside_math(tex)), (name, _UPRIGHT_ENTRY.search(_outside_math(tex)))
    # fc's index-to-matrix steps name the proof's own free indices
    for section in documents["fc"].sections:
        for block in section.blocks:
            if not isinstance(block, Theorem):
                continue
            for derivation in (b for b in block.proof if isinstance(b, Derivation)):
                _, why, _ = derivation.rows[-1]
                if isinstance(why, Text) and why.parts[0] == "entry ":
                    index = why.parts[1]
                    assert isinstance(index, Math) and index.source.valid
                    assert latex(index.value).strip("()").replace(" ", "") in {"p", "p,q"}


# --- item 7: conv2d's sample index n, and the sizes n_H, n_W -------------------------------------------

def test_conv2d_says_n_is_the_sample_index_and_n_h_a_size(texs):
    layer = texs["conv2d"].split(r"\section{The layer}", 1)[1].split(r"\begin{definition}", 1)[0]
    n, size, h, w = (latex(value) for value in (general.n, general.N, general.H, general.W))
    assert f"The sample index ${n}$ runs from 1 to ${size}$ (${h}$ and ${w}$ are the image's sizes, not this " \
           "index)" in layer
    assert f"{{y}}_{{{n},o,u,v}}" in texs["conv2d"]  # the index the sentence is about


def test_network_headings_come_from_the_prose_rule(documents):
    assert network_proof.heading("Softmax cross-entropy, for any number of classes") == \
        "Softmax cross-entropy, for any number of classes"
    assert not isinstance(network_proof.heading("Softmax cross-entropy, for any number of classes"), Title)
    title = network_proof.heading("SiLU: S must be stored")
    assert isinstance(title, Title) and title == "SiLU: S must be stored"
    assert markdown(title.parts) == "SiLU: $S$ must be stored"
