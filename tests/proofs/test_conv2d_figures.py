"""The band figure of conv2d.pdf (seed 003) is the checked convolution matrix M, zeros as dots."""

def test_band_figure_prints_every_nonzero_of_the_checked_conv_matrix_and_dots_for_zeros():
    from gradproof.proofs.figures import BandFigure
    from gradproof.symbolic.seeds import conv_matrix

    m = conv_matrix.seed003_example().conv_matrix
    tex = BandFigure(m, "M").to_latex()
    zeros = sum(1 for value in m if value == 0)
    assert 0 < zeros < len(m)
    assert tex.count(r"\cdot") == zeros
    assert tex.count("&") == m.rows * (m.cols - 1)


def test_kernel_flip_figure_value_is_the_numeric_dx_entry_at_every_position():
    import numpy as np

    from gradproof.numeric.rules.conv import conv2d_grad_input
    from gradproof.proofs.figures import KernelFlipFigure

    g = ((1, 2, 0), (3, 1, 2), (0, 1, 1))
    k = ((1, 2, 0), (0, 1, 3), (2, 0, 1))  # not symmetric under rotation: a missing flip shows
    dx = conv2d_grad_input(np.array(g, dtype=float)[None, None], np.array(k, dtype=float)[None, None],
                           (1, 1, 3, 3), stride=1, padding=1)[0, 0]
    for i, j in np.ndindex(3, 3):
        padded, rotated, _, value = KernelFlipFigure(g, k, 1, (i, j), "").parts()
        assert value == dx[i, j]
    assert padded.shape == (5, 5) and rotated.tolist() == [[1, 0, 2], [3, 1, 0], [0, 2, 1]]
    tex = KernelFlipFigure(g, k, 1, (0, 0), "").to_latex()
    assert tex.count(r"\boxed") == 9


def test_kernel_flip_figure_refuses_a_padding_beyond_the_kernel():
    import pytest

    from gradproof.proofs.figures import KernelFlipFigure

    with pytest.raises(ValueError, match="padding must be in"):
        KernelFlipFigure(((1,),), ((1, 2), (3, 4)), 2, (0, 0), "").parts()
