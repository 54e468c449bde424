"""How large a claim ``gradproof verify`` evaluates exactly; anything larger is refused at once.

Exact verdicts write every entry out, so their cost grows with the entries of the matrices in the
claim (operands and intermediate results such as a Kronecker product) and, for determinants and
inverses, steeply with their size. Rather than run for minutes, ``check_limits`` refuses a claim
beyond these limits before any evaluation, naming the limit:

* ``MAX_ENTRIES``: entries of any one matrix of the claim at the given sizes (tr(X^T X) at
  n = 16 takes about 3 s today);
* ``MAX_SQUARE_SIZE``: the order of a matrix under ``det`` or ``inv`` (or a negative power);
* ``SWEEP_MAX_SIZE``: without ``--sizes``, identities are checked at every size up to this.

>>> from sympy import MatrixSymbol, Trace
>>> check_limits([Trace(MatrixSymbol("X", 3, 3))], {"n": 3})
>>> check_limits([Trace(MatrixSymbol("X", 20, 20))], {"n": 20})
Traceback (most recent call last):
...
gradproof.symbolic.engine.errors.InvalidInput: --sizes n=20: X has 400 entries (20x20); verify evaluates at most MAX_ENTRIES = 256 entries per matrix; give smaller --sizes
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sympy import Determinant, Inverse, MatPow, preorder_traversal

from gradproof.symbolic.engine.errors import InvalidInput

MAX_ENTRIES = 256
"""Most entries of any one matrix (operand or intermediate) that verify writes out exactly."""
MAX_SQUARE_SIZE = 16
"""Largest n of an n x n matrix under det or inv (or a negative power) that verify evaluates. The exact
checks estimate their own cost and refuse at once above about 2 s (``engine.exact``); this cap only
stops absurd sizes before that estimate is even made. 16 lets the default sweep of
inv(kron(A, B)) = kron(inv(A), inv(B)) (a 9 x 9 inverse) run: 0.9 s here."""
SWEEP_MAX_SIZE = 3
"""Without --sizes, an identity is checked at every size of each dimension from 1 to this."""


def sizes_text(sizes: Mapping[str, int]) -> str:
    """{'m': 2, 'n': 3} as the --sizes argument that gives it: m=2,n=3."""
    return ",".join(f"{name}={value}" for name, value in sizes.items()) or "(none)"


def check_limits(expressions: Iterable, sizes: Mapping[str, int]) -> None:
    """InvalidInput naming the limit if a matrix of ``expressions`` (at concrete ``sizes``) exceeds one."""
    for expression in expressions:
        for node in preorder_traversal(expression):
            if getattr(node, "is_Matrix", False):
                rows, cols = (int(d) for d in node.shape)
                if rows * cols > MAX_ENTRIES:
                    raise InvalidInput(f"--sizes {sizes_text(sizes)}: {node} has {rows * cols} entries "
                                       f"({rows}x{cols}); verify evaluates at most MAX_ENTRIES = {MAX_ENTRIES} "
                                       "entries per matrix; give smaller --sizes")
            if _inverts(node) and int(node.args[0].rows) > MAX_SQUARE_SIZE:
                order = int(node.args[0].rows)
                raise InvalidInput(f"--sizes {sizes_text(sizes)}: {node} takes det or inv of a {order}x{order} "
                                   f"matrix; verify evaluates det and inv of at most MAX_SQUARE_SIZE = "
                                   f"{MAX_SQUARE_SIZE} rows exactly; give smaller --sizes")


def _inverts(node) -> bool:
    if isinstance(node, Inverse | Determinant):
        return True
    return isinstance(node, MatPow) and node.exp.is_negative is True
