"""The pooled-image figure of network.pdf (seed 002) boxes the entries numeric max pooling selects and
shows the pooled values numeric max pooling computes; both read from the checked P_pool."""

import numpy as np
import pytest
from sympy import Matrix

from gradproof.numeric.rules import pooling as pool_rules
from gradproof.proofs.figures import PooledImageFigure, selected_positions
from gradproof.symbolic.seeds import theorem


def _figure():
    example = theorem.worked_example()
    return PooledImageFigure(Matrix(theorem.SEED002_IMAGE), example["P_pool"], 2, "Seed 002's image.")


def test_boxed_entries_are_the_numeric_argmax_and_pooled_values_the_numeric_max():
    image = np.array(theorem.SEED002_IMAGE, dtype=float)[None, None]
    argmax = pool_rules.maxpool_argmax(image, 2, 2)
    pooled = pool_rules.maxpool_forward(image, argmax, 2, 2)[0, 0]
    figure = _figure()
    tex = figure.to_latex()
    boxed = sorted(int(theorem.SEED002_IMAGE[i][j]) for i, j in selected_positions(figure.p_pool, 4))
    assert boxed == sorted(int(value) for value in pooled.flat) == [4, 5, 6, 9]
    assert tex.count(r"\boxed") == 4
    for value in (5, 9, 4, 6):
        assert rf"\boxed{{{value}}}" in tex
    # the pooled image, row by row, as numeric max pooling gives it
    assert pooled.tolist() == [[5.0, 9.0], [4.0, 6.0]]
    assert r"5 & 9 \\" in tex and r"4 & 6 \\" in tex


def test_a_row_that_is_not_a_selection_is_refused():
    with pytest.raises(ValueError, match="single 1"):
        selected_positions(Matrix([[1, 1, 0, 0]]), 2)

