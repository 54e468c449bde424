"""The expression language: one safe parser (an allow-list over Python's ast, never eval) and its printer."""

from gradproof.symbolic.language.parser import FUNCTIONS, MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH, parse

__all__ = ["FUNCTIONS", "MAX_DEPTH", "MAX_EXPONENT", "MAX_LENGTH", "parse"]
