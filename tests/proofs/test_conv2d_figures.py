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
