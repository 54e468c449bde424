"""The expression language: one safe parser (an allow-list over Python's ast, never eval) and its printer."""
