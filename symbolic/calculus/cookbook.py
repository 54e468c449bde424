"""Gradients of the Matrix Cookbook (Petersen & Pedersen, version of November 15, 2012), as data.

Each entry: the equation number, the operands' shapes, the scalar expression and the operand in
the input language, and the gradient as the Cookbook states it (also in the input language). Sections:
2.1 determinants (49)-(58), 2.2 inverses (61)-(64), 2.4 scalar forms (69)-(83), 2.5 traces
(99)-(120), 2.6-2.7 norms (129)-(132). The numbers are those of the 2012 edition, as SymPy's own
test suite cites them (sympy/matrices/expressions/tests/test_derivatives.py); (49), (57) and the
norms were checked against the edition's text by section. ``SILENT_ZERO`` are the issue's cases where
SymPy 1.14's ``.diff`` returns 0. Used by the tests and ``benchmarks/derive_cookbook.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import MatAdd, MatMul

SQUARE = ("X=n,n", "A=n,n", "B=n,n", "C=n,n", "D=n,n")
VECTORS = ("a=n,1", "b=n,1", "c=n,1", "d=n,1")


@dataclass(frozen=True)
class CookbookGradient:
    """d expression / d wrt = gradient, Matrix Cookbook equation ``equation``."""

    equation: str
    expression: str
    gradient: str
    wrt: str = "X"
    shapes: tuple[str, ...] = SQUARE + VECTORS
    scalars: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"({self.equation}) {self.expression}"


_X_VECTOR = ("x=n,1", "a=n,1", "b=n,1", "d=n,1", "A=n,n", "B=n,n", "C=n,n", "D=n,n")

COOKBOOK = (
    # 2.1 derivatives of a determinant
    CookbookGradient("49", "det(X)", "det(X)*inv(X).T"),
    CookbookGradient("51", "det(A*X*B)", "det(A*X*B)*inv(X).T"),
    CookbookGradient("57", "logdet(X)", "inv(X).T"),
    CookbookGradient("58", "det(X**2)", "2*det(X**2)*inv(X).T"),
    # 2.2 derivatives of an inverse
    CookbookGradient("61", "a.T*inv(X)*b", "-inv(X).T*a*b.T*inv(X).T"),
    CookbookGradient("62", "det(inv(X))", "-det(inv(X))*inv(X).T"),
    CookbookGradient("63", "tr(A*inv(X)*B)", "-(inv(X)*B*A*inv(X)).T"),
    CookbookGradient("64", "tr(inv(X + A))", "-(inv(X + A)*inv(X + A)).T"),
    # 2.4 derivatives of matrices, vectors and scalar forms
    CookbookGradient("69", "x.T*a", "a", "x", _X_VECTOR),
    CookbookGradient("70", "a.T*X*b", "a*b.T"),
    CookbookGradient("71", "a.T*X.T*b", "b*a.T"),
    CookbookGradient("72", "a.T*X*a", "a*a.T"),
    CookbookGradient("77", "b.T*X.T*X*c", "X*(b*c.T + c*b.T)"),
    CookbookGradient("78", "(B*x + b).T*C*(D*x + d)", "B.T*C*(D*x + d) + D.T*C.T*(B*x + b)", "x", _X_VECTOR),
    CookbookGradient("81", "x.T*B*x", "(B + B.T)*x", "x", _X_VECTOR),
    CookbookGradient("82", "b.T*X.T*D*X*c", "D.T*X*b*c.T + D*X*c*b.T"),
    CookbookGradient("83", "(X*b + c).T*D*(X*b + c)", "(D + D.T)*(X*b + c)*b.T"),
    # 2.5 derivatives of traces
    CookbookGradient("99", "tr(X)", "eye(n)"),
    CookbookGradient("100", "tr(X*A)", "A.T"),
    CookbookGradient("101", "tr(A*X*B)", "A.T*B.T"),
    CookbookGradient("102", "tr(A*X.T*B)", "B*A"),
    CookbookGradient("103", "tr(X.T*A)", "A"),
    CookbookGradient("104", "tr(A*X.T)", "A"),
    CookbookGradient("105", "tr(kron(A, X))", "tr(A)*eye(n)"),
    CookbookGradient("106", "tr(X**2)", "2*X.T"),
    CookbookGradient("107", "tr(X**2*B)", "(X*B + B*X).T"),
    CookbookGradient("108", "tr(X.T*B*X)", "B*X + B.T*X"),
    CookbookGradient("109", "tr(B*X*X.T)", "B*X + B.T*X"),
    CookbookGradient("110", "tr(X*X.T*B)", "B*X + B.T*X"),
    CookbookGradient("111", "tr(X*B*X.T)", "X*B.T + X*B"),
    CookbookGradient("112", "tr(B*X.T*X)", "X*B.T + X*B"),
    CookbookGradient("113", "tr(X.T*X*B)", "X*B.T + X*B"),
    CookbookGradient("114", "tr(A*X*B*X)", "A.T*X.T*B.T + B.T*X.T*A.T"),
    CookbookGradient("115", "tr(X.T*X)", "2*X"),
    CookbookGradient("116", "tr(B.T*X.T*C*X*B)", "C.T*X*B*B.T + C*X*B*B.T"),
    CookbookGradient("117", "tr(X.T*B*X*C)", "B*X*C + B.T*X*C.T"),
    CookbookGradient("118", "tr(A*X*B*X.T*C)", "A.T*C.T*X*B.T + C*A*X*B"),
    CookbookGradient("119", "tr((A*X*B + C)*(A*X*B + C).T)", "2*A.T*(A*X*B + C)*B.T"),
    CookbookGradient("120", "tr(kron(X, X))", "2*tr(X)*eye(n)"),
    # 2.6-2.7 derivatives of vector and matrix norms
    CookbookGradient("129", "norm2(x - a)", "(x - a)/norm2(x - a)", "x", _X_VECTOR),
    CookbookGradient("131", "norm2(x)**2", "2*x", "x", _X_VECTOR),
    CookbookGradient("132", "norm2(X)**2", "2*X"),
)

SILENT_ZERO = (
    CookbookGradient("57", "log(det(X))", "inv(X).T"),
    CookbookGradient("issue 15: ridge", "norm2(W*x + b - t)**2 + lam*norm2(W)**2", "2*(W*x + b - t)*x.T + 2*lam*W",
                     "W", ("W=m,n", "x=n,1", "b=m,1", "t=m,1"), ("lam",)),
)
"""SymPy 1.14's ``.diff`` answers 0 for these (issue 15); the derivation engine must not."""


def _distribute_numbers(expr):
    """c (A + B) = c A + c B for a number c (the parser writes 2*(x - a) so; the engine may not)."""
    if isinstance(expr, MatMul):
        coefficient, matrices = expr.as_coeff_matrices()
        if coefficient.is_number and coefficient != 1 and isinstance(matrices[0], MatAdd):
            first = MatAdd(*(coefficient * term for term in matrices[0].args))
            return first if len(matrices) == 1 else MatMul(first, *matrices[1:])
    return expr


def same_form(derived, stated) -> bool:
    """Is ``derived`` written as the Cookbook ``stated`` it: equal in SymPy's canonical form (``doit``:
    order of terms and factors, transposes of products distributed), numbers distributed over sums;
    no other algebra, so (B + B^T) X and B X + B^T X are different forms."""
    def canonical(expr):
        return expr.doit().replace(lambda e: isinstance(e, MatMul), _distribute_numbers).doit()

    return derived == stated or canonical(derived) == canonical(stated)
