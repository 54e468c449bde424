"""The engine's deliberate exceptions: each says why no verdict was given.

A refuted claim is never an exception: it is a result whose ``holds`` is False, carrying a
counterexample. Exceptions are kept for the two cases where no verdict can be given:

* ``InvalidInput``: the statement itself is malformed (operands that do not conform, sizes
  missing or not positive integers, an expression that is not scalar where a scalar is needed).
  The command line reports it as bad input (exit status 2).
* ``NotSupported``: the statement is well formed but a method has no rule for it (the index
  algebra meets a determinant; explicit evaluation meets an unknown matrix function). The
  caller reports "not decided" with the message as its reason.

Anything else that escapes the engine (TypeError, AttributeError, ...) is a bug and propagates.
"""

from __future__ import annotations


class InvalidInput(ValueError):
    """The statement is malformed; the message names the operands, sizes or expression at fault."""


class NotSupported(Exception):
    """A method has no rule for a well-formed statement; the message says which construct."""


class OutsideIndexAlgebra(NotSupported):
    """The general-size index algebra has no entry rule for an expression (e.g. a determinant)."""
