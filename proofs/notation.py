"""One notation for every proof document and the README (DESIGN.md §4 and §5b).

``NOTATION`` is the sheet as data: each row is (symbol as LaTeX, the same in plain text for the README,
its meaning). ``notation_section`` renders it as the opening section of a document; the README's
notation table lists the same rows (``readme_rows``), and a test keeps the two equal.
"""

from __future__ import annotations

from sympy import Symbol

from gradproof.proofs.document import Math, Section, Source, Text

NOTATION = (
    (r"L", "L", "the loss; the seeds write $\\xi|ξ$ (seeds 002, 004) or $J|J$ (seeds 000, 001)"),
    (r"G = \partial L / \partial Y", "G = dL/dY",
     "the upstream gradient, with the shape of the output $Y|Y$ ($g|g$ for a vector; seed 000 writes $\\delta|δ$)"),
    (r"x,\ X,\ W,\ b,\ Y", "x, X, W, b, Y", "input (a vector; a batch, one sample per row; or an image), weight, "
                                            "bias, output"),
    (r"T,\ t", "T, t", "a loss's target (a batch, one sample per row; $t|t$ for a vector; seed 002 writes $y|y$)"),
    (r"N", "N", "the batch size"),
    (r"D_{\mathrm{in}},\ D_{\mathrm{out}}", "D_in, D_out",
     "a Linear layer's input and output sizes (seed 000 writes $M|M$ and $N|N$)"),
    (r"C,\ O", "C, O", "a convolution's input and output channels"),
    (r"n_H \times n_W,\ n'_H \times n'_W", "n_H × n_W, n'_H × n'_W",
     "image height × width of a convolution's input and output ($W|W$ is only ever the weight)"),
    (r"K_h \times K_w,\ P,\ s,\ d", "K_h × K_w, P, s, d", "kernel size, zero padding, stride, dilation"),
    (r"\partial L / \partial W", "dL/dW", "denominator layout: the gradient has the shape of $W|W$"),
    (r"\operatorname{vec}(X)", "vec(X)", "the columns of $X|X$ stacked (column-major), as in the seeds and the Matrix "
                                         "Cookbook"),
    (r"A \otimes B,\ A \circ B", "A ⊗ B, A ∘ B", "Kronecker product, entrywise (Hadamard) product"),
    (r"x_{ij}", "x_ij", "entries; indices run from 1, as in the seeds"),
)

LAYOUT_SENTENCE = (
    "Layouts: the numeric layers use PyTorch's arrays (a Linear weight of shape $D_{\\mathrm{out}} \\times "
    "D_{\\mathrm{in}}|D_out × D_in$ and $Y = X W^T + 1 b^T|Y = X W^T + 1 b^T$ for a batch $X|X$ with one sample per "
    "row). Where a seed writes another layout (seed 000: one sample as a column, $y = W x + b|y = W x + b$; seed 001: "
    "samples as rows and $W|W$ of shape $D_{\\mathrm{in}} \\times D_{\\mathrm{out}}|D_in × D_out$), the document says so and proves the rule in that layout from the "
    "seed's own scalar equation."
)
"""Meanings and this sentence mark formulas as ``$LATEX|PLAIN$``: math in the PDF, plain text in the README."""


class _Notation(Symbol):
    """A notation entry printed verbatim (a symbol name such as K_h would otherwise be split at '_')."""

    def _latex(self, printer):
        return self.name


def _sheet_math(latex_form: str) -> Math:
    return Math(_Notation(latex_form), Source("definition", "notation sheet"))


def _parts(marked: str) -> tuple:
    """Prose with ``$LATEX|PLAIN$`` formulas as ``Text`` parts: strings and ``Math``."""
    pieces = marked.split("$")
    return tuple(_sheet_math(piece.split("|")[0]) if n % 2 else piece for n, piece in enumerate(pieces) if piece)


def plain(marked: str) -> str:
    """The same prose for the README: each ``$LATEX|PLAIN$`` formula as its plain text."""
    pieces = marked.split("$")
    return "".join(piece.split("|")[1] if n % 2 else piece for n, piece in enumerate(pieces))


def notation_section() -> Section:
    """The notation sheet every document opens with."""
    rows = tuple(Text.of(_sheet_math(latex_form), ": ", *_parts(meaning), ".") for latex_form, _, meaning in NOTATION)
    return Section("Notation", (*rows, Text.of(*_parts(LAYOUT_SENTENCE))))


def readme_rows() -> list[tuple[str, str]]:
    """(symbol, meaning) rows of the README's notation table."""
    return [(plain_symbol, plain(meaning)) for _, plain_symbol, meaning in NOTATION]
