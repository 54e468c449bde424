"""Scalar functions SymPy lacks in the form the seeds use: relu and its derivative I[s].

``relu(s)`` is max(s, 0); its derivative is the indicator ``indicator(s)`` = I[s > 0] (seed 002
writes I[s]), taken as 0 at the kink s = 0, as PyTorch does. ``indicator`` is piecewise constant,
so its own derivative is 0 wherever it exists; SymPy's chain rule then yields exactly the
masks of seed 002 (4).
"""

from __future__ import annotations

from sympy import Function, Max, S


class indicator(Function):
    """I[s]: 1 if s > 0, else 0.

    >>> from sympy import Symbol
    >>> indicator(3), indicator(0), indicator(-2)
    (1, 0, 0)
    >>> indicator(relu(Symbol("t")))  # I[relu(t)] = I[t]: ReLU's output is positive where t is
    indicator(t)
    """

    @classmethod
    def eval(cls, arg):
        if arg.is_extended_real and arg.is_number:
            return S.One if arg.is_positive else S.Zero
        if isinstance(arg, relu):
            # relu(t) > 0 exactly where t > 0: the ReLU property seed 002's theorem uses
            return cls(arg.args[0])
        return None

    def fdiff(self, argindex=1):
        return S.Zero

    def _latex(self, printer):
        return rf"\mathbb{{I}}\left[{printer._print(self.args[0])}\right]"


class relu(Function):
    """relu(s) = max(s, 0), with d relu(s)/ds = I[s] (seed 001, seed 002 (4)).

    >>> from sympy import Symbol, diff
    >>> s = Symbol("s")
    >>> diff(relu(s), s)
    indicator(s)
    >>> relu(-2), relu(5)
    (0, 5)
    """

    @classmethod
    def eval(cls, arg):
        if arg.is_extended_real and arg.is_number:
            return Max(arg, S.Zero)
        return None

    def fdiff(self, argindex=1):
        return indicator(self.args[0])

    def _latex(self, printer):
        return rf"\operatorname{{relu}}\left({printer._print(self.args[0])}\right)"
