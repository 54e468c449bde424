"""The one operand type of the engine: a named matrix whose shape is given by dimension names.

Layer equations (``engine.equations``) and matrix claims (``engine.identities``,
``symbolic.claims``) both describe their operands with ``Operand``. A dimension is a name
(a size role such as ``"in"``, or a dimension letter such as ``"m"``), a literal integer written as
digits (``"3"``) or as an int (``3``, kept as ``"3"``), or ``None`` for 1. Anything else (``0``,
``-2``, ``"2*n"``, ``True``, ``2.0``) is ``InvalidInput``, raised when the operand is made. A column vector has ``cols=None`` and is indexed by one
index; a scalar has both ``None`` and no index.

>>> Operand.matrix("A", "m", "n")
Operand(key='A', name='A', entry='a', rows='m', cols='n')
>>> Operand.matrix("x", "n", "1").rank, dimension_names([Operand.matrix("x", "n", "1")])
(1, ('n',))
>>> Operand.matrix("z", "n", 1) == Operand.matrix("z", "n", "1")  # an int size is its digits
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from gradproof.symbolic.engine.errors import InvalidInput


@dataclass(frozen=True)
class Operand:
    """A matrix operand: ``key`` (its role), printed ``name``, ``entry`` name and its dimensions.

    ``rows``/``cols`` are dimension names, literal sizes (``"3"`` or ``3``) or ``None`` for 1.
    """

    key: str
    name: str
    entry: str
    rows: str | None
    cols: str | None = None

    def __post_init__(self):
        for field_name in ("rows", "cols"):
            object.__setattr__(self, field_name, _checked_dimension(self, field_name, getattr(self, field_name)))

    @classmethod
    def matrix(cls, name: str, rows: str | int | None, cols: str | int | None) -> Operand:
        """An operand of a matrix claim, keyed and printed by ``name``; 1 and "1" become None."""
        return cls(name, name, name.lower(), _dimension(rows), _dimension(cols))

    @property
    def rank(self) -> int:
        """The number of indices of an entry: 0 (scalar), 1 (column vector) or 2."""
        return (self.rows is not None) + (self.cols is not None)

    def shape(self, sizes: Mapping[str, object]) -> tuple:
        """(rows, cols) with each dimension looked up in ``sizes`` (see ``dimension_value``)."""
        return dimension_value(self.rows, sizes), dimension_value(self.cols, sizes)


def _checked_dimension(operand: Operand, field_name: str, dim) -> str | None:
    """``dim`` as stored: None, a dimension name, or a positive integer's digits (InvalidInput otherwise)."""
    if dim is None:
        return None
    if isinstance(dim, int) and not isinstance(dim, bool) and dim >= 1:
        return str(dim)
    if isinstance(dim, str) and (dim.isidentifier() or (dim.isdigit() and int(dim) >= 1)):
        return dim
    raise InvalidInput(f"operand {operand.name!r}: {field_name} must be a dimension name such as 'n', a positive "
                       f"integer (3 or '3') or None for 1, got {dim!r}")


def _dimension(dim) -> str | None:
    """None for a size 1 (None, 1 or "1"), else the dimension (stripped; checked by ``Operand``)."""
    if isinstance(dim, str):
        dim = dim.strip()
    return None if dim is None or str(dim) == "1" else dim


def dimension_value(dim: str | None, sizes: Mapping[str, object]):
    """The size of a dimension: 1 for None, a literal integer ("3"), or ``sizes[dim]``."""
    if dim is None:
        return 1
    return int(dim) if dim.isdigit() else sizes[dim]


def dimension_names(operands: Iterable[Operand]) -> tuple[str, ...]:
    """The named dimensions of the operands, in order of appearance (literal sizes are not names)."""
    names: list[str] = []
    for operand in operands:
        for dim in (operand.rows, operand.cols):
            if dim is not None and not dim.isdigit() and dim not in names:
                names.append(dim)
    return tuple(names)


def require_matrix_operands(operands: Iterable[Operand], where: str) -> None:
    """Claims name each operand once: ``Operand.matrix(name, rows, cols)``; anything else is a
    call with the fields in the wrong places (TypeError, raised at once)."""
    for operand in operands:
        if operand.key != operand.name or operand.entry != operand.name.lower():
            raise TypeError(f"{where}: state operand {operand} as Operand.matrix(name, rows, cols)")
