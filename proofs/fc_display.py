"""How fc.pdf names things: the notation sheet's symbols, block numbers, prose with symbols in it.

The symbolic layer equations name the sizes by role (PyTorch's batch layout: B, M, N); the notation sheet
(``proofs.notation``) says N is the batch and D_in, D_out a Linear layer's sizes. ``shown`` renames a SymPy
object's size symbols at render time (one simultaneous ``xreplace``), so what is displayed is the checked
object with its sizes renamed, never retyped LaTeX. The classes here only print (``_latex``).
"""

from __future__ import annotations

from sympy import Derivative, Eq, Expr, IndexedBase, MatrixSymbol, OneMatrix, Symbol

from gradproof.proofs.document import Math, Source, Text
from gradproof.symbolic.engine.derive import J
from gradproof.symbolic.layers import fc


class Name(Symbol):
    """A size printed with its LaTeX name (D_in would otherwise print as D_{in} in italics)."""

    def _latex(self, printer):
        return self.name


class Between(Expr):
    """1 <= p <= D_out, printed as one chain of inequalities (display only)."""

    def _latex(self, printer):
        low, index, high = (printer._print(arg) for arg in self.args)
        return rf"{low} \le {index} \le {high}"


def size_symbol(name: str) -> Symbol:
    return Name(name, integer=True, positive=True)


DISPLAY_SIZES = {"batch": Symbol("N", integer=True, positive=True), "in": size_symbol(r"D_{\mathrm{in}}"),
                 "out": size_symbol(r"D_{\mathrm{out}}"), "features": Symbol("F", integer=True, positive=True)}
"""Role -> the notation sheet's symbol: N the batch, D_in and D_out a Linear layer's sizes."""

ORDER = (("linear", "definition"), ("linear.weight", "theorem"), ("linear.bias", "theorem"),
         ("linear.input", "theorem"), ("example", "example"), ("relu", "definition"), ("relu.input", "theorem"),
         ("squared_loss", "definition"), ("squared_loss.prediction", "theorem"), ("example.relu", "example"),
         ("linear.seed000", "corollary"), ("linear.seed001.sum", "corollary"), ("linear.seed001.mean", "corollary"))
"""The numbered blocks (one amsthm counter) in the order the document builds them, with their kinds: a
reference is produced from this (``reference``), never typed, so its word and number match the block."""

_KINDS = dict(ORDER)


def block_number(key: str) -> int:
    return [name for name, _ in ORDER].index(key) + 1


def reference(key: str) -> str:
    """"Theorem 2", "Corollary 11": the block's kind and number, both read from ``ORDER``."""
    return f"{_KINDS[key].capitalize()} {block_number(key)}"


def references(*keys: str) -> str:
    """"Theorems 2-4" for consecutive blocks of one kind (the kind read from ``ORDER``, checked equal)."""
    kinds = {_KINDS[key] for key in keys}
    numbers = [block_number(key) for key in keys]
    if len(kinds) != 1 or numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        raise ValueError(f"references: expected consecutive blocks of one kind, got {keys} ({kinds}, {numbers})")
    return f"{kinds.pop().capitalize()}s {numbers[0]}-{numbers[-1]}"


def linear_theorems() -> str:
    return references("linear.weight", "linear.bias", "linear.input")


LOSS_OUTPUT = fc.SQUARED_LOSS.entry_functions()[fc.SQUARED_LOSS.output.key]()  # its output: the loss L itself
NOTATION = Source("definition", "notation sheet")
SIZES = Source("definition", "sizes of the concrete check")


_LETTERS = {name: MatrixSymbol(name, 1, 1) for name in ("W", "X", "Y", "G", "S", "Z", "D", "B", "b", "g", "x", "y")}
_s = Symbol("s")
_MASK = MatrixSymbol(r"\mathbb{I}[S]", 1, 1)


class Entrywise(Expr):
    """relu(S): a scalar function applied entry by entry, printed as an operator (display only)."""

    def _latex(self, printer):
        name, argument = self.args
        return rf"\operatorname{{{name}}}({printer._print(argument)})"


_L = _LETTERS
_SPOKEN = {"N": DISPLAY_SIZES["batch"], "D_in": DISPLAY_SIZES["in"], "D_out": DISPLAY_SIZES["out"],
           "F": DISPLAY_SIZES["features"], "1/N": 1 / DISPLAY_SIZES["batch"], **_LETTERS,
           "1": OneMatrix(DISPLAY_SIZES["batch"], 1),
           "L": J, "i": Symbol("i"), "s": _s, "s > 0": _s > 0, "s < 0": _s < 0, "s = 0": Eq(_s, 0, evaluate=False),
           "I[S]": _MASK, "N = 1": Eq(DISPLAY_SIZES["batch"], 1, evaluate=False),
           "y = Wx + b": Eq(_L["y"], _L["W"] * _L["x"] + _L["b"], evaluate=False),
           "Y = XW + B": Eq(_L["Y"], _L["X"] * _L["W"] + _L["B"], evaluate=False),
           "G = D": Eq(_L["G"], _L["D"], evaluate=False),
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


def shown(equations, value):
    """``value`` with this presentation's size symbols replaced by the notation sheet's (simultaneously), and
    seed 000's upstream gradient (Delta y, entries delta y_i) written g: delta is only Kronecker's."""
    sizes = {symbol: DISPLAY_SIZES[role] for role, symbol in equations.sizes.items()}
    renaming = dict(sizes)
    renaming[LOSS_OUTPUT] = J
    upstream = next((operand for operand in equations.operands if operand.key == "grad_output"), None)
    if upstream is not None and upstream.rows == "out" and upstream.cols is None:  # a column: g (notation sheet)
        # xreplace does not enter a replacement: g's shape is renamed here (seed 000's N is its output size)
        renaming |= {matrix: MatrixSymbol("g", *(dim.xreplace(sizes) for dim in matrix.shape))
                     for matrix in value.atoms(MatrixSymbol) if matrix.name == upstream.name}
        renaming[IndexedBase(upstream.entry)] = IndexedBase("g")
    return value.xreplace(renaming)


def sizes_math(equations, sizes) -> list:
    parts = []
    for role, value in equations.sizes_from(sizes).items():
        parts += [", " if parts else "", Math(Eq(DISPLAY_SIZES[role], value), SIZES)]
    return parts


def gradient(equations, variable):
    operand = equations.operand(variable)
    return Derivative(J, MatrixSymbol(operand.name, *equations.shape(operand)))


class InlineDerivative(Expr):
    """dL/dW in running text: printed with a slash, not as a fraction (display only)."""

    def _latex(self, printer):
        top, below = (printer._print(arg) for arg in self.args)
        return rf"\partial {top} / \partial {below}"


class Then(Expr):
    """a = b = c as one formula (display only): e.g. a closed form, then its value."""

    def _latex(self, printer):
        return " = ".join(printer._print(arg) for arg in self.args)
