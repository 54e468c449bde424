"""Figures keep their caption: display and caption sit in one minipage, which TeX does not break (in the
portrait conv2d.pdf a page break fell between seed 003's band matrix and its caption, which then opened
the next page alone)."""

import re

from sympy import Matrix

from gradproof.proofs.figures import BandFigure, KernelFlipFigure, PooledImageFigure


def _figures():
    image = Matrix([[1, 5, 2, 0], [3, 4, 9, 6], [0, 1, 2, 3], [7, 2, 1, 8]])
    p_pool = Matrix(4, 16, lambda r, c: int(c == (1, 8, 7, 13)[r]))  # one selected entry per 2 x 2 window
    return (BandFigure(Matrix([[1, 0], [2, 3]]), "the band caption"),
            KernelFlipFigure(((1, 2), (3, 4)), ((1, 0), (0, 1)), 0, (0, 0), "the flip caption"),
            PooledImageFigure(image, p_pool, 2, "the pool caption"))


def test_each_figure_and_its_caption_are_one_unbreakable_box():
    for figure in _figures():
        tex = figure.to_latex()
        boxes = re.findall(r"\\begin\{minipage\}(.*?)\\end\{minipage\}", tex, re.S)
        assert len(boxes) == 1, tex
        inside = boxes[0]
        assert r"\[" in inside and r"\]" in inside and "caption" in inside, tex
        # nothing but the centring around the box: no display or caption outside it
        outside = tex.replace(boxes[0], "")
        assert "caption" not in outside and r"\[" not in outside
