"""The proof document of the ``conv2d`` target (seeds 003 and 004; PyTorch's Conv2d convention).

Every displayed formula is a checked object of the run (DESIGN.md 5a): the general-size theorems
print the proofs' own index expressions (summation indices renamed after the sizes they run to by
``conv_general.readable``, a pure renaming of bound indices); the worked example prints the integers
that the closed forms and the numeric rules both produced; seed 003's and seed 004's routes print
symbolic statements whose every step was checked exactly at concrete sizes (``conv_matrix.route``,
``conv_vector_form.derivation_steps``).

Blocks of this module that ``document.py`` does not have (rendered through its ``to_latex`` hook):
``TensorShapeCheck`` (the shape check of a 4-index gradient) and ``Dotted`` (a matrix printed with its
zeros as dots, a SymPy matrix, so an ``Equation`` holding it is walked by the provenance test).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from sympy import (
    Derivative,
    ImmutableDenseMatrix,
    Indexed,
    IndexedBase,
    KroneckerProduct,
    MatAdd,
    MatMul,
    Matrix,
    MatrixSymbol,
    Sum,
    Symbol,
    Trace,
    Transpose,
    Tuple,
    sympify,
)
from sympy.matrices.expressions.kronecker import kronecker_product

from gradproof.numeric.rules import conv as conv_rules
from gradproof.proofs.document import (
    PROSE,
    Aligned,
    Derivation,
    Document,
    Equation,
    Math,
    Section,
    Source,
    Text,
    Theorem,
    Verbatim,
    escape,
    latex,
    number_references,
    paragraph,
    ref,
    refs,
)
from gradproof.proofs.figures import BandFigure, KernelFlipFigure
from gradproof.proofs.notation import notation_section
from gradproof.symbolic.engine.kron import Vec
from gradproof.symbolic.layers import conv_general as general
from gradproof.symbolic.layers.conv import ConvGeometry
from gradproof.symbolic.seeds import conv_matrix

NOTATION = Source("definition", "notation sheet")
L = Symbol("L")


class Dotted(ImmutableDenseMatrix):
    """A matrix printed with its zeros as centred dots (seed 003's band structure), as a SymPy matrix."""

    def __new__(cls, matrix):
        # ImmutableDenseMatrix(m) returns m itself when m is already immutable: build from its rows
        return super().__new__(cls, Matrix(matrix).tolist())

    def _latex(self, printer):
        rows = [" & ".join(r"\cdot" if entry == 0 else printer._print(entry) for entry in self.row(i))
                for i in range(self.rows)]
        return r"\left[\begin{matrix}" + r" \\ ".join(rows) + r"\end{matrix}\right]"


class InOrder(MatAdd):
    """A matrix sum printed in the order written (the seed's order: the weight term, then the bias term)."""

    def __new__(cls, *terms):
        return super().__new__(cls, *terms, evaluate=False)

    def _latex(self, printer):
        return " + ".join(printer._print(term) for term in self.args)


@dataclass(frozen=True)
class TensorShapeCheck:
    """Shape check of a gradient with several indices: the free indices of its displayed closed form run
    over ``ranges`` (index -> size); the gradient has the variable's shape iff those sizes, in order, are
    ``expected``. The verdict is computed here and printed."""

    gradient: object
    variable: str
    indices: tuple
    sizes: tuple
    expected: tuple

    @property
    def holds(self) -> bool:
        return tuple(self.sizes) == tuple(self.expected)

    def to_latex(self) -> str:
        runs = ", ".join(f"${latex(i)} \\le {latex(size)}$" for i, size in zip(self.indices, self.sizes))
        shape = r" \times ".join(latex(size) for size in self.sizes)
        if len(self.sizes) == 1:  # a vector: say how many entries, not a bare "is O"
            shape = rf"{shape} \times 1"
        verdict = (f"the shape of ${escape(self.variable)}$: holds." if self.holds
                   else f"NOT the shape of ${escape(self.variable)}$ (" + r" \times ".join(latex(e) for e in self.expected)
                   + "): FAILS.")
        return (f"\n\nShape check: the free indices run over {runs}, so ${latex(self.gradient)}$ is ${shape}$, "
                f"{verdict}\n\n")


def _steps(lhs, rows) -> Derivation:
    """One derivation lhs = step_1 = ... with rows (rhs, justification, source)."""
    return Derivation(lhs, tuple(rows))


@dataclass(frozen=True)
class ShapeTable:
    """The shape check of a matrix product, one factor per line with its size (rows x columns): the
    product is defined iff each factor's column count equals the next one's row count, and it has the
    variable's shape iff the outer sizes are ``expected``. Both are computed (exact SymPy comparison)
    and the verdict printed; long sizes stay legible, unlike 7-pt labels under braces."""

    factors: tuple  # (factor, rows, columns)
    expected: tuple  # (rows, columns) of the variable
    variable: object

    @property
    def inner_sizes_agree(self) -> bool:
        return all(sympify(left[2] - right[1]).expand() == 0 for left, right in zip(self.factors, self.factors[1:]))

    @property
    def holds(self) -> bool:
        outer = (self.factors[0][1], self.factors[-1][2])
        return self.inner_sizes_agree and all(sympify(a - b).expand() == 0 for a, b in zip(outer, self.expected))

    def _source(self) -> Source:
        return Source("check", "shape check of the product: inner sizes agree, outer sizes are the variable's",
                      self.holds)

    def formulas(self):
        for factor, rows, cols in self.factors:
            yield f"{latex(factor)} : {latex(rows)} \\times {latex(cols)}", self._source()

    def to_latex(self) -> str:
        lines = [f"{latex(factor)} &\\colon {latex(rows)} \\times {latex(cols)}" for factor, rows, cols in self.factors]
        product = " ".join(latex(factor) for factor, _, _ in self.factors)
        shape = f"${latex(self.expected[0])} \\times {latex(self.expected[1])}$"
        if self.holds:
            verdict = (f"Each column count equals the next row count, so the product is {shape}, the shape of "
                       f"${latex(self.variable)}$: holds.")
        elif not self.inner_sizes_agree:
            verdict = "A column count differs from the next row count: the product is not defined. FAILS."
        else:
            verdict = f"The product is not {shape}, the shape of ${latex(self.variable)}$. FAILS."
        return ("\n\nShape check of $" + product + "$:\n\\begin{align*}\n" + " \\\\\n".join(lines)
                + "\n\\end{align*}\n" + verdict + "\n\n")


def _d(name: str) -> Symbol:
    """dL/d(name) as a printed symbol (for a matrix or vec(.) variable, where SymPy has no derivative)."""
    return Symbol(rf"\frac{{\partial L}}{{\partial {name}}}")


def _m(value, source=NOTATION) -> Math:
    return Math(value, source)






def _shape(*sizes) -> Math:
    """The shape a x b x ... of an array, from its size objects."""
    return Math(Verbatim(r" \times ".join(latex(size) for size in sizes)), NOTATION)


_LETTERS = re.compile(r"(?<![\w’'\\-])([GXWLYncuvo])(?![\w’'-])")
"""Single letters that name a matrix (G, X, W, L, Y) or an index (n, c, u, v, o) when they stand alone in prose."""


def _letters(text: str) -> list:
    """Prose with its standalone symbol letters (G, X, n, ...) as formulas, so no symbol is set upright."""
    parts = []
    for k, piece in enumerate(_LETTERS.split(text)):
        if k % 2:
            parts.append(Math(Symbol(piece), NOTATION))
        elif piece:
            parts.append(piece)
    return parts


def _t(*parts) -> Text:
    """A paragraph whose non-string parts are formulas (SymPy objects) restating displayed ones; a symbol
    letter standing alone in the prose (G, X, n, ...) is set as a formula too."""
    return paragraph(_letters, *parts)


# ---------------------------------------------------------------------------------------------- the layer

_LAYER = "Convolution layer"
_DILATED = "Dilated upstream gradient"


def _layer_section() -> Section:
    n, o, u, v = general.n, general.o, general.u, general.v
    equation_source = Source("seed", "seed 003, multi-channel form y = sum_i x_i * w_i (cross-correlation); "
                                     "seed 004's display (3), first line: S = W phi(pad(Z)) + b 1^T")
    sizes = Source("definition", "the numeric rule output_size run on symbols")
    outputs = tuple(
        Equation(out, conv_rules.output_size(size, kernel, general.STRIDE, general.PAD, general.DIL), "", sizes)
        for out, size, kernel in ((general.H_OUT, general.H, general.K_H), (general.W_OUT, general.W, general.K_W)))
    g, hat = general.g, general.g_extended
    dilated = Equation(hat[n, o, general.dilated_position(u, general.STRIDE), general.dilated_position(v, general.STRIDE)],
                       g[n, o, u, v], "", Source("definition", "the dilation of G used by the dX theorem"))
    return Section("The layer", (
        _t("PyTorch's convention, which seed 003 calls cross-correlation: the input ", Symbol("X"), " is ",
           _shape(general.N, general.C, general.H, general.W), " (batch, channels, image), the weight ", Symbol("W"),
           " is ", _shape(general.O, general.C, general.K_H, general.K_W), ", the bias ", Symbol("b"), " has ",
           general.O, " entries and the output ", Symbol("Y"), " is ",
           _shape(general.N, general.O, general.H_OUT, general.W_OUT), "; zero padding ", general.PAD, ", stride ",
           general.STRIDE, ", dilation ", general.DIL, "; indices from 1. The sample index ", n, " runs from 1 to ",
           general.N, " (", general.H, " and ", general.W, " are the image's sizes, not this index). The upstream gradient ",
           _m(Verbatim(r"G = \partial L / \partial Y")), " has the shape of ", Symbol("Y"), "."),
        Theorem("definition", _LAYER, (
            Text.of("Each output entry is"),
            Equation(IndexedBase("y")[n, o, u, v], general.equation(n, o, u, v), "", equation_source),
            Text.of("where input entries outside the image (rows 1 to ", _m(general.H), ", columns 1 to ",
                    _m(general.W), ") read as 0: that is the zero padding. The output image has"),
            Aligned(outputs),
            Text.of("rows and columns (PyTorch’s sizes; the theorems below hold for any output size)."),
            Text.of("Seed 003 writes the same layer as ",
                    Math(Verbatim(r"y_{(s,j)} = \sum_{i} x_{(s,i)} \star w_{(j,i)}"),
                         Source("seed", "seed 003, multi-channel form: y_(s,j) = sum_i x_(s,i) * w_(j,i)")),
                    " with ", _m(Verbatim(r"\star")), " the cross-correlation (the bias left out): its sample ",
                    _m(Symbol("s")), ", input channel ", _m(Symbol("i")), " and output channel ", _m(Symbol("j")),
                    " are ", _m(general.n), ", ", _m(general.c), " and ", _m(general.o), " here, where ",
                    _m(general.STRIDE), " is the stride."),
        )),
        Theorem("definition", _DILATED, (
            _t(general.g_extended, " is ", Symbol("G"), " with ", general.STRIDE - 1, " zeros inserted between "
               "neighbouring entries, and 0 at every other integer position (inside or outside its range):"),
            dilated,
        )),
        Text.of("The layer computes ", _dl("X"), " as seed 004 writes it (a matrix product, then col2im, the "
                "transpose of im2col, then the padding cropped) and also, as seed 003 writes it, as a transposed convolution; "
                "both are compared with the theorems below."),
    ))


# ------------------------------------------------------------------------------------ general sizes

_FIRST_STEP = "chain rule; derivative of " + ref("definition", _LAYER)


def _bar(letter: str) -> Symbol:
    """A summation index renamed where the entry's own index has its letter (printed with a bar)."""
    return Symbol(rf"\bar{{{letter}}}", integer=True)


def _sift(subject) -> Text:
    """The justification of the sifting step, naming the sums it removes (as formulas)."""
    removed = {"input": (_bar("n"), _bar("c"), Symbol("u"), Symbol("v")),
               "weight": tuple(_bar(letter) for letter in "ocpq"), "bias": (_bar("o"),)}[subject]
    parts = ["sifting removes "]
    for k, index in enumerate(removed):
        parts += [", "] * (k > 0) + [Math(index, PROSE)]
    return Text(tuple(parts) + (("; " + ref("definition", _DILATED),) if subject == "input" else ()))


def _closing(subject) -> Text:
    """The sentence after each derivation: the index-to-tensor step (which operation the last sum is)."""
    s_, p_, d_ = general.STRIDE, general.PAD, general.DIL
    i, p, u = (Symbol(name, integer=True) for name in "ipu")
    k_h, k_w = general.K_H, general.K_W
    if subject == "input":
        q = Symbol("q", integer=True)
        p_t, q_t = Symbol(r"\tilde{p}", integer=True), Symbol(r"\tilde{q}", integer=True)
        return _t(
            "In the second step the deltas on n and c remove the sums over ", _bar("n"), " and ", _bar("c"),
            "; the delta on the row pins u to the one value with ",
            Verbatim(latex(s_ * (u - 1)) + " = " + latex(i + p_ - 1 - d_ * (p - 1))),
            ", which exists only when ", s_, " divides the right-hand side and the value lies in the output image: ",
            general.g_extended, " (" + ref("definition", _DILATED) + ") is G there and 0 otherwise; likewise for v. The last step renames "
            "the kernel indices by their reflections ", Verbatim(latex(p_t) + " = " + latex(k_h + 1 - p)), " and ",
            Verbatim(latex(q_t) + " = " + latex(k_w + 1 - q)), ", which map ", Verbatim(r"1, \ldots, " + latex(k_h)),
            " and ", Verbatim(r"1, \ldots, " + latex(k_w)), " onto themselves. The last sum is entry ",
            Verbatim("(n, c, i, j)"), " of the correlation, at stride 1 and dilation ", d_, ", of ",
            general.g_extended, " zero padded by ", d_ * (k_h - 1) - p_, " rows and ", d_ * (k_w - 1) - p_,
            " columns (a negative amount crops), with the kernel rotated by 180 degrees and its two channel axes "
            "swapped: ", Derivative(L, Symbol("X")), " is the transposed convolution of G with W, seed 003’s "
            "“backward pass: (transposed) convolution”.")
    if subject == "weight":
        return _t(
            "The last sum is entry ", Verbatim("(o, c, p, q)"), " of the correlation of the zero-padded input with G "
            "at stride ", d_, " and dilation ", s_, " (stride and dilation exchanged), summed over the batch: seed "
            "003’s “weight update: (large-size) convolution” of the padded input with G.")
    return _t("The last sum adds up the entries of channel o of G over the batch and the output image.")


_TITLES = {"input": "Input gradient at every size", "weight": "Weight gradient at every size",
           "bias": "Bias gradient at every size"}
_VARIABLES = {"input": ("x", "X", (general.N, general.C, general.H, general.W)),
              "weight": ("w", "W", (general.O, general.C, general.K_H, general.K_W)),
              "bias": ("b", "b", (general.O,))}


GEOMETRY = Source("definition", "the sizes at which a check was run")


def _geometry_parts(geometry: ConvGeometry) -> tuple:
    """A geometry as prose with formulas: N = 2, C = 2, O = 2, image 5 × 6, kernel 2 × 3, s = 2, P = 1, d = 2."""
    g = geometry
    k_h, k_w = g.kernel_hw
    pieces = [(general.N, g.batch), (general.C, g.in_channels), (general.O, g.out_channels)]
    parts = []
    for symbol, value in pieces:
        parts += [Math(Verbatim(f"{latex(symbol)} = {value}"), GEOMETRY), ", "]
    parts += ["image ", Math(Verbatim(rf"{g.height} \times {g.width}"), GEOMETRY), ", kernel ",
              Math(Verbatim(rf"{k_h} \times {k_w}"), GEOMETRY)]
    for symbol, value in ((general.STRIDE, g.stride), (general.PAD, g.padding), (general.DIL, g.dilation)):
        parts += [", ", Math(Verbatim(f"{latex(symbol)} = {value}"), GEOMETRY)]
    return tuple(parts)


def _geometries_parts(geometries) -> tuple:
    """Several geometries, separated by semicolons."""
    parts = []
    for k, geometry in enumerate(geometries):
        parts += ["; "] * (k > 0) + list(_geometry_parts(geometry))
    return tuple(parts)


def _scope(proof) -> Text:
    if proof.refuting_instance is not None:
        geometry, (index, closed, numeric) = proof.refuting_instance
        refuted = Source("check", "the closed form evaluated against the numeric rule (a counterexample)")

        def value(v) -> Math:
            """A symbolic entry value, its array entries x[0,1,...] printed 1-based as subscripts x_{1,2,...}."""
            text = re.sub(r"(\w)\[(\d+(?:,\d+)*)\]",
                          lambda m: m.group(1) + "_{" + ",".join(str(int(k) + 1) for k in m.group(2).split(",")) + "}",
                          latex(sympify(v)))
            return Math(Verbatim(text), refuted)

        entry = Math(Verbatim("(" + ", ".join(str(int(k) + 1) for k in index) + ")"), refuted)
        return Text(("REFUTED at ",) + _geometry_parts(geometry) + (
            ", entry ", entry, " (from 1): the closed form gives ", value(closed), ", the numeric rule ", value(numeric),
            ". The closed form is wrong.",))
    agree = ("The derivation's normal form equals the closed form's for every size" if proof.normal_forms_agree
             else "Not decided: the normal forms DIFFER, and no evaluated instance refutes the closed form")
    return Text(("Scope: ", _m(general.N), ", ", _m(general.C), ", ", _m(general.O), ", the image, the kernel, ",
                 _m(general.STRIDE), ", ", _m(general.PAD), " and ", _m(general.DIL), " are symbols, so the proof "
                 "covers every size; it uses the scalar equation only for outputs inside the output image, so it "
                 f"holds whatever output size is chosen. {agree} (exact); the closed form, evaluated at ")
                + _geometries_parts(geometry for geometry, _ in proof.instances)
                + (", equals the numeric rule it names, entry by entry (exact).",))


def _theorem(proof) -> Theorem:
    subject = proof.subject
    symbol, name, expected = _VARIABLES[subject]
    rename = general.free_renaming(proof)
    entry = proof.left.xreplace(rename)
    lhs = Derivative(L, entry)
    source = Source("check", f"general-size proof of the conv2d {subject} gradient", proof.holds is True)
    closed = general.readable(proof.closed_form, rename)
    rows = [(general.readable(proof.chain, rename), _FIRST_STEP, source),
            (general.readable(proof.left_normal, rename), _sift(subject), source)]
    if subject == "input":
        rows.append((closed, "reflection of both kernel indices (below)", source))
    else:
        rows[-1] = (closed, _sift(subject), source)
    indices = entry.indices
    sizes = tuple(proof.ranges[old][1] for old in proof.left.indices)
    return Theorem(
        "theorem", _TITLES[subject],
        (_t("For every size, stride, padding and dilation, the gradient of L with respect to ", Symbol(name), " is"),
         Equation(lhs, closed, "", source)),
        (_steps(lhs, tuple(rows)),
         _closing(subject),
         TensorShapeCheck(Derivative(L, Symbol(name)), name, indices, sizes, expected),
         _scope(proof)),
    )


def _general_section(proofs) -> Section:
    blocks = [Text.of(
        "Each theorem is proved by ONE derivation from " + ref("definition", _LAYER) + ": the chain rule sums over every output entry "
        "(a summation index carries a bar where the gradient's entry already uses its letter), the derivative of the scalar equation is a product of Kronecker deltas, and "
        "sifting removes the sums they pin. The displayed expressions are the proof's own objects: the checker "
        "puts the derivation and the closed form in one normal form and compares them exactly, for every size; "
        "and it evaluates the closed form at two concrete geometries (stride 2 and 3, padding 1 and 2, "
        "dilation 2, rectangular kernels) against the numeric rule of the layer, written independently.")]
    blocks += [_theorem(proof) for proof in proofs]
    return Section("General sizes: any stride, padding, dilation and kernel", tuple(blocks))


# --------------------------------------------------------------------------------- worked example

WORKED_X = ((1, 2, 0), (3, 1, 2), (0, 1, 1))
WORKED_W = ((1, -1), (2, 0))
WORKED_B = (1,)
WORKED_G = ((1, 2), (-1, 1))


def worked_example(proofs):
    """The small-integer example (3 × 3 image, 2 × 2 kernel, stride 1, no padding) through the run's proofs."""
    return general.worked_example(
        proofs, np.array(WORKED_X)[None, None], np.array(WORKED_W)[None, None], np.array(WORKED_B),
        np.array(WORKED_G)[None, None])


def _grid(array) -> Matrix:
    return Matrix(np.asarray(array).reshape(array.shape[-2], array.shape[-1]).tolist())


def _worked_section(example) -> Section:
    check = {name: Source("check", f"worked example: the {name} by the closed form equals the numeric rule",
                          example.agrees[name]) for name in example.agrees}
    chosen = Source("definition", "the worked example's chosen integers")
    rows = (
        Equation(Tuple(Symbol("X"), Symbol("W"), Symbol("b")), Tuple(_grid(example.x), _grid(example.weight),
                                                                      int(example.bias[0])),
                 Text.of("chosen; ", Math(Verbatim("N = C = O = 1"), chosen), ", ",
                         Math(Verbatim("s = d = 1"), chosen), ", ", Math(Verbatim("P = 0"), chosen)), chosen),
        Equation(Symbol("Y"), _grid(example.y), ref("definition", _LAYER) + "; equals the numeric forward rule", check["forward"]),
        Equation(Symbol("G"), _grid(example.grad_output), "chosen upstream gradient", chosen),
        Equation(Derivative(L, Symbol("X")), _grid(example.gradients["input"]),
                 ref("theorem", _TITLES["input"]) + "; equals the numeric rule", check["input"]),
        Equation(Derivative(L, Symbol("W")), _grid(example.gradients["weight"]),
                 ref("theorem", _TITLES["weight"]) + "; equals the numeric rule", check["weight"]),
        Equation(Derivative(L, Symbol("b")), Matrix([int(example.gradients["bias"][0])]),
                 ref("theorem", _TITLES["bias"]) + "; equals the numeric rule", check["bias"]),
    )
    k = np.asarray(example.weight).shape[-1]
    g_grid = np.asarray(example.grad_output)[0, 0]
    g_rows, g_cols = g_grid.shape
    corner = np.asarray(example.x)[0, 0, :g_rows, :g_cols]
    products = " + ".join(rf"{a} \cdot {b}" if b >= 0 else rf"{a} \cdot ({b})" for a, b in zip(corner.flat, g_grid.flat))
    corner_sum = Math(Verbatim(f"{products} = {int(example.gradients['weight'][0, 0, 0, 0])}"), check["weight"])
    entry = {name: Math(Verbatim(rf"\left(\partial L / \partial {name}\right)_{{{i},{j}}}"), NOTATION)
             for name, (i, j) in (("W", (1, 1)), ("X", (2, 2)))}
    padding = Math(Verbatim(f"{latex(general.K_H)} - 1 - {latex(general.PAD)} = {k - 1}"), check["input"])
    verdict = "all four agree" if example.holds else "they DISAGREE: " + ", ".join(
        name for name, ok in example.agrees.items() if not ok)
    return Section("A worked example with small integers", (
        Theorem("example", "3 × 3 image, 2 × 2 kernel", (
            Text.of("Every number below is computed twice: by the theorems’ closed forms evaluated at these "
                    "integers, and by the layer’s numeric rules (forward, ", _dl("X"), ", ", _dl("W"), ", ",
                    _dl("b"), f"); {verdict}, exactly."),
            Aligned(rows),
            _t("For instance ", entry["W"], " is the correlation of X with G, the sum of the products of the "
                    f"entries of G with those of X’s top-left {g_rows} × {g_cols} corner: ", corner_sum,
                    ". And ", _dl("X"), " is G zero padded by ", padding, " (the padding of " + ref("theorem", _TITLES["input"]) + " at ", Math(Verbatim("d = 1"), chosen), "), correlated with the rotated kernel; the "
                    "window for ", entry["X"], " is boxed:"),
            KernelFlipFigure(tuple(map(tuple, _grid(example.grad_output).tolist())),
                             tuple(map(tuple, _grid(example.weight).tolist())), 0, (1, 1),
                             "The transposed convolution of the example (" + ref("theorem", _TITLES["input"])
                             + " with unit stride and dilation)."),
        )),
    ))


# ------------------------------------------------------------------------------- the grid

def _values(geometries, read) -> list:
    return sorted({read(g) for g in geometries})


def _listed(values) -> str:
    return ", ".join(str(value) for value in values)


def _dl(name: str) -> Math:
    """dL/d(name) as an inline formula (the gradient of the loss with respect to X, W or b)."""
    return Math(Verbatim(rf"\partial L / \partial {name}"), NOTATION)


def _times(*sizes) -> Math:
    return Math(Verbatim(r" \times ".join(str(size) for size in sizes)), GEOMETRY)


def _count(factors) -> Math:
    """2 · 2 · 3 = 12: a count of combinations, computed from the value lists."""
    return Math(Verbatim(r" \cdot ".join(str(f) for f in factors) + f" = {int(np.prod(factors))}"), GEOMETRY)


def grid_description(grid) -> tuple:
    """The configuration grid as prose: the square kernels at every combination of the other axes and the
    rectangular kernels each at one batch/channel setting, with the counts computed from the geometries
    (so "208 configurations" adds up: issue 14, a student read 320 into a flat list of values)."""
    square = [g for g in grid if g.kernel_hw[0] == g.kernel_hw[1]]
    rectangular = [g for g in grid if g.kernel_hw[0] != g.kernel_hw[1]]
    axes = (("batch", lambda g: g.batch), ("input channels", lambda g: g.in_channels),
            ("output channels", lambda g: g.out_channels), ("stride", lambda g: g.stride),
            ("padding", lambda g: g.padding), ("dilation", lambda g: g.dilation))
    kernels = _values(square, lambda g: g.kernel_hw[0])
    factors = [len(_values(square, read)) for _, read in axes] + [len(kernels)]
    parts = ["the square kernels "]
    for k, size in enumerate(kernels):
        parts += [", "] * (k > 0) + [_times(size, size)]
    parts += [" with "]
    every = int(np.prod(factors)) == len(square)
    parts += ["every combination of " if every else f"{len(square)} of the combinations of "]
    parts += ["; ".join(f"{name} {_listed(_values(square, read))}" for name, read in axes), " ("]
    parts += [_count(factors), " configurations)"]
    if rectangular:
        parts += [", and the rectangular kernels "]
        shapes = _values(rectangular, lambda g: g.kernel_hw)
        for k, shape in enumerate(shapes):
            same = [g for g in rectangular if g.kernel_hw == shape]
            settings = sorted({(g.batch, g.in_channels, g.out_channels) for g in same})
            parts += ([" and "] if k == len(shapes) - 1 else [", "]) * (k > 0) + [_times(*shape), " ("]
            for j, (n_, c_, o_) in enumerate(settings):
                parts += ["; "] * (j > 0) + [Math(Verbatim(f"N = {n_},\\ C = {c_},\\ O = {o_}"), GEOMETRY)]
            parts += [")"]
        rect_factors = [len(shapes)] + [len(_values(rectangular, read)) for _, read in axes[3:]]
        rect_every = int(np.prod(rect_factors)) == len(rectangular)
        parts += [", each at " + ("every" if rect_every else "some") + " stride, padding and dilation above ("]
        parts += [_count(rect_factors), ")"]
    images = _values(grid, lambda g: (g.height, g.width))
    parts += ["; ", str(len(grid)), " configurations in all, on "]
    for k, (height, width) in enumerate(images):
        parts += [", "] * (k > 0) + [_times(height, width)]
    parts += [" images."]
    return tuple(parts)


def _grid_section(results) -> Section:
    grid = [result.geometry for result in results]
    failures = [r for r in results if not r.holds]
    grads = (_dl("X"), ", ", _dl("W"), " and ", _dl("b"))
    verdict = ((f"All {len(results)} configurations hold: ",) + grads + (
        " derived from the scalar equations equal the numeric rules entry by entry (", _dl("X"),
        " in both forms, col2im and transposed convolution).",)
        if not failures
        else (f"{len(failures)} of {len(results)} configurations FAIL, the first: ",)
        + _geometry_parts(failures[0].geometry) + (".",))
    description = (("Independently of the theorems: ",) + grid_description(grid) + (
        " The scalar equation is instantiated with a distinct symbol in every entry, the chain rule gives ",)
        + grads + (", and the numeric rules, run on the same symbols, are compared exactly. ",) + verdict)
    return Section("Concrete sizes: the grid of configurations", (Text(description),))


# ------------------------------------------------------------------------------- seed 003

def _mat(expr) -> Verbatim:
    """mat(expr): a vector read back as the matrix it stacks (seed 004)."""
    return Verbatim(r"\operatorname{mat}\left(" + latex(expr) + r"\right)")


def _printed_eq(lhs, rhs, transpose=False) -> Math:
    """lhs = rhs inline (a vector read row by row printed as a transposed row)."""
    right = latex(rhs) + ("^{T}" if transpose else "")
    return Math(Verbatim(f"{latex(lhs)} = {right}"), PROSE)


class _T(Transpose):
    """A transpose printed with parentheses around its argument (a fraction such as dL/dy)."""

    def _latex(self, printer):
        return r"\left(" + printer._print(self.arg) + r"\right)^{T}"


_WEIGHT003 = "Seed 003: the weight gradient is a correlation of the padded input with the upstream gradient"


def _seed003_section(e) -> Section:
    route = e.route
    step = {name: Source("check", f"seed 003 at the 3 × 3 example: {name}", ok) for name, ok in route.items()}
    # Names: the seed's M (the kernel read row by row) and Q keep theirs; the seed's unnamed 9 x 9 matrix is A;
    # the upstream gradient read row by row is dL/dy (g and the Greek letters are the seed's entries).
    a, q = MatrixSymbol("A", 9, 9), MatrixSymbol("Q", 9, 9)
    x, y, kv = (MatrixSymbol(name, 9, 1) for name in ("x", "y", "M"))
    gy = MatrixSymbol(r"\frac{\partial L}{\partial y}", 9, 1)
    big_g, d_y = MatrixSymbol("G", 3, 3), MatrixSymbol("dY", 3, 3)
    dx, dy, dm = MatrixSymbol("dx", 9, 1), MatrixSymbol("dy", 9, 1), MatrixSymbol("dM", 9, 1)
    p_i, q_i, u_i, v_i = (Symbol(name, integer=True) for name in "pquv")
    rotated = Source("check", "seed 003: A^T is the rotated-kernel convolution", e.transpose_is_rotated_convolution)
    greek = Matrix([Symbol(name) for name in conv_matrix.OUTPUT_NAMES])
    names = Source("seed", "seed 003, backward pass as a matrix mult.: inputs a, ..., i, outputs alpha, ..., kappa, "
                           "the column of dL/dalpha, ..., dL/dkappa")
    intro = (
        _t("Seed 003 writes the convolution of a 3 × 3 input with a 3 × 3 kernel, zero padding 1, as a product "
           "with a 9 × 9 matrix, and reads the backward pass off its transpose. Read row by row, the input, the "
           "output and the upstream gradient are"),
        Aligned(tuple(Equation(lhs, Verbatim(latex(row) + "^{T}"), "", names)
                      for lhs, row in ((x, e.x.T), (y, greek.T), (gy, e.grad_output.T)))),
        _t("with ", Verbatim(r"G_{uv}"), " the seed’s ", Derivative(L, Symbol("alpha")), ", …, ",
           Derivative(L, Symbol("kappa")), ", that is, G is ", Derivative(L, Symbol("Y")), " for ", Symbol("Y"),
           ", the output ", y, " arranged as a 3 × 3 image. The order in which a flattened image lists its pixels is a free "
           "choice, provided the forward pass and its gradients use the same one: this document flattens row by "
           "row, as seed 003 lists a, b, c first; network.pdf flattens seed 002’s image column by column (the "
           "vec that its pooling matrix multiplies). Names: the seed’s kernel vector ", kv, " and its matrix ", q,
           " keep their names; the 9 × 9 matrix the seed writes without a name is called ", a, " here; the "
           "letters ", Symbol("g"), ", ", Symbol("delta"), " and ", Symbol("epsilon"), " are the seed’s input and "
           "output entries in this section (not the upstream gradient or a Kronecker delta). The bias, which "
           "adds ", Symbol("b"), " to every output, is left out as in the seed. ", a, " and ", q, " below are the "
           "Jacobians of the scalar equations (" + ref("definition", _LAYER) + "), computed, not typed in."),
    )
    lemma = Theorem("lemma", "Seed 003: the convolution is a matrix product", (
        Equation(y, MatMul(a, x), ref("definition", _LAYER) + ": each output is linear in the input", step["y = M x"]),
        _t("where ", a, ", the Jacobian of the outputs with respect to the input, is drawn below."),
    ))
    band = BandFigure(e.conv_matrix, Text.of(
        _m(a, step["y = M x"]), " (zeros as dots): each row holds the kernel, shifted with the output position; "
        "the rows of border outputs lose the taps that fall on the padding."))
    backward = Theorem("theorem", "Seed 003: the backward pass is the transpose", (
        Equation(Derivative(L, x), MatMul(Transpose(a), gy), "", step["dL/dx = M^T g (the chain rule)"]),
    ), (
        _steps(Symbol("dL"), (
            (Trace(MatMul(Transpose(big_g), d_y)), _t("definition of G: ", Verbatim("dL"), " sums G times ", Verbatim("dY"), " entrywise"),
             step["tr(G^T dY) = g^T dy"]),
            (MatMul(_T(gy), dy), "a trace of a transposed product sums entrywise products",
             step["tr(G^T dY) = g^T dy"]),
            (MatMul(_T(gy), a, dx), Text.of(_m(Verbatim(r"dy = A\, dx"), step["y = M x"]), " (" + ref("lemma", "Seed 003: the convolution is a matrix product") + ")"),
             step["y = M x"]),
            (MatMul(Transpose(MatMul(Transpose(a), gy)), dx), "transpose of a product",
             step["dL/dx = M^T g (the chain rule)"]),
        )),
        _t("The gradient is the vector that multiplies ", dx, ", so ", Derivative(L, x), " = ",
           MatMul(Transpose(a), gy), "; it equals the chain rule applied to the nine scalar equations, exactly. "
           "(The seed writes the row form ",
           Math(Verbatim(latex(Derivative(L, Symbol("X"))) + " = " + latex(Derivative(L, Symbol("Y"))) + " W"),
                Source("seed", "seed 003, Y = WX + b: dL/dX = dL/dY W (row layout)")),
           " for a product ", Math(Verbatim("Y = W X"), Source("seed", "seed 003, Y = WX + b")),
           "; the line above is its transpose, in the denominator layout.)"),
    ))
    flip = Theorem("lemma", "Seed 003: the transpose is a convolution with the rotated kernel", (
        _t(Transpose(a), " is the matrix of the correlation of G, zero padded by 1, with the kernel rotated by 180 "
           "degrees:"),
        Equation(Transpose(a), Dotted(e.rotated_matrix), "", rotated),
    ), (
        _t("This is " + ref("theorem", _TITLES["input"]) + " at ", Verbatim("s = d = 1"), ", ", Verbatim("P = 1"), ", ",
           Verbatim(f"{latex(general.K_H)} = {latex(general.K_W)} = 3"), ": ", general.g_extended,
           " is G and the padding ", general.DIL * (general.K_H - 1) - general.PAD, " is 1. The right-hand matrix "
           "is computed from the numeric rule (the rotated kernel correlated with a symbolic G), independently of ",
           a, ", and equals the transpose of ", a, " entry by entry. Below, with integers (seed 003’s picture; "
           "G and the kernel chosen, the window of entry ", Verbatim("(2, 1)"), " boxed)."),
    ))
    flip_figure = KernelFlipFigure(((1, 2, 0), (3, 1, 2), (0, 1, 1)), ((1, 2, 0), (0, 1, 3), (2, 0, 1)), 1, (1, 0),
                                   "The correlation of the zero-padded upstream gradient with the rotated kernel gives the input "
                                   "gradient (the numeric rule’s value).")
    weight_grid = IndexedBase(r"\left(\frac{\partial L}{\partial W}\right)")
    # the padded input is X_pad, not x with a tilde: the tilde marks the reflected kernel index (Theorem 3)
    padded = IndexedBase(r"\left(X_{\mathrm{pad}}\right)")
    weight = Theorem("theorem", _WEIGHT003, (
        Text.of("The seed’s kernel vector is the kernel read row by row,"),
        Equation(kv, Verbatim(latex(e.weight.T) + "^{T}"), "",
                 Source("seed", "seed 003, weight update: M = (w11, w12, ..., w33)^T")),
        _t("and ", y, " = ", MatMul(q, kv), " for"),
        Equation(q, Dotted(e.weight_matrix), "", step["y = Q m"]),
        _t("and ", _m(Derivative(L, kv), step["dL/dm = Q^T g (the chain rule)"]), " = ",
                _m(MatMul(Transpose(q), gy), step["dL/dm = Q^T g (the chain rule)"]),
                ", which, arranged as 3 × 3, is the correlation of the zero-padded input with G: for ",
                _m(Verbatim(r"p, q = 1, 2, 3")), ","),
        Equation(Indexed(weight_grid, p_i, q_i),
                 Sum(Indexed(IndexedBase("G"), u_i, v_i) * Indexed(padded, u_i + p_i - 1, v_i + q_i - 1),
                     (v_i, 1, 3), (u_i, 1, 3)), "", step["Q^T g = the correlation of the padded input with G"]),
        _t("where ", Symbol(r"X_{\mathrm{pad}}"), ", the 3 × 3 input zero padded by 1, and, for instance, the "
           "centre entry are"),
        Aligned((Equation(Symbol(r"X_{\mathrm{pad}}"), e.padded_input, "zero padding by 1",
                          Source("definition", "zero padding by 1 (pad2d)")),
                 Equation(Indexed(weight_grid, 2, 2), e.grad_weight_grid[1, 1], "the chain rule",
                          step["dL/dm = Q^T g (the chain rule)"]))),
    ), (
        _steps(Symbol("dL"), (
            (MatMul(_T(gy), dy), "as in the backward pass", step["tr(G^T dY) = g^T dy"]),
            (MatMul(_T(gy), q, dm), Text.of(_m(Verbatim(r"dy = Q\, dM"), step["y = Q m"]),
                                            ": the output is linear in the kernel"), step["y = Q m"]),
            (MatMul(Transpose(MatMul(Transpose(q), gy)), dm), "transpose of a product",
             step["dL/dm = Q^T g (the chain rule)"]),
        )),
        _t("so ", Derivative(L, kv), " = ", MatMul(Transpose(q), gy), "; it equals the chain rule applied to the "
           "nine scalar equations, and the correlation above computed by the numeric rule on symbols, exactly: "
           "seed 003’s “weight update: (large-size) convolution”."),
    ))
    return Section("Seed 003: a 3 × 3 input, a 3 × 3 kernel, zero padding 1, as matrix products",
                   (*intro, lemma, band, backward, flip, flip_figure, weight, _update_theorem(e, kv, q, gy)))


def _elementwise_section() -> Section:
    """Seed 003's element-wise case in its own section: its x, y and Kronecker delta are not the names of
    the 3 x 3 example's section (which promises that its delta is an entry, not a Kronecker delta)."""
    return Section("Seed 003: the element-wise case", (
        _t("In this section ", Verbatim("x_j"), " and ", Verbatim("y_j"), " are entries of vectors of any length "
           "(not the 3 × 3 example's) and ", Verbatim(r"\delta_{ij}"),
           " is the Kronecker delta (1 if ", Verbatim("i = j"), ", else 0)."),
        _elementwise_lemma()))


def _update_theorem(e, kv, q, gy) -> Theorem:
    """Seed 003's weight update M_new = M_old - mu (dL/dM)^T: the transpose is the seed's numerator layout;
    in the denominator layout the step has no transpose, and the library's SGD step is exactly it."""
    checks = conv_matrix.update_checks(e)
    source = {name: Source("check", f"seed 003's update at the 3 × 3 example: {name}", ok) for name, ok in checks.items()}
    layout, transpose, sgd = (source[name] for name in checks)
    mu = Symbol("mu")
    new, old = MatrixSymbol(r"M^{\mathrm{new}}", 9, 1), MatrixSymbol(r"M^{\mathrm{old}}", 9, 1)

    def step(term) -> Verbatim:
        return Verbatim(f"{latex(old)} - {latex(mu)} {latex(term)}")

    seed_update = Source("seed", "seed 003, weight update: M_new = M_old - mu (dL/dM)^T")
    return Theorem("corollary", "Seed 003: the weight update", (
        _t("In the denominator layout ", Derivative(L, kv), " has the shape of ", kv, " (a 9 × 1 column), so a "
           "gradient step with learning rate ", mu, " is"),
        Equation(new, step(MatMul(Transpose(q), gy)), "", sgd),
        _t("with no transpose: it is the step the library’s SGD takes."),
    ), (
        _steps(new, (
            (step(_T(MatMul(_T(gy), q))), "seed 003’s update; its gradient is a row", seed_update),
            (step(MatMul(Transpose(q), gy)), "transpose of a product", transpose),
            (step(Derivative(L, kv)), ref("theorem", _WEIGHT003) + ", denominator layout", sgd),
        )),
        _t("Seed 003 writes ", Math(Verbatim(f"{latex(new)} = {latex(old)} - {latex(mu)} "
                                             + latex(_T(Derivative(L, kv)))), seed_update),
           " because its ", Derivative(L, kv), " is the row ", MatMul(_T(gy), q), " (numerator layout, from ",
           Math(Verbatim(r"\Delta L \simeq \frac{\partial L}{\partial M} \Delta M"),
                Source("seed", "seed 003, weight update: intuitive derivation")),
           "): a 1 × 9 row cannot be subtracted from the 9 × 1 column ", kv, ", and its transpose is ",
           MatMul(Transpose(q), gy), ", the gradient above. So both updates are the same vector. Checked exactly on "
           "the symbols of the example: the library’s SGD step (plain, learning rate ", mu, ", given the "
           "numeric rule’s weight gradient) moves the kernel to ", step(MatMul(Transpose(q), gy)), "."),
    ))


def _elementwise_lemma() -> Theorem:
    """Seed 003's element-wise case Y = phi(X), for a general differentiable phi, at a symbolic size m."""
    rule = conv_matrix.elementwise_rule()
    source = Source("check", "seed 003's element-wise rule: chain rule and sifting, normal forms equal for every m",
                    rule.holds)
    seed = Source("seed", "seed 003, Y = phi(X) case: dL/dx_i = phi'(x_i) dL/dy_i")
    j = Symbol("j", integer=True)
    x, y = IndexedBase("x"), IndexedBase("y")
    return Theorem("lemma", "Seed 003: the element-wise case", (
        _t("If ", Math(Verbatim(f"{latex(y[j])} = {latex(conv_matrix.phi(x[j]))}"), seed), " for ",
           Verbatim(rf"j = 1, \ldots, {latex(rule.size)}"), ", with ", Verbatim(r"\sigma"),
           " any differentiable function of one variable (seed 003 writes it ", Verbatim(r"\phi"), "; here it is ",
           Verbatim(r"\sigma"), ", the activation's letter in network.pdf, because ", Verbatim(r"\phi"),
           " is seed 004's im2col in the next section), then for every ", Verbatim(rf"i \le {latex(rule.size)}")),
        Equation(rule.entry, rule.closed, "", source),
    ), (
        _steps(rule.entry, (
            (rule.chain, "chain rule", source),
            (rule.differentiated, "derivative of the scalar equations", source),
            (rule.closed, "sifting", source),
        )),
        _t("The size ", rule.size, " and the function ", Verbatim(r"\sigma"), " are symbols, so this holds for "
           "every size and every differentiable activation; tanh and the sigmoid are instances, and ReLU away "
           "from 0 (at 0 these documents use the convention ", Verbatim(r"\operatorname{relu}'(0) = 0"), ")."
           + ("" if rule.holds else " NOT PROVED: the normal forms differ.")),
    ))


# ------------------------------------------------------------------------------- seed 004

_LINEAR = "Linear maps (seed 003's intuitive derivation)"


def _kron_transpose_holds() -> bool:
    """(A (x) B)^T = A^T (x) B^T, checked exactly on matrices of symbols (2 x 3 and 3 x 2, so no factor is
    square and a swapped order B^T A^T or A^T (x) B^T read as B^T (x) A^T would differ)."""
    a, b = Matrix(2, 3, lambda i, j: Symbol(f"a{i}{j}")), Matrix(3, 2, lambda i, j: Symbol(f"b{i}{j}"))
    return kronecker_product(a, b).T == kronecker_product(a.T, b.T) != kronecker_product(b.T, a.T)


_KRON_T = Text.of("the Kronecker product of the transposes, ", Math(Verbatim(
    latex(Transpose(KroneckerProduct(MatrixSymbol("A", 2, 3), MatrixSymbol("B", 3, 2)))) + " = "
    + latex(KroneckerProduct(Transpose(MatrixSymbol("A", 2, 3)), Transpose(MatrixSymbol("B", 3, 2))))),
    Source("check", "(A (x) B)^T = A^T (x) B^T on 2 x 3 and 3 x 2 matrices of symbols", _kron_transpose_holds())))
_PATCHES = "Seed 004: padding and patch matrices"


def _seed004_section(checks, fc_case) -> Section:
    tiny = checks[0]
    positions = general.H_OUT * general.W_OUT
    c_out, patch = general.O, general.C * general.K_H * general.K_W
    z_size = general.C * general.H * general.W
    padded_size = general.C * (general.H + 2 * general.PAD) * (general.W + 2 * general.PAD)
    w, b = MatrixSymbol("W", c_out, patch), MatrixSymbol("b", c_out, 1)
    phi = MatrixSymbol(r"\phi(\operatorname{pad}(Z))", patch, positions)
    grad = MatrixSymbol("G", c_out, positions)
    p_phi = MatrixSymbol(r"P_{\phi}", patch * positions, padded_size)
    p_pad = MatrixSymbol(r"P_{\mathrm{pad}}", padded_size, z_size)
    z = MatrixSymbol("Z", general.C, general.H * general.W)
    # identities with their sizes as subscripts, as seed 004 writes them (I_{a b} next to W, I_{d} next to b)
    ident_pos = MatrixSymbol(r"\mathcal{I}_{" + latex(positions) + "}", positions, positions)
    ident_out = MatrixSymbol(r"\mathcal{I}_{" + latex(c_out) + "}", c_out, c_out)
    one = MatrixSymbol(r"\mathbf{1}", positions, 1)
    bias_term = MatMul(KroneckerProduct(one, ident_out), b)
    ok = all(check.holds for check in checks)
    where = f"{len(checks)} geometries"
    steps = Source("check", f"seed 004: each step of the three derivations, exact at {where}",
                   ok and all(all(check.steps.values()) for check in checks))
    seed = {k: Source("seed", f"seed 004 ({k})") for k in (3, 4, 5)}
    form = {k: Source("check", f"seed 004 ({k}) against the scalar equations at {where}",
                      all(check.checks[f"seed 004 ({k})"] for check in checks)) for k in (4, 5)}
    operators = Source("check", "P_pad and P_phi: Jacobians of the layer's pad2d and im2col, 0/1 matrices",
                       all(check.checks["the padding matrix P_pad is a 0/1 matrix"]
                           and check.checks["the im2col matrix P_phi selects one entry per row"] for check in checks))
    vec_g = Vec(grad)
    a_m, b_m = MatrixSymbol("A", 2, 4), MatrixSymbol("B", 4, 3)
    blocks = [
        _t("Seed 004 writes one sample's convolution as a matrix product: ", Symbol("Z"), " is the input as a ",
           _shape(general.C, general.H * general.W), " matrix (row c is channel c, read row by row), ", Symbol("S"),
           " the ", _shape(c_out, positions), " output, ", Symbol("W"), " the ", _shape(c_out, patch),
           " weight, and ", Symbol("G"), " (in this section) the ", _shape(c_out, positions), " matrix ",
           _d("S"), " of one sample, entry ", Verbatim(r"(o, k)"), " the upstream gradient at channel ", Symbol("o"),
           " and output position ", Symbol("k"), " (read row by row). As ", Symbol("S"), " and ", Symbol("G"),
           " have the same shape and vec stacks the columns of both, ",
           Verbatim(latex(_d(r"\operatorname{vec}(S)")) + " = " + latex(vec_g)), ". Further:"),
        Theorem("definition", _PATCHES, (
            Aligned((
                Equation(Symbol(r"\operatorname{pad}(Z)"), _mat(MatMul(p_pad, Vec(z))), "", seed[3]),
                Equation(phi, _mat(MatMul(p_phi, Vec(MatrixSymbol(r"\operatorname{pad}(Z)", 2, 2)))),
                         _t("column ", Symbol("k"), ": the patch that output position ", Symbol("k"), " reads (im2col)"), seed[3]),
                Equation(Symbol("S"), InOrder(MatMul(w, phi), MatMul(b, Transpose(one))),
                         "seed 004's display (3), first line", seed[3]),
            )),
            _t(p_pad, " and ", p_phi, " are the Jacobians of the layer's own pad2d and im2col, applied to symbols; "
               "both are 0/1 matrices, ", p_phi, " with a single 1 per row. For a 2 × 2 image, a 2 × 2 kernel and "
               "padding 1 (", p_phi, " is 36 × 16 there, each row picking one entry of the padded 4 × 4 image):"),
            Equation(Transpose(MatrixSymbol(r"P_{\mathrm{pad}}", 16, 4)), Dotted(tiny.p_pad.T), "", operators),
        )),
        Text.of("The vec chain follows from seed 004's (3), first line, by seed 004's Kronecker identities (from here "
                "on, a number in parentheses is a display of seed 004)"),
        Aligned((Equation(Vec(MatMul(a_m, b_m)), MatMul(KroneckerProduct(MatrixSymbol(r"\mathcal{I}", 3, 3), a_m), Vec(b_m)),
                          "seed 004 (6)", Source("seed", "seed 004 (6)")),
                 Equation(Vec(MatMul(a_m, b_m)), MatMul(KroneckerProduct(Transpose(b_m), MatrixSymbol(r"\mathcal{I}", 2, 2)),
                                                         Vec(a_m)), "seed 004 (7)", Source("seed", "seed 004 (7)")))),
        _steps(Vec(MatrixSymbol("S", c_out, positions)), (
            (InOrder(Vec(MatMul(w, phi)), Vec(MatMul(b, one.T))), "seed 004's (3); vec is linear", seed[3]),
            (InOrder(MatMul(KroneckerProduct(ident_pos, w), Vec(phi)), bias_term),
             _t("(6) with ", Verbatim("A = W"), "; (7) with ", Verbatim("A = b"), ": seed 004 (4)"), form[4]),
            (InOrder(MatMul(KroneckerProduct(Transpose(phi), ident_out), Vec(w)), bias_term),
             _t("(7) with ", Verbatim("A = W"), ": seed 004 (5)"), form[5]),
        )),
    ]
    u_vec, v_vec = IndexedBase("u"), IndexedBase("v")
    # R of size m x l: A is seed 003's 9 x 9 matrix in section 5 and n is a sample index and image size
    a_mat, u_col, c_col = MatrixSymbol("R", 3, 2), MatrixSymbol("u", 2, 1), MatrixSymbol("c", 3, 1)
    i, j, m_size = Symbol("i", integer=True), Symbol("j", integer=True), Symbol("m", integer=True, positive=True)
    a = IndexedBase("R")
    lemma_seed = Source("seed", "seed 003, Y = WX + b: (dL/dX)^T = W^T (dL/dY)^T, by dL = dL/dY dY and dY = W dX")
    blocks.append(Theorem("lemma", _LINEAR, (
        _t("If ", Verbatim(latex(InOrder(MatMul(a_mat, u_col), c_col)).join(("v = ", ""))), " with ", a_mat,
           " of size ", Verbatim(r"m \times \ell"), " and ", c_col, " not depending on ", u_col, ", then ",
           Verbatim(latex(_d("u")) + " = " + latex(MatMul(Transpose(a_mat), _d("v")))), "."),
    ), (
        _steps(Derivative(L, u_vec[j]), (
            (Sum(Derivative(L, v_vec[i]) * Derivative(v_vec[i], u_vec[j]), (i, 1, m_size)), "chain rule", lemma_seed),
            (Sum(Derivative(L, v_vec[i]) * a[i, j], (i, 1, m_size)), _t("differentiate ", Verbatim("v = R u + c")),
             lemma_seed),
            (Indexed(IndexedBase(r"\left(R^{T} \frac{\partial L}{\partial v}\right)"), j),
             _t("entry ", j, " of a transposed matrix times a vector"), lemma_seed),
        )),
    )))
    ones_t = MatMul(KroneckerProduct(Transpose(one), ident_out), vec_g)
    derivations = (
        ("Seed 004: the weight gradient", _d(r"\operatorname{vec}(W)"), MatMul(grad, Transpose(phi)), _d("W"), (
            (MatMul(Transpose(KroneckerProduct(Transpose(phi), ident_out)), vec_g), _t(ref("lemma", _LINEAR) + " on (5), ", Verbatim(r"u = \operatorname{vec}(W)"))),
            (MatMul(KroneckerProduct(phi, ident_out), vec_g), _KRON_T),
            (Vec(MatMul(grad, Transpose(phi))), "(7) read backwards"),
        ), ShapeTable(((grad, c_out, positions), (Transpose(phi), positions, patch)), (c_out, patch), w)),
        ("Seed 004: the bias gradient", _d("b"), MatMul(grad, one), None, (
            (MatMul(Transpose(KroneckerProduct(one, ident_out)), vec_g), _t(ref("lemma", _LINEAR) + " on (5), ", Verbatim("u = b"))),
            (ones_t, _KRON_T),
            (MatMul(grad, one), "(7) read backwards"),
        ), ShapeTable(((grad, c_out, positions), (one, positions, 1)), (c_out, 1), b)),
        ("Seed 004: the input gradient through the padding and patch matrices", _d(r"\operatorname{vec}(Z)"),
         MatMul(Transpose(p_pad), Transpose(p_phi), Vec(MatMul(Transpose(w), grad))), None, (
            (MatMul(Transpose(MatMul(KroneckerProduct(ident_pos, w), p_phi, p_pad)), vec_g),
             ref("lemma", _LINEAR) + " on (4); the patches by " + ref("definition", _PATCHES)),
            (MatMul(Transpose(p_pad), Transpose(p_phi), KroneckerProduct(ident_pos, Transpose(w)), vec_g),
             "transpose of a product; transpose of a Kronecker product"),
            (MatMul(Transpose(p_pad), Transpose(p_phi), Vec(MatMul(Transpose(w), grad))), "(6) read backwards"),
        ), ShapeTable(((Transpose(p_pad), z_size, padded_size), (Transpose(p_phi), padded_size, patch * positions),
                       (Vec(MatMul(Transpose(w), grad)), patch * positions, 1)), (z_size, 1), Vec(z))),
    )
    for title, lhs, result, matrix_lhs, rows, shape in derivations:
        statement = [Equation(lhs, rows[-1][0], "", steps)]
        if matrix_lhs is not None:
            statement = [Equation(lhs, rows[-1][0], "", steps), Text.of("that is,"),
                         Equation(matrix_lhs, result, "", steps)]
        if lhs == _d(r"\operatorname{vec}(Z)"):  # the matrices in words: seed 004's route, which the layer takes
            statement.append(_t(
                "Read from right to left: column ", Symbol("k"), " of ", MatMul(Transpose(w), grad), " is the "
                "gradient of the patch that output position ", Symbol("k"), " reads; ", Transpose(p_phi), " adds each "
                "of its entries back at the padded-image position it was read from (col2im, the transpose of "
                "im2col), and ", Transpose(p_pad), " keeps the entries inside the image (the padding cropped)."))
        blocks.append(Theorem("theorem", title, tuple(statement), (
            _steps(lhs, tuple((rhs, why, steps) for rhs, why in rows)),
            shape,
        )))
    failed = sorted({name for c in checks for name, good in {**c.checks, **c.steps}.items() if not good})
    fc_phrases = {"P_phi P_pad is the identity": ("there ", Verbatim(latex(MatMul(p_phi, p_pad)) + r" = \mathcal{I}")),
                  "the conv weight gradient is the Linear layer's weight gradient":
                      ("the convolution’s weight gradient is the Linear layer’s",),
                  "every seed 004 statement holds in this case": ("every statement of seed 004 holds",)}
    fc_parts = []
    for k, (name, good) in enumerate(fc_case.items()):
        phrase = fc_phrases.get(name, (name,))
        fc_parts += [", "] * (0 < k < len(fc_case) - 1) + [" and "] * (k == len(fc_case) - 1 and k > 0)
        fc_parts += list(phrase) + ([] if good else [" (this check FAILS)"])
    blocks.append(_t(*(
        ("Scope: the three derivations use only (6), (7) and " + ref("lemma", _LINEAR) + ", which hold at every size; each displayed "
         f"step is checked exactly, as matrices of symbols, at {where} (",)
        + _geometries_parts(c.geometry for c in checks)
        + (") against the previous step and, for the last, against the chain rule applied to the scalar equations: "
           + ("every step holds." if not failed else "FAILS: " + "; ".join(failed) + ".")
           + " The matrices ", p_pad, " and ", p_phi, " depend on the sizes, so no single matrix identity covers "
           "every size; the general statements are " + refs("theorem", _TITLES["input"], _TITLES["weight"], _TITLES["bias"])
           + ". The FC layer is the "
           "special case of a 1 × 1 image and kernel, checked exactly: ")
        + tuple(fc_parts) + (".",))))
    return Section("Seed 004: the vector form with padding and patch matrices", tuple(blocks))


def conv_sections(run) -> tuple:
    """The document's sections with their references still markers (``document.ref``): a test plants a
    numbered block in front of them and checks that every reference moves with it (none is typed)."""
    proofs = [run.rule(f"conv2d.{gradient}").verdicts.general.evidence for gradient in ("input", "weight", "bias")]
    grid_results = run.rule("conv2d.input").verdicts.concrete.evidence
    evidence = run.statements.evidence
    example = worked_example({proof.subject: proof for proof in proofs})
    return (notation_section(), _layer_section(), _general_section(proofs), _worked_section(example),
            _seed003_section(evidence["seed003"]), _elementwise_section(),
            _seed004_section(evidence["seed004"], evidence["fc_special_case"]), _grid_section(grid_results))


def conv_document(run) -> Document:
    """The Conv2d proof from one run of the ``conv2d`` target: every verdict shown is that run's. Portrait
    pages (the second student read: landscape lines ran to about 230 characters)."""
    return number_references(Document("gradproof: Conv2d (seeds 003 and 004, PyTorch convention)",
                                      conv_sections(run), landscape=False))
