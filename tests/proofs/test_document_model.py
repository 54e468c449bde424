"""The document model's provenance walker (issue 14 item 1): a formula with no verified source is found."""

import sympy

from gradproof.proofs.document import (
    Derivation,
    Document,
    Equation,
    Math,
    Section,
    ShapeCheck,
    Source,
    Text,
    Theorem,
    formulas_without_source,
    render,
)

g, x, W = sympy.symbols("g x W")


def _document(source):
    lemma = Theorem(
        "lemma",
        "weight gradient",
        (Text.of("For ", Math(W, Source("definition", "notation sheet: W")), ":"),),
        (
            Derivation(W, ((g * x, "entry (n, m) of an outer product", source),)),
            ShapeCheck(((g, 3, 1), (x, 1, 2)), (3, 2)),
        ),
    )
    return Document("t", (Section("s", (lemma, Equation(g, g, "", Source("seed", "seed 001 (3)"))),),))


def test_a_sourced_document_has_no_unsourced_formula():
    assert formulas_without_source(_document(Source("check", "fc dW exact", passed=True))) == []


def test_a_missing_source_is_found_inside_a_lemma_proof():
    missing = formulas_without_source(_document(None))
    assert missing == [("s: weight gradient", "W = g x")]


def test_a_failed_check_is_no_source():
    assert formulas_without_source(_document(Source("check", "fc dW exact", passed=False))) == [
        ("s: weight gradient", "W = g x")
    ]


def test_bad_source_kind_names_the_argument():
    try:
        Source("guess", "x")
    except ValueError as error:
        assert "Source kind" in str(error) and "'guess'" in str(error)
    else:
        raise AssertionError("Source('guess', ...) accepted")


def test_lemma_derivation_and_shape_check_render():
    text = render(_document(Source("check", "c")))
    assert r"\begin{lemma}[weight gradient]" in text and r"\begin{proof}" in text
    assert r"\underbrace{g}_{3 \times 1}" in text and "amsthm" in text


def test_lemma_document_compiles(require_tex, tmp_path):
    import subprocess

    (tmp_path / "t.tex").write_text(render(_document(Source("check", "c"))))
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"], cwd=tmp_path, capture_output=True
    )
    assert run.returncode == 0, run.stdout[-2000:]


def test_a_justification_may_hold_a_formula_which_needs_its_own_source():
    """A justification such as "[sifting: k = p]" prints its formula as math, and the walker checks it."""
    k, p = sympy.symbols("k p")

    def document(source):
        why = Text.of("sifting, ", Math(sympy.Eq(k, p), source))
        return Document("t", (Section("s", (Derivation(W, ((g * x, why, Source("check", "c")),)),)),))

    latex_source = render(document(Source("definition", "sifting")))
    assert r"\tag*{[sifting, $k = p$]}" in latex_source
    assert formulas_without_source(document(Source("definition", "sifting"))) == []
    assert formulas_without_source(document(None)) == [("s", "k = p")]


def test_a_custom_block_lists_its_formulas_for_the_walker():
    """A block drawn by its own ``to_latex`` (a row of matrices) is walked through its ``formulas()``."""

    class Row:
        def __init__(self, source):
            self.source = source

        def to_latex(self):
            return "$g x$\n"

        def formulas(self):
            return [("g x", self.source)]

    def document(source):
        return Document("t", (Section("s", (Theorem("example", "e", (Row(source),)),)),))

    assert formulas_without_source(document(Source("check", "example equals the numeric layer"))) == []
    assert formulas_without_source(document(None)) == [("s: e", "g x")]
    assert "$g x$" in render(document(None))


def test_overfull_boxes_sees_a_line_running_off_the_page(require_tex, tmp_path):
    from gradproof.proofs.compile import compile_pdf, overfull_boxes

    tex = tmp_path / "wide.tex"
    tex.write_text(render(Document("t", (Section("s", (Text.of("wide"),)),), landscape=False))
                   .replace("wide\n", "$" + "x" * 400 + "$\n"))
    compile_pdf(tex)
    assert overfull_boxes(tex)
    tex.write_text(render(Document("t", (Section("s", (Text.of("narrow"),)),), landscape=False)))
    compile_pdf(tex)
    assert overfull_boxes(tex) == []
