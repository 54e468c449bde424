"""The proof document of the ``conv2d`` target (seed 003; PyTorch's Conv2d convention)."""

from __future__ import annotations

from sympy import (
    Derivative,
    Function,
    Identity,
    IndexedBase,
    KroneckerProduct,
    MatAdd,
    MatMul,
    MatrixSymbol,
    OneMatrix,
    Sum,
    Symbol,
    Transpose,
    floor,
    symbols,
)

from gradproof.proofs.document import Chain, Document, Equation, Math, Section, Text
from gradproof.symbolic.engine.kron import Vec
from gradproof.symbolic.layers.conv import ConvGeometry, geometry_grid, verify
from gradproof.symbolic.layers.conv_general import REFLECTION, ZERO_EXTENSION, general_proofs
from gradproof.symbolic.seeds.conv_matrix import seed003_example
from gradproof.symbolic.seeds.conv_vector_form import fc_special_case, seed004_check


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


def _general_section() -> Section:
    blocks = [Text.of(
        "General sizes: symbolic stride s, padding P and dilation d, any batch size, numbers of channels, "
        "input, kernel and output sizes (indices from 1; x reads 0 outside the image, which is the padding). "
        "A generic entry of each gradient, by the chain rule, differentiated and simplified (linearity; "
        "sifting; for dX, ", ZERO_EXTENSION, ": the hatted G has s - 1 zeros between its entries and zeros "
        "around them):")]
    for proof in general_proofs():
        blocks += [
            Chain(Derivative(Symbol("J"), proof.entry), ((proof.chain, "chain rule; differentiate"),
                                                         (proof.derived, "linearity; sifting")
                                                         if proof.gradient != "input" else
                                                         (proof.derived, "sifting; zero extension and dilation of G"))),
            Text.of("The closed form:"),
            Equation(Symbol(rf"\frac{{\partial J}}{{\partial {proof.gradient[0]}}}"), proof.closed_form, "closed form"),
            *([Equation(Symbol(r"\frac{\partial J}{\partial x}"), proof.closed_reindexed, REFLECTION)]
              if proof.gradient == "input" else []),
            Text.of("Normal forms agree: holds for every size." if proof.holds else "Normal forms DIFFER."),
        ]
    return Section("General sizes: any stride, padding and dilation", tuple(blocks))


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


def _seed004_section() -> Section:
    tiny = seed004_check(ConvGeometry(1, 1, 1, 2, 2, 2, 1, 1, 1))
    checks = [seed004_check(geometry) for geometry in (ConvGeometry(1, 2, 2, 3, 3, 2, 1, 1, 1),
                                                        ConvGeometry(1, 1, 2, 4, 5, 2, 2, 1, 2))]
    positions, c_out, patch = symbols("P C_{out} K", integer=True, positive=True)
    w, phi, b = MatrixSymbol("W", c_out, patch), MatrixSymbol(r"\phi", patch, positions), MatrixSymbol("b", c_out, 1)
    vec_s = MatrixSymbol(r"\operatorname{vec}(S)", c_out * positions, 1)
    grad = MatrixSymbol("G", c_out, positions)
    padded_size, z_size = symbols("Q_{pad} Q", integer=True, positive=True)
    p_phi = MatrixSymbol(r"P_{\phi}", patch * positions, padded_size)
    p_pad = MatrixSymbol(r"P_{\mathrm{pad}}", padded_size, z_size)
    bias_term = MatMul(KroneckerProduct(OneMatrix(positions, 1), Identity(c_out)), b)
    blocks = [
        Text.of("P_pad and P_phi are the Jacobians of the numeric padding and im2col applied to symbols, so they "
                "are the layer's own operators. For a 2 x 2 input, a 2 x 2 kernel and padding 1:"),
        Equation(Symbol(r"P_{\mathrm{pad}}"), tiny.p_pad, "Jacobian of numeric.conv.pad2d"),
        Equation(Symbol(r"P_{\phi}"), tiny.p_phi, "Jacobian of numeric.conv.im2col"),
        Text.of("Seed 004's statements, each checked exactly against the derivation from the scalar equations:"),
        Equation(vec_s, MatAdd(MatMul(KroneckerProduct(Identity(positions), w), Vec(phi)), bias_term), "seed 004 (4)"),
        Equation(vec_s, MatAdd(MatMul(KroneckerProduct(phi.T, Identity(c_out)), Vec(w)), bias_term), "seed 004 (5)"),
        Text.of("and, with G the derivative of xi with respect to S, the three gradients:"),
        Equation(MatrixSymbol(r"\frac{\partial \xi}{\partial \operatorname{vec}(W)^{T}}", 1, c_out * patch),
                 Vec(MatMul(grad, phi.T)).T, "the weight gradient"),
        Equation(MatrixSymbol(r"\frac{\partial \xi}{\partial b}", c_out, 1), MatMul(grad, OneMatrix(positions, 1)),
                 "the bias gradient"),
        Equation(MatrixSymbol(r"\frac{\partial \xi}{\partial \operatorname{vec}(Z)^{T}}", 1, z_size),
                 MatMul(Vec(MatMul(w.T, grad)).T, p_phi, p_pad), "the input gradient through P_phi and P_pad"),
    ]
    for check in checks:
        g = check.geometry
        blocks.append(Text.of(
            f"Input {g.in_channels} x {g.height} x {g.width}, {g.out_channels} output channels, kernel {g.kernel}, "
            f"stride {g.stride}, padding {g.padding}, dilation {g.dilation}: "
            + "; ".join(f"{name}: {'holds' if ok else 'FAILS'}" for name, ok in check.checks.items()) + "."
        ))
    fc_case = fc_special_case()
    blocks.append(Text.of("The FC layer as a special case (a 1 x 1 image, a 1 x 1 kernel): "
                          + "; ".join(f"{name}: {'holds' if ok else 'FAILS'}" for name, ok in fc_case.items()) + "."))
    return Section("Seed 004: P_pad, P_phi and the vector form", tuple(blocks))


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
    return Document("gradproof: Conv2d (seeds 003 and 004, PyTorch convention)",
                    (intro, _general_section(), _grid_section(), _seed003_section(), _seed004_section()))
