"""Differentials: gradient, vec-Jacobian and Hessian of an expression, by named rules, checked before shown.

``gradient``, ``jacobian`` and ``hessian`` derive (``calculus.derivation``); ``check`` runs the exact
and finite-difference checks on a derivation (``calculus.checks``); ``derive`` does both from text.
"""

from gradproof.symbolic.calculus.derivation import Derivation, gradient, hessian, jacobian

__all__ = ["Derivation", "gradient", "hessian", "jacobian"]
