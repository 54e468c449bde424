"""How fc.pdf names things: the notation sheet's symbols, references to its numbered blocks, prose with symbols.

The symbolic layer equations name the sizes by role (PyTorch's batch layout: B, M, N); the notation sheet
(``proofs.notation``) says N is the batch and D_in, D_out a Linear layer's sizes. ``shown`` renames a SymPy
object's size symbols at render time (one simultaneous ``xreplace``), and the operands whose letters would mean
two things: the upstream gradient is G (g) in every layout, a loss's target T (t), never Y, a layer's output.
What is displayed is the checked object renamed, never retyped LaTeX. References are ``proofs.document.ref``
markers (``cite``), numbered by ``render`` from the block order. The classes here only print (``_latex``).
"""

from __future__ import annotations

from sympy import Derivative, Eq, Expr, IndexedBase, MatrixSymbol, OneMatrix, Symbol

from gradproof.proofs.document import Math, Source, Text, Title, Verbatim, latex, ref, refs
from gradproof.symbolic.engine.derive import J
from gradproof.symbolic.layers import fc


class Between(Expr):
    """1 <= p <= D_out, printed as one chain of inequalities (display only)."""

    def _latex(self, printer):
        low, index, high = (printer._print(arg) for arg in self.args)
        return rf"{low} \le {index} \le {high}"


class Position(Expr):
    """(p, q): an entry's indices in parentheses, as the prose writes a position (display only)."""

    def _latex(self, printer):
        return "(" + ", ".join(printer._print(arg) for arg in self.args) + ")"


def size_symbol(name: str) -> Symbol:
    return Verbatim(name, integer=True, positive=True)


DISPLAY_SIZES = {"batch": Symbol("N", integer=True, positive=True), "in": size_symbol(r"D_{\mathrm{in}}"),
                 "out": size_symbol(r"D_{\mathrm{out}}"), "features": Symbol("F", integer=True, positive=True)}
"""Role -> the notation sheet's symbol: N the batch, D_in and D_out a Linear layer's sizes."""

TITLES = {
    "linear": "Linear layer, the numeric layer's batch layout",
    "linear.weight": "gradient with respect to the weight; seed 000, seed 002 (1)",
    "linear.bias": "gradient with respect to the bias; seed 000, seed 002 (2)",
    "linear.input": "gradient with respect to the input; seed 000, seed 002 (3)",
    "relu": "ReLU, entry by entry",
    "relu.input": "ReLU; seed 002 (4), seed 003 (element-wise case)",
    "squared_loss": "Squared loss, summed over the batch",
    "squared_loss.prediction": "squared loss; seed 002, the start of the backward pass",
}
"""The titles of fc.pdf's numbered blocks by rule: a reference is ``ref(kind, title)`` (``proofs.document``),
numbered by ``render`` from the block order, never typed."""

KINDS = {"linear": "definition", "relu": "definition", "squared_loss": "definition"}


def cite(key: str) -> str:
    """A reference to fc.pdf's block for ``key`` (a rule name, or a definition's layer name); the corollaries'
    titles are their presentations' (``corollary_title``)."""
    if key in TITLES:
        return ref(KINDS.get(key, "theorem"), TITLES[key])
    return ref("corollary", corollary_title(key))


def corollary_title(name: str) -> str:
    """A seed layout's corollary title: its presentation's title, its weight shape "(in, out)" written as the
    notation sheet writes it, the formula D_in x D_out (a ``Title``: printed as math; its plain reading, "...,
    weight of shape D_in × D_out, ...", is the string ``cite`` and ``theorem_numbers`` name the block by)."""
    equations = {eqs.name: eqs for eqs in (fc.LINEAR_SEED000, fc.LINEAR_SEED001_SUM, fc.LINEAR_SEED001_MEAN)}[name]
    if "(in, out)" not in equations.title:
        return equations.title
    before, after = equations.title.split("(in, out)")
    shape = Verbatim(latex(DISPLAY_SIZES["in"]) + r" \times " + latex(DISPLAY_SIZES["out"]))
    return Title.of(before, Math(shape, NOTATION), after, text=f"{before}D_in × D_out{after}")


def linear_theorems() -> str:
    """"Theorems 2–4": the three Linear theorems as one reference (``refs``), numbered at render time."""
    return refs("theorem", *(TITLES[key] for key in ("linear.weight", "linear.bias", "linear.input")))


LOSS_OUTPUT = fc.SQUARED_LOSS.entry_functions()[fc.SQUARED_LOSS.output.key]()  # its output: the loss L itself
NOTATION = Source("definition", "notation sheet")
MEAN_LOSS = Symbol(r"\bar{L}")
"""Seed 001's averaged loss: L is the summed loss of its corollary, with upstream gradient G, and L-bar = L / N."""

SIZES = Source("definition", "sizes of the concrete check")


_LETTERS = {name: MatrixSymbol(name, 1, 1) for name in ("W", "X", "Y", "G", "S", "Z", "T", "b", "g", "x", "y", "t")}
_s = Symbol("s")
_MASK = MatrixSymbol(r"\mathbb{I}[S]", 1, 1)


class Entrywise(Expr):
    """relu(S): a scalar function applied entry by entry, printed as an operator (display only)."""

    def _latex(self, printer):
        name, argument = self.args
        return rf"\operatorname{{{name}}}({printer._print(argument)})"


class InlineDerivative(Expr):
    """dL/dW in running text: printed with a slash, not as a fraction (display only)."""

    def _latex(self, printer):
        top, below = (printer._print(arg) for arg in self.args)
        return rf"\partial {top} / \partial {below}"


class Plus(Expr):
    """a + b in the order written (SymPy's printer would sort XW + 1b^T into 1b^T + XW; display only)."""

    def _latex(self, printer):
        return " + ".join(printer._print(arg) for arg in self.args)


_L = _LETTERS
_ONES = MatrixSymbol("1", 1, 1)  # the column of ones in a prose formula (its size is said in words)
_SPOKEN = {"N": DISPLAY_SIZES["batch"], "D_in": DISPLAY_SIZES["in"], "D_out": DISPLAY_SIZES["out"],
           "F": DISPLAY_SIZES["features"], "1/N": 1 / DISPLAY_SIZES["batch"], **_LETTERS,
           "1": OneMatrix(DISPLAY_SIZES["batch"], 1),
           "L": J, "i": Symbol("i"), "s": _s, "s > 0": _s > 0, "s < 0": _s < 0, "s = 0": Eq(_s, 0, evaluate=False),
           "I[S]": _MASK, "N = 1": Eq(DISPLAY_SIZES["batch"], 1, evaluate=False),
           "y = Wx + b": Eq(_L["y"], _L["W"] * _L["x"] + _L["b"], evaluate=False),
           "Y = XW + 1b^T": Eq(_L["Y"], Plus(_L["X"] * _L["W"], _ONES * _L["b"].T), evaluate=False),
           "B = 1b^T": Eq(MatrixSymbol("B", 1, 1), _ONES * _L["b"].T, evaluate=False),
           "dJ/dY": InlineDerivative(Symbol("J"), _L["Y"]),
           "Lbar = L/N": Eq(MEAN_LOSS, J / DISPLAY_SIZES["batch"], evaluate=False), "Lbar": MEAN_LOSS,
           "G/N": _L["G"] / DISPLAY_SIZES["batch"],
           "Z = relu(S)": Eq(_L["Z"], Entrywise(Symbol("relu"), _L["S"]), evaluate=False)}
"""Prose tokens -> the SymPy objects they print as: the notation sheet's letters and the few formulas fc.pdf's
prose states (display only; the checked equations are displayed next to them)."""


def say(template: str) -> Text:
    """Prose whose $name$ tokens are the notation sheet's symbols and formulas (``_SPOKEN``), printed as math."""
    parts = []
    for number, piece in enumerate(template.split("$")):
        if number % 2 and piece not in _SPOKEN:
            raise KeyError(f"say: token ${piece}$ is not one of the spoken symbols {sorted(_SPOKEN)}")
        parts.append(Math(_SPOKEN[piece], NOTATION) if number % 2 else piece)
    return Text.of(*(part for part in parts if part != ""))


_RENAMED = {"target": ("T", "t"), "grad_output": ("G", "g")}
"""Operand roles displayed with the notation sheet's letters: a loss's target is T (t for a vector), never Y, which
is a layer's output; the upstream gradient is G (g for a vector), whatever a seed's layout calls it (seed 000's
Delta y, seed 001's dJ/dY)."""


def shown(equations, value):
    """``value`` with this presentation's size symbols replaced by the notation sheet's, simultaneously: the
    upstream gradient written G (g for a column: seed 000's Delta y, entries delta y_i; delta is only
    Kronecker's), a loss's target T (entries t), and seed 001's averaged loss L-bar."""
    sizes = {symbol: DISPLAY_SIZES[role] for role, symbol in equations.sizes.items()}
    renaming = dict(sizes)
    renaming[LOSS_OUTPUT] = J
    if equations.name == fc.LINEAR_SEED001_MEAN.name:
        renaming[J] = MEAN_LOSS
    for operand in equations.operands:
        if operand.key not in _RENAMED:
            continue
        matrix, entry = _RENAMED[operand.key]
        name = entry if operand.cols is None else matrix
        # xreplace does not enter a replacement: the shape is renamed here (seed 000's N is its output size)
        renaming |= {symbol: MatrixSymbol(name, *(dim.xreplace(sizes) for dim in symbol.shape))
                     for symbol in value.atoms(MatrixSymbol) if symbol.name == operand.name}
        renaming[IndexedBase(operand.entry)] = IndexedBase(entry)
    return value.xreplace(renaming)


def sizes_math(equations, sizes) -> list:
    parts = []
    for role, value in equations.sizes_from(sizes).items():
        parts += [", " if parts else "", Math(Eq(DISPLAY_SIZES[role], value), SIZES)]
    return parts


def gradient(equations, variable):
    operand = equations.operand(variable)
    return Derivative(J, MatrixSymbol(operand.name, *equations.shape(operand)))


class Then(Expr):
    """a = b = c as one formula (display only): e.g. a closed form, then its value."""

    def _latex(self, printer):
        return " = ".join(printer._print(arg) for arg in self.args)
