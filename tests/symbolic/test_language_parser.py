"""The expression language's one parser (issue 12, item 4): the language of ``gradproof verify`` keeps
its meaning, and everything outside the allow-list is InvalidInput naming the construct and its column,
without running any of it."""

import pytest
from sympy import (
    Determinant,
    Identity,
    Inverse,
    KroneckerProduct,
    MatPow,
    MatrixSymbol,
    Rational,
    Symbol,
    Trace,
    exp,
    log,
    sqrt,
)

from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.engine.kron import Vec, VecRowMajor
from gradproof.symbolic.engine.operands import Operand
from gradproof.symbolic.language import MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH, parse

n, m = Symbol("n", integer=True, positive=True), Symbol("m", integer=True, positive=True)
X, A, W = MatrixSymbol("X", n, n), MatrixSymbol("A", n, n), MatrixSymbol("W", m, n)
x, w = MatrixSymbol("x", n, 1), MatrixSymbol("w", n, 1)
y = Symbol("y")
OPERANDS = {"X": X, "A": A, "W": W, "x": x, "w": w}
DIMS = {"n": n, "m": m}
SCALARS = {"y": y}


def read(text):
    return parse(text, OPERANDS, DIMS, SCALARS, where="--claim")


@pytest.mark.parametrize("text, expected", [
    ("tr(X.T*X)", Trace(X.T * X)),
    ("trace(X)", Trace(X)),
    ("X@A", X * A),
    ("2*(W*x)*x.T", 2 * W * x * x.T),
    ("X - A", X - A),
    ("-X", -X),
    ("+X", X),
    ("X/2", X / 2),
    ("0.5*tr(X)", Rational(1, 2) * Trace(X)),
    ("1/2*tr(X)", Trace(X) / 2),
    ("X**2", MatPow(X, 2)),
    ("X**-1", Inverse(X)),
    ("inv(X).T", Inverse(X).T),
    ("det(X)", Determinant(X)),
    ("log(det(X))", log(Determinant(X))),
    ("exp(tr(A*X))*A.T", exp(Trace(A * X)) * A.T),
    ("log(1+exp(-y*tr(w.T*x)))", log(1 + exp(-y * Trace(w.T * x)))),
    ("sqrt(tr(X))", sqrt(Trace(X))),
    ("vec(W)", Vec(W)),
    ("vec_r(W)", VecRowMajor(W)),
    ("kron(eye(n), X)", KroneckerProduct(Identity(n), X)),
    ("kron(X, A, W)", KroneckerProduct(X, A, W)),
    ("eye(3)", Identity(3)),
    ("n*tr(X)", n * Trace(X)),
    ("tr(X)**2 / tr(A)", Trace(X) ** 2 / Trace(A)),
    ("x.T*A*x", x.T * A * x),
])
def test_the_language_keeps_its_meaning(text, expected):
    assert read(text) == expected


def test_a_1x1_matrix_stands_for_its_entry_where_a_scalar_is_needed():
    assert read("log(x.T*x)") == log(Trace(x.T * x))
    assert read("1 + x.T*x") == 1 + Trace(x.T * x)
    assert read("X / (x.T*x)") == X / Trace(x.T * x)


def test_concrete_dimensions_are_integers():
    X3 = MatrixSymbol("X", 3, 3)
    assert parse("kron(eye(n), X)", {"X": X3}, {"n": 3}).shape == (9, 9)
    assert parse("n*tr(X)", {"X": X3}, {"n": 3}) == 3 * Trace(X3)


@pytest.mark.parametrize("text, construct, column", [
    ("__import__('os')", "name '__import__' is not allowed", 1),
    ("X.__class__", "attribute '.__class__' is not allowed", 1),
    ("().__class__.__mro__", "attribute '.__mro__' is not allowed", 1),
    ("(lambda: 0)()", "lambda is not allowed", 2),
    ("getattr(X, 'T')", "unknown function 'getattr' is not allowed", 1),
    ("'abc'", "string 'abc' is not allowed", 1),
    ("X[0]", "subscript [...] is not allowed", 1),
    ("[a for a in X]", "list comprehension is not allowed", 1),
    ("(a for a in X)", "generator expression is not allowed", 1),
    ("{1: 2}", "dict is not allowed", 1),
    ("(X, A)", "tuple is not allowed", 1),
    ("tr(X, key=1)", "keyword argument key= is not allowed", 7),
    ("tr(*X)", "starred argument (*) is not allowed", 4),
    ("X ^ 2", "operator ^ (powers are **) is not allowed", 3),
    ("X // 2", "operator // is not allowed", 3),
    ("X % 2", "operator % is not allowed", 3),
    ("x < 1", "comparison is not allowed", 1),
    ("y if y else y", "conditional expression (if/else) is not allowed", 1),
    ("y and y", "and/or is not allowed", 1),
    ("not y", "operator not is not allowed", 1),
    ("~X", "operator ~ is not allowed", 1),
    ("True", "constant True is not allowed", 1),
    ("1j", "complex number 1j is not allowed", 1),
    ("f'{X}'", "f-string is not allowed", 1),
    ("(z := X)", "assignment (:=) is not allowed", 2),
    ("X.shape", "attribute '.shape' is not allowed", 1),
    ("tr(X)(1)", "call of an expression is not allowed", 1),
    ("open('f', 'w')", "unknown function 'open' is not allowed", 1),
    ("2 * X.foo", "attribute '.foo' is not allowed", 5),
])
def test_anything_outside_the_allow_list_is_named_with_its_column(text, construct, column):
    with pytest.raises(InvalidInput) as error:
        read(text)
    assert construct in str(error.value) and f"column {column}:" in str(error.value)
    assert str(error.value).startswith(f"--claim {text!r}")


@pytest.mark.parametrize("text, message", [
    ("2*q*W", "unknown symbol 'q'"),
    ("lam*X", "declare it with --shape NAME=ROWS,COLS or --scalar NAME"),
    ("X(1)", "operand 'X' is not a function"),
    ("eye", "function 'eye' without arguments"),
    ("tr(W)", "tr takes a square matrix, got a mxn matrix"),
    ("det(y)", "det takes matrices, got a scalar"),
    ("expm(X)", "function 'expm' is not allowed; the matrix exponential expm has no rule"),
    ("hadamard(X, W)", "hadamard takes matrices of one shape, got a nxn matrix, a mxn matrix"),
    ("ones(x)", "ones takes a dimension or a positive integer"),
    ("diag(W)", "diag takes a column or a square matrix, got a mxn matrix"),
    ("kron(X)", "kron takes two or more arguments, got 1"),
    ("tr(X, A)", "tr takes 1 argument, got 2"),
    ("eye(0)", "eye takes a dimension or a positive integer, got 0"),
    ("eye(y)", "eye takes a dimension or a positive integer, got y"),
    ("x*W", "a nx1 matrix times a mxn matrix: Matrices are not aligned (1 columns, m rows)"),
    ("x@W", "Matrices are not aligned"),
    ("X + W", "+ of a nxn matrix and a mxn matrix: expected matrices of one shape"),
    ("X - x", "- of a nxn matrix and a nx1 matrix"),
    ("1 + X", "cannot add a scalar and a matrix that is not 1x1"),
    ("X / x", "expected a scalar divisor, got a nx1 matrix"),
    ("X / 0", "division by zero"),
    ("x.T @ 2", "@ takes two matrices"),
    ("W**2", "a power of a non-square matrix"),
    ("X**(1/2)", "a matrix takes an integer power, got 1/2"),
    ("X**x", "expected a scalar exponent, got a nx1 matrix"),
    (f"X**{MAX_EXPONENT + 1}", f"MAX_EXPONENT = {MAX_EXPONENT}"),
    ("10**10**10", f"MAX_EXPONENT = {MAX_EXPONENT}"),
    ("1e999", "expected a finite number"),
    ("x.T.T.T.T*y.T", "expected a matrix before .T, got a scalar"),
    ("tr(X", "cannot parse --claim 'tr(X'"),
    ("", "expected an expression, got an empty text"),
    ("y" + "+y" * MAX_LENGTH, f"MAX_LENGTH = {MAX_LENGTH}"),
    ("-" * (MAX_DEPTH + 1) + "y", f"MAX_DEPTH = {MAX_DEPTH}"),
])
def test_wrong_expressions_say_what_was_expected_and_given(text, message):
    with pytest.raises(InvalidInput) as error:
        read(text)
    assert message in str(error.value)


def test_declared_names_must_be_distinct_identifiers_and_not_functions():
    with pytest.raises(InvalidInput, match="'n' is declared both as operand and as dimension"):
        parse("n", {"n": X}, {"n": n})
    with pytest.raises(InvalidInput, match="operand name 'tr'"):
        parse("tr", {"tr": X})
    with pytest.raises(InvalidInput, match="scalar name '__x'"):
        parse("1", {}, {}, {"__x": y})


def test_nothing_in_a_refused_expression_runs(tmp_path):
    marker = tmp_path / "marker"
    attempts = [
        f"__import__('os').system('touch {marker}')",
        f"().__class__.__mro__[1].__subclasses__()[0]('{marker}')",
        f"(lambda: __import__('os').system('touch {marker}'))()",
        f"getattr(__builtins__, 'open')('{marker}', 'w')",
        f"open('{marker}', 'w')",
        f"[open('{marker}', 'w') for _ in (1,)]",
        f"tr(X, key=open('{marker}', 'w'))",
        f"'{marker}'",
    ]
    for text in attempts:
        with pytest.raises(InvalidInput, match="is not allowed"):
            read(text)
    assert not marker.exists()


@pytest.mark.parametrize("dim, stored", [(1, None), (3, "3"), ("3", "3"), (" n ", "n"), ("1", None)])
def test_an_operand_takes_an_int_size_as_its_digits(dim, stored):
    assert Operand.matrix("z", "n", dim).cols == stored
    assert Operand("z", "z", "z", "n", 3).rows == "n" and Operand("z", "z", "z", 2, None).rows == "2"


@pytest.mark.parametrize("dim", [0, -2, "0", "2*n", True, 2.0, ""])
def test_an_operand_refuses_other_sizes_naming_the_operand(dim):
    with pytest.raises(InvalidInput, match=r"operand 'z': cols must be a dimension name .* got"):
        Operand.matrix("z", "n", dim)


def test_elementwise_functions_act_entry_by_entry_on_matrices():
    """Issue 15: sin, exp, log, ... of a matrix are NumPy's entrywise functions; of a scalar, the scalar's."""
    from sympy import Matrix, sin, symbols

    from gradproof.symbolic.language.functions import function_name

    value = read("sin(X)")
    assert value.shape == X.shape and function_name(value) == "sin"
    a, b, c, d = symbols("a b c d")
    explicit = value.xreplace({X: Matrix([[a, b], [c, d]])}).subs(n, 2).doit()
    assert explicit == Matrix([[sin(a), sin(b)], [sin(c), sin(d)]])
    assert read("exp(tr(X))") == exp(Trace(X))  # a scalar: the scalar function, as before
    assert read("log(x.T*x)") == log(Trace(x.T * x))  # a 1x1 matrix: a scalar, as before


def test_the_new_matrix_functions():
    from sympy import DiagMatrix, DiagonalOf, HadamardPower, HadamardProduct, OneMatrix

    assert read("hadamard(X, A)") == HadamardProduct(X, A)
    assert read("hdiv(X, A)") == HadamardProduct(X, HadamardPower(A, -1))
    assert read("hpow(X, 2)") == HadamardPower(X, 2)
    assert read("logdet(X)") == log(Determinant(X))
    assert read("norm2(W)") == sqrt(Trace(W.T * W))
    assert read("sum(W)") == Trace(OneMatrix(1, m) * W * OneMatrix(n, 1))
    assert read("ones(n)") == OneMatrix(n, 1) and read("ones(m, n)") == OneMatrix(m, n)
    assert read("diag(x)") == DiagMatrix(x) and read("diag(X)") == DiagonalOf(X)
    assert read("norm2(x)**2") == Trace(x.T * x)


@pytest.mark.parametrize("text", [
    "tr(X.T*X)", "inv(X).T", "logdet(X)", "det(X)*inv(X).T", "sum(sin(X))", "norm1(W)", "norm2(W)", "hpow(X, 2)",
    "hadamard(X, A)", "hdiv(X, A)", "diag(x)", "diag(X)", "kron(eye(n), X)", "vec(W)", "ones(n)", "ones(m, n)",
    "sigmoid(W*x)", "relu(X) + indicator(X)", "arcsin(X) + arccos(X) + arctan(X) + tanh(X)", "abs(X) + sign(X)",
    "X**3", "(X + A).T", "1/norm2(x)*x", "exp(X).T", "sqrt(X)",
])
def test_the_printer_writes_what_the_parser_reads(text):
    """to_text is parse's inverse: a derived answer printed by gradproof grad is read back by verify --claim."""
    from gradproof.symbolic.language.printer import to_text

    value = read(text)
    assert read(to_text(value)) == value, to_text(value)
