"""The proof document of the ``conv2d`` target (seed 003; PyTorch's Conv2d convention)."""

from __future__ import annotations

from sympy import Function, IndexedBase, MatMul, MatrixSymbol, Sum, Symbol, Transpose, floor, symbols

from proofs.document import Document, Equation, Math, Section, Text
from symbolic.conv import geometry_grid, verify
from symbolic.conv_matrix import seed003_example


def _scalar_equation() -> Equation:
    n, o, u, v, c, i, j = symbols("n o u v c i j", integer=True)
    s, d, k, c_in = symbols("s d k C_{in}", integer=True, positive=True)
    y, w, b, x_pad = IndexedBase("y"), IndexedBase("w"), IndexedBase("b"), IndexedBase(r"x_{\mathrm{pad}}")
    body = w[o, c, i, j] * x_pad[n, c, u * s + i * d, v * s + j * d]
    return Equation(y[n, o, u, v], b[o] + Sum(body, (j, 0, k - 1), (i, 0, k - 1), (c, 0, c_in - 1)), "scalar equation")


def _output_size() -> Equation:
    h, k, s, p, d = symbols("H k s p d", integer=True, positive=True)
    return Equation(Symbol("H_{out}"), floor((h + 2 * p - d * (k - 1) - 1) / s) + 1, "output size, as PyTorch")


def _closed_forms() -> tuple:
    """The numeric rules' compositions, named as in numeric/conv.py (display of the one source)."""
    g, w, x = (MatrixSymbol(name, Symbol("r"), Symbol("c")) for name in "GWX")
    p, d, k = symbols("p d k", integer=True, positive=True)
    corr, pad, dilate, rot, crop, total = (
        Function(name) for name in (r"\operatorname{corr}_{d}", r"\operatorname{pad}", r"\operatorname{dilate}_{s}",
                                    r"\operatorname{rot180}^{\mathrm{swap}}", r"\operatorname{crop}_{p}",
                                    r"\sum_{n}")
    )
    col2im = Function(r"\operatorname{col2im}")
    return (
        Equation(Symbol(r"\frac{\partial L}{\partial X}"), crop(col2im(MatMul(Transpose(w), g, evaluate=False))),
                 "seed 004, numeric.conv.conv2d_grad_input (the layer's)"),
        Equation(Symbol(r"\frac{\partial L}{\partial X}"), crop(corr(pad(dilate(g), d * (k - 1)), rot(w))),
                 "seed 003, numeric.conv.conv2d_grad_input_transposed"),
        Equation(Symbol(r"\frac{\partial L}{\partial W}"), total(corr(pad(x, p), dilate(g))),
                 "numeric.conv.conv2d_grad_weight"),
        Equation(Symbol(r"\frac{\partial L}{\partial b}"), Function(r"\sum_{n,u,v}")(g), "numeric.conv.conv2d_grad_bias"),
    )


def _grid_section() -> Section:
    results = [verify(geometry) for geometry in geometry_grid()]
    failures = [r for r in results if not r.holds]
    verdict = (
        f"All {len(results)} configurations hold: dX, dW and db derived from the scalar equations equal the "
        "closed forms entry by entry (dX in both forms)."
        if not failures
        else f"{len(failures)} of {len(results)} configurations FAIL, the first: {failures[0].geometry}."
    )
    return Section(
        "Concrete sizes: the grid of configurations",
        (
            Text.of(
                "For every combination of batch 1-2, input and output channels 1-2, kernel 1-3, stride 1-2, "
                "padding 0-1 and dilation 1-2 on a 5 x 6 input, the scalar equations are instantiated with a "
                "distinct symbol in every entry, the local chain rule gives dX, dW and db, and the closed forms "
                "(the numeric rules run on the same symbols) are compared exactly."
            ),
            Text.of(verdict),
        ),
    )


def _seed003_section() -> Section:
    e = seed003_example()
    mark = {True: "holds", False: "FAILS"}
    return Section(
        "Seed 003: a 3 x 3 input, a 3 x 3 kernel, zero padding 1, as matrix products",
        (
            Text.of("The convolution is a product with the Jacobian of the outputs with respect to the input:"),
            Equation(Symbol("M"), e.conv_matrix, "Jacobian of the scalar equations"),
            Text.of(
                f"Backward pass: the transpose of M applied to the output gradient equals dX from the chain rule: "
                f"{mark[e.backward_is_transpose]}. The transpose is the matrix of the convolution with the "
                f"rotated kernel (the full correlation of the numeric rule):"
            ),
            Equation(Symbol("M^{T}"), e.rotated_matrix, f"rotated-kernel convolution; equal to the transpose of M: "
                     f"{mark[e.transpose_is_rotated_convolution]}"),
            Text.of("Weight gradient: with Q the Jacobian of the outputs with respect to the kernel,"),
            Equation(Symbol("Q"), e.weight_matrix, "Jacobian of the scalar equations"),
            Text.of(f"the transpose of Q applied to the output gradient equals dW from the chain rule: "
                    f"{mark[e.weight_gradient_is_q_transpose]}."),
            Equation(Symbol(r"\frac{\partial L}{\partial w}"), e.grad_weight, "chain rule, entry by entry"),
        ),
    )


def conv_document() -> Document:
    intro = Section(
        "Conventions and the closed forms",
        (
            Text.of("PyTorch's convention: cross-correlation, input N x C_in x H x W, weight C_out x C_in x k x k, "
                    "zero padding p, stride s, dilation d; indices from 0 as in NumPy. One output entry:"),
            _scalar_equation(),
            _output_size(),
            Text.of("The closed forms, as compositions of the functions of numeric/conv.py (each is one NumPy "
                    "function; the same functions run on symbols below):"),
            *_closed_forms(),
            Text.of("Here ", Math(Symbol(r"\operatorname{dilate}_{s}")), " inserts s - 1 zeros between entries, ",
                    Math(Symbol(r"\operatorname{rot180}^{\mathrm{swap}}")), " rotates the kernel by 180 degrees and "
                    "swaps its input and output channels, col2im adds every column entry back to the input "
                    "position it was read from (the transpose of im2col, seed 004's P_phi), and the crop drops the "
                    "padding (rows no window reached get 0). Both forms of dX are checked below."),
        ),
    )
    return Document("gradproof: Conv2d (seed 003, PyTorch convention)", (intro, _grid_section(), _seed003_section()))
