"""The one parser of gradproof's expression language: an allow-list over Python's ``ast``, never eval.

The text is parsed by ``ast.parse(text, mode="eval")`` and the tree is walked node by node; each
allowed node becomes a SymPy object built directly (``MatrixSymbol``, ``MatMul``, ``Trace``, ...).
Nothing in the text is ever evaluated as Python, and no string is handed to ``sympify``. Any other
construct raises ``InvalidInput`` naming it and its column (1-based).

Grammar (a subset of Python's expression syntax, with Python's precedence)::

    expr     := expr ("+" | "-") term | term
    term     := term ("*" | "@" | "/") unary | unary
    unary    := ("-" | "+") unary | power
    power    := primary ["**" unary]
    primary  := NUMBER | NAME | call | primary ".T" | "(" expr ")"
    call     := FUNCTION "(" expr ["," expr]* ")"           (positional arguments only)
    NAME     := a declared operand (a matrix), scalar, or dimension (a positive integer)
    NUMBER   := an integer or a decimal (0.5 is read exactly as 1/2)
    FUNCTION := tr | trace | det | logdet | inv | vec | vec_r | kron | eye | ones | diag | sum | norm1 | norm2
              | hadamard | hdiv | hpow | ELEMENTWISE
    ELEMENTWISE := sin | cos | tan | arcsin | arccos | arctan | exp | log | sqrt | tanh | sigmoid | abs
              | sign | relu | indicator

Meaning: ``*`` multiplies (the matrix product for two matrices, scaling otherwise), ``@`` is the
matrix product of two matrices, ``/`` divides by a scalar, ``**`` raises to a power (a matrix
only to an integer power, ``X**-1`` is ``inv(X)``), ``.T`` transposes. ``tr``/``trace``, ``det`` and
``inv`` take a square matrix; ``vec`` stacks columns, ``vec_r`` rows; ``kron(A, B, ...)`` is the
Kronecker product; ``eye(n)`` is the n x n identity (n a dimension or a positive integer);
``ones(r)`` is the r x 1 column of ones and ``ones(r, c)`` the r x c matrix of ones.
The ELEMENTWISE functions of a scalar are the scalar functions; of a matrix they act entry by
entry, as NumPy's (``sin(X)_ij = sin(X_ij)``; sigmoid(s) = 1/(1 + exp(-s)), relu(s) = max(s, 0));
a 1 x 1 matrix is a scalar there. ``hadamard(A, B, ...)`` is the entrywise product, ``hdiv(A, B)``
the entrywise quotient and ``hpow(A, p)`` the entrywise power (p a number or scalar); ``sum(M)`` adds
the entries (1ᵀ M 1), ``norm1(M)`` is sum(abs(M)), ``norm2(M)`` the Euclidean (Frobenius) norm
sqrt(tr(Mᵀ M)); ``logdet(X)`` is log(det(X)); ``diag(v)`` of a column v is the diagonal matrix,
``diag(X)`` of a square X the column of its diagonal. The matrix exponential ``expm`` is refused
(no rule). Where a scalar is needed (those functions, a divisor,
an exponent, a sum with a scalar), a 1 x 1 matrix expression M stands for its one entry, tr(M).

Refused with ``InvalidInput``: any other name or function, attributes other than ``.T``, subscripts,
strings, lambdas, comprehensions, keyword or starred arguments, comparisons, ``//``, ``%``, ``^``,
texts longer than ``MAX_LENGTH`` characters, nesting deeper than ``MAX_DEPTH``, numeric
exponents beyond ``MAX_EXPONENT``.

>>> from sympy import MatrixSymbol, Symbol
>>> n = Symbol("n", integer=True, positive=True)
>>> parse("tr(X.T*X) + 2*y", {"X": MatrixSymbol("X", n, n)}, {"n": n}, {"y": Symbol("y")})
2*y + Trace(X.T*X)
>>> parse("__import__('os')", {})
Traceback (most recent call last):
...
gradproof.symbolic.engine.errors.InvalidInput: expression "__import__('os')", column 1: name '__import__' is not allowed; no name starts with '_'
>>> parse("X.__class__", {"X": MatrixSymbol("X", n, n)}, where="--claim")
Traceback (most recent call last):
...
gradproof.symbolic.engine.errors.InvalidInput: --claim 'X.__class__', column 1: attribute '.__class__' is not allowed; the one attribute is .T, the transpose
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping

from sympy import (
    Determinant,
    DiagMatrix,
    DiagonalOf,
    HadamardPower,
    HadamardProduct,
    Identity,
    Integer,
    Inverse,
    KroneckerProduct,
    OneMatrix,
    Rational,
    Trace,
    log,
    sqrt,
)
from sympy.matrices.exceptions import ShapeError

from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.engine.kron import Vec, VecRowMajor
from gradproof.symbolic.language.functions import ELEMENTWISE, elementwise

MAX_LENGTH = 2000
"""Longest expression text accepted (characters)."""
MAX_DEPTH = 100
"""Deepest nesting of the expression tree accepted."""
MAX_EXPONENT = 8
"""Largest numeric exponent (|numerator| and denominator): tr(X**8) at n = 3 already takes seconds."""

ARITY = {"tr": 1, "trace": 1, "det": 1, "logdet": 1, "inv": 1, "vec": 1, "vec_r": 1, "kron": None, "eye": 1,
         "ones": (1, 2), "diag": 1, "sum": 1, "norm1": 1, "norm2": 1, "hadamard": None, "hdiv": 2, "hpow": 2,
         **dict.fromkeys(ELEMENTWISE, 1)}
"""The functions of the language and their number of arguments (None: two or more; a pair: from, to)."""
REFUSED_FUNCTIONS = {"expm": "the matrix exponential expm has no rule in this language (exp(X) acts entry by entry)"}
FUNCTIONS = tuple(ARITY)

_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.MatMult: "@", ast.Div: "/", ast.Pow: "**"}
_REFUSED_OPERATORS = {ast.FloorDiv: "operator //", ast.Mod: "operator %", ast.BitXor: "operator ^ (powers are **)",
                      ast.BitAnd: "operator &", ast.BitOr: "operator |", ast.LShift: "operator <<",
                      ast.RShift: "operator >>", ast.Not: "operator not", ast.Invert: "operator ~"}
_SYMBOLS = {**_OPERATORS, ast.FloorDiv: "//", ast.Mod: "%", ast.BitXor: "^", ast.BitAnd: "&", ast.BitOr: "|",
            ast.LShift: "<<", ast.RShift: ">>"}
_CONSTRUCTS = {
    ast.Subscript: "subscript [...]", ast.Lambda: "lambda", ast.ListComp: "list comprehension",
    ast.SetComp: "set comprehension", ast.DictComp: "dict comprehension", ast.GeneratorExp: "generator expression",
    ast.Tuple: "tuple", ast.List: "list", ast.Dict: "dict", ast.Set: "set", ast.Compare: "comparison",
    ast.BoolOp: "and/or", ast.IfExp: "conditional expression (if/else)", ast.NamedExpr: "assignment (:=)",
    ast.JoinedStr: "f-string", ast.Starred: "starred argument (*)", ast.Await: "await", ast.Yield: "yield",
    ast.YieldFrom: "yield from", ast.Slice: "slice",
}
_SQUARE_FUNCTIONS = {"tr": Trace, "trace": Trace, "det": Determinant, "inv": Inverse}


def parse(text: str, operands: Mapping, dimensions: Mapping | None = None, scalars: Mapping | None = None, *,
          where: str = "expression"):
    """The SymPy object of ``text`` over the declared names, or InvalidInput naming what is refused.

    ``operands`` maps names to matrices (MatrixSymbols), ``dimensions`` names to sizes (positive
    integer Symbols or ints), ``scalars`` names to Symbols; ``where`` names the text in messages
    (e.g. "--claim").
    """
    return _Parser(text, operands, dimensions or {}, scalars or {}, where).run()


def is_matrix(value) -> bool:
    return bool(getattr(value, "is_Matrix", False))


def _shape_text(value) -> str:
    return "a scalar" if not is_matrix(value) else f"a {value.rows}x{value.cols} matrix"


def _same(first, second) -> bool:
    """Equal sizes for every value of the dimensions (n and n; not n and m, nor 1 and m)."""
    return all((a - b) == 0 for a, b in zip(first, second))


def _scalar_of(value):
    """A 1 x 1 matrix as its one entry tr(M); a scalar unchanged; None for any other matrix."""
    if not is_matrix(value):
        return value
    return Trace(value) if value.shape == (1, 1) else None


class _Parser:
    def __init__(self, text, operands, dimensions, scalars, where):
        self.text, self.where = text, where
        self.names: dict[str, tuple[str, object]] = {}
        for kind, table in (("operand", operands), ("dimension", dimensions), ("scalar", scalars)):
            for name, value in table.items():
                self._declare(name, kind, Integer(value) if isinstance(value, int) else value)

    def _declare(self, name, kind, value):
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_") or name in ARITY:
            raise InvalidInput(f"{kind} name {name!r}: expected an identifier not starting with '_' and not a "
                               f"function ({', '.join(FUNCTIONS)})")
        if name in self.names and self.names[name][0] != kind:
            raise InvalidInput(f"{name!r} is declared both as {self.names[name][0]} and as {kind}")
        self.names[name] = (kind, value)

    def run(self):
        if not isinstance(self.text, str):
            raise InvalidInput(f"{self.where}: expected an expression as text, got {type(self.text).__name__}")
        if len(self.text) > MAX_LENGTH:
            raise InvalidInput(f"{self.where}: expected at most MAX_LENGTH = {MAX_LENGTH} characters, "
                               f"got {len(self.text)}")
        if not self.text.strip():
            raise InvalidInput(f"{self.where}: expected an expression, got an empty text")
        try:
            tree = ast.parse(self.text.strip(), mode="eval")
        except SyntaxError as error:
            raise InvalidInput(f"cannot parse {self.where} {self.text!r}: {error.msg} at column "
                               f"{error.offset or 0}") from None
        except (RecursionError, MemoryError, ValueError) as error:
            raise InvalidInput(f"cannot parse {self.where} {self.text!r}: {type(error).__name__}") from None
        self.text = self.text.strip()
        return self.build(tree.body, 1)

    # errors -------------------------------------------------------------------------------------

    def position(self, node) -> str:
        """``column C`` (or ``line L, column C``), 1-based in characters; a binary operation at its operator."""
        lines = self.text.splitlines() or [""]
        line = lines[min(node.lineno, len(lines)) - 1].encode("utf-8")
        offset = node.col_offset
        if isinstance(node, ast.BinOp) and node.left.end_lineno == node.right.lineno == node.lineno:
            found = line[node.left.end_col_offset:node.right.col_offset].find(
                _SYMBOLS.get(type(node.op), "\0").encode())
            offset = node.left.end_col_offset + found if found >= 0 else offset
        column = len(line[:offset].decode("utf-8", errors="ignore")) + 1
        return f"column {column}" if node.lineno == 1 else f"line {node.lineno}, column {column}"

    def refuse(self, node, construct: str, hint: str = "") -> InvalidInput:
        """The construct at ``node`` is outside the language."""
        return self.wrong(node, f"{construct} is not allowed", hint)

    def wrong(self, node, message: str, hint: str = "") -> InvalidInput:
        """The construct at ``node`` is in the language but wrong here (shapes, arguments)."""
        message = f"{self.where} {self.text!r}, {self.position(node)}: {message}"
        return InvalidInput(message + (f"; {hint}" if hint else ""))

    # the tree ---------------------------------------------------------------------------------

    def build(self, node, depth: int):
        if depth > MAX_DEPTH:
            raise self.wrong(node, f"expected nesting at most MAX_DEPTH = {MAX_DEPTH} deep, got deeper")
        method = {ast.Constant: self.constant, ast.Name: self.name, ast.BinOp: self.binary,
                  ast.UnaryOp: self.unary, ast.Attribute: self.attribute, ast.Call: self.call}.get(type(node))
        if method is None:
            raise self.refuse(node, _CONSTRUCTS.get(type(node), type(node).__name__))
        return method(node, depth)

    def constant(self, node, depth):
        value = node.value
        if isinstance(value, bool) or value is None or value is Ellipsis:
            raise self.refuse(node, f"constant {value!r}")
        if isinstance(value, int):
            return Integer(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise self.wrong(node, f"expected a finite number, got {ast.get_source_segment(self.text, node)}")
            return Rational(repr(value))
        if isinstance(value, str | bytes):
            shown = value if len(value) <= 40 else value[:40] + "..."
            raise self.refuse(node, f"string {shown!r}")
        raise self.refuse(node, f"{type(value).__name__} number {value!r}")

    def name(self, node, depth):
        if node.id in self.names:
            return self.names[node.id][1]
        if node.id.startswith("_"):
            raise self.refuse(node, f"name {node.id!r}", "no name starts with '_'")
        if node.id in ARITY:
            raise self.wrong(node, f"function {node.id!r} without arguments", f"write {node.id}(...)")
        raise self.wrong(node, f"unknown symbol {node.id!r}", "declare it with --shape NAME=ROWS,COLS or "
                         f"--scalar NAME; declared: {', '.join(self.names) or 'nothing'}")

    def attribute(self, node, depth):
        if node.attr != "T":
            raise self.refuse(node, f"attribute '.{node.attr}'", "the one attribute is .T, the transpose")
        value = self.build(node.value, depth + 1)
        if not is_matrix(value):
            raise self.wrong(node, "expected a matrix before .T, got a scalar")
        return value.T

    def unary(self, node, depth):
        if type(node.op) in _REFUSED_OPERATORS:
            raise self.refuse(node, _REFUSED_OPERATORS[type(node.op)])
        value = self.build(node.operand, depth + 1)
        return -value if isinstance(node.op, ast.USub) else value

    def binary(self, node, depth):
        symbol = _OPERATORS.get(type(node.op))
        if symbol is None:
            raise self.refuse(node, _REFUSED_OPERATORS.get(type(node.op), type(node.op).__name__))
        left, right = self.build(node.left, depth + 1), self.build(node.right, depth + 1)
        try:
            return _ARITHMETIC[symbol](self, node, left, right)
        except InvalidInput:
            raise
        except (ShapeError, TypeError, ValueError) as error:  # SymPy refusing to combine these operands
            detail = error.args[0] if error.args else type(error).__name__
            raise self.wrong(node, f"{symbol} of {_shape_text(left)} and {_shape_text(right)}: {detail}") from None

    def call(self, node, depth):
        func = node.func
        if not isinstance(func, ast.Name):
            self.build(func, depth + 1)  # names the first refused construct inside, if any
            raise self.refuse(node, "call of an expression", f"only the functions {', '.join(FUNCTIONS)} are called")
        if func.id not in ARITY:
            self.unknown_function(func)
        for keyword in node.keywords:
            raise self.refuse(keyword, f"keyword argument {keyword.arg or '**'}=", f"{func.id} takes positional "
                              "arguments only")
        low, high = _arity_range(ARITY[func.id])
        if not low <= len(node.args) <= high:
            expected = {(1, 1): "1 argument", (2, 2): "2 arguments", (1, 2): "1 or 2 arguments"}.get(
                (low, high), "two or more arguments")
            raise self.wrong(node, f"{func.id} takes {expected}, got {len(node.args)}")
        args = [self.build(arg, depth + 1) for arg in node.args]
        return self.apply(node, func.id, args)

    def unknown_function(self, func):
        if func.id.startswith("_"):
            raise self.refuse(func, f"name {func.id!r}", "no name starts with '_'")
        if func.id in self.names:
            raise self.wrong(func, f"{self.names[func.id][0]} {func.id!r} is not a function, yet it is called")
        if func.id in REFUSED_FUNCTIONS:
            raise self.refuse(func, f"function {func.id!r}", f"{REFUSED_FUNCTIONS[func.id]}; functions: "
                              f"{', '.join(FUNCTIONS)}")
        raise self.refuse(func, f"unknown function {func.id!r}", f"functions: {', '.join(FUNCTIONS)}")

    def apply(self, node, name, args):
        if name == "eye":
            return self.identity(node, args[0])
        if name == "ones":
            return OneMatrix(*(self.size(node, arg) for arg in (*args, Integer(1))[:2]))
        if name in ELEMENTWISE:
            value = _scalar_of(args[0])
            return ELEMENTWISE[name](value) if value is not None else elementwise(name, args[0])
        if name == "hpow":
            return self.hadamard_power(node, args)
        if not all(is_matrix(arg) for arg in args):
            raise self.wrong(node, f"{name} takes matrices, got {', '.join(_shape_text(a) for a in args)}")
        if name in _SQUARE_FUNCTIONS:
            if (args[0].rows - args[0].cols) != 0:
                raise self.wrong(node, f"{name} takes a square matrix, got {_shape_text(args[0])}")
            return _SQUARE_FUNCTIONS[name](args[0])
        if name == "logdet":
            return log(Determinant(args[0]))
        if name in _MATRIX_FUNCTIONS:
            return _MATRIX_FUNCTIONS[name](self, node, args)
        return (Vec if name == "vec" else VecRowMajor)(args[0])

    def size(self, node, size):
        dims = {value for kind, value in self.names.values() if kind == "dimension"}
        ok = not is_matrix(size) and size.is_integer and size.is_positive and size.free_symbols <= dims
        if not ok:
            raise self.wrong(node, f"{node.func.id} takes a dimension or a positive integer, got {size}")
        return size

    def identity(self, node, size):
        return Identity(self.size(node, size))

    def hadamard(self, node, args):
        if not all(_same(arg.shape, args[0].shape) for arg in args):
            shapes = ", ".join(_shape_text(arg) for arg in args)
            raise self.wrong(node, f"{node.func.id} takes matrices of one shape, got {shapes}")
        return HadamardProduct(*args)

    def hadamard_power(self, node, args):
        base, power = args[0], _scalar_of(args[1])
        if not is_matrix(base) or power is None:
            raise self.wrong(node, f"hpow takes a matrix and a scalar, got {_shape_text(args[0])} and "
                                   f"{_shape_text(args[1])}")
        return HadamardPower(base, power)

    def quotient(self, node, args):
        return self.hadamard(node, [args[0], HadamardPower(args[1], -1)])

    def diagonal(self, node, args):
        value = args[0]
        if value.cols == 1:
            return DiagMatrix(value)
        if (value.rows - value.cols) == 0:
            return DiagonalOf(value)
        raise self.wrong(node, f"diag takes a column or a square matrix, got {_shape_text(value)}")

    def sum_of(self, node, args):
        return Trace(OneMatrix(1, args[0].rows) * args[0] * OneMatrix(args[0].cols, 1))

    def norm1(self, node, args):
        return self.sum_of(node, [elementwise("abs", args[0])])

    def norm2(self, node, args):
        return sqrt(Trace(args[0].T * args[0]))

    # arithmetic -----------------------------------------------------------------------------------

    def add(self, node, left, right, sign=1):
        if is_matrix(left) != is_matrix(right):
            left, right = _scalar_of(left), _scalar_of(right)
            if left is None or right is None:
                raise self.wrong(node, "cannot add a scalar and a matrix that is not 1x1")
        elif is_matrix(left) and not _same(left.shape, right.shape):
            raise self.wrong(node, f"{'+' if sign > 0 else '-'} of {_shape_text(left)} and {_shape_text(right)}: "
                                   "expected matrices of one shape")
        return left + right if sign > 0 else left - right

    def product(self, node, left, right):
        if is_matrix(left) and is_matrix(right) and not _same((left.cols,), (right.rows,)):
            raise self.wrong(node, f"{_shape_text(left)} times {_shape_text(right)}: Matrices are not aligned "
                                   f"({left.cols} columns, {right.rows} rows)")
        return left * right

    def matrix_product(self, node, left, right):
        if not (is_matrix(left) and is_matrix(right)):
            raise self.wrong(node, f"@ takes two matrices, got {_shape_text(left)} and {_shape_text(right)}",
                             "scale with *")
        return self.product(node, left, right)

    def divide(self, node, left, right):
        divisor = _scalar_of(right)
        if divisor is None:
            raise self.wrong(node, f"expected a scalar divisor, got {_shape_text(right)}", "use inv(...)")
        if divisor == 0:
            raise self.wrong(node, "division by zero")
        return left / divisor

    def power(self, node, base, power):
        exponent = _scalar_of(power)
        if exponent is None:
            raise self.wrong(node, f"expected a scalar exponent, got {_shape_text(power)}")
        if exponent.is_number:
            if not exponent.is_Rational or abs(exponent.p) > MAX_EXPONENT or exponent.q > MAX_EXPONENT:
                raise self.wrong(node, f"expected a rational exponent with numerator and denominator at most "
                                       f"MAX_EXPONENT = {MAX_EXPONENT}, got {exponent}")
        if is_matrix(base) and not (base.shape == (1, 1) and not exponent.is_Integer):
            if not exponent.is_Integer:
                raise self.wrong(node, f"a matrix takes an integer power, got {exponent}")
            if (base.rows - base.cols) != 0:
                raise self.wrong(node, f"a power of a non-square matrix ({_shape_text(base)})")
            return base**exponent
        return _scalar_of(base) ** exponent


def _arity_range(count) -> tuple[int, int]:
    if count is None:
        return 2, MAX_LENGTH
    return count if isinstance(count, tuple) else (count, count)


_MATRIX_FUNCTIONS = {"kron": lambda self, node, args: KroneckerProduct(*args), "hadamard": _Parser.hadamard,
                     "hdiv": _Parser.quotient, "diag": _Parser.diagonal, "sum": _Parser.sum_of,
                     "norm1": _Parser.norm1, "norm2": _Parser.norm2}

_ARITHMETIC = {
    "+": _Parser.add, "-": lambda self, node, a, b: self.add(node, a, b, -1), "*": _Parser.product,
    "@": _Parser.matrix_product, "/": _Parser.divide, "**": _Parser.power,
}
