"""The proof document of the ``conv2d`` target (seed 003; PyTorch's Conv2d convention)."""

from __future__ import annotations

from sympy import (
    Derivative,
    Identity,
    IndexedBase,
    KroneckerProduct,
    MatAdd,
    MatMul,
    MatrixSymbol,
    OneMatrix,
    Symbol,
    symbols,
)

from gradproof.numeric.rules import conv as conv_rules
from gradproof.proofs.document import Chain, Document, Equation, Section, Source, Text
from gradproof.proofs.figures import BandFigure, KernelFlipFigure
from gradproof.proofs.notation import notation_section
from gradproof.symbolic.engine.kron import Vec
from gradproof.symbolic.layers import conv_general as general
from gradproof.symbolic.layers.conv import ConvGeometry


def _scalar_equation() -> Equation:
    """The one scalar equation (``conv.scalar_equation``), as the general-size proofs use it."""
    n, o, u, v = general.n, general.o, general.u, general.v
    return Equation(IndexedBase("y")[n, o, u, v], general.equation(n, o, u, v),
                    "scalar equation; x is 0 outside the image (the padding)",
                    Source("seed", "seed 004 (3), the convolution's scalar equation in PyTorch's convention"))


def _output_sizes() -> tuple[Equation, ...]:
    """H_out and W_out as the numeric rules compute them (``output_size`` run on symbols)."""
    return tuple(
        Equation(out, conv_rules.output_size(size, kernel, general.STRIDE, general.PAD, general.DIL),
                 "output size, as PyTorch", Source("definition", "the numeric rule output_size run on symbols"))
        for out, size, kernel in ((general.H_OUT, general.H, general.K_H), (general.W_OUT, general.W, general.K_W))
    )


def _dilation_of_g() -> Equation:
    """The definition of the hatted G that the dX proof and its evaluation both use."""
    g, n, o, u, v = general.g, general.n, general.o, general.u, general.v
    hat = general.g_extended[n, o, general.dilated_position(u, general.STRIDE), general.dilated_position(v, general.STRIDE)]
    return Equation(hat, g[n, o, u, v], "G dilated by s; every other entry of the hatted G is 0",
                    Source("definition", "the dilation of G used by the dX proof and its evaluation"))


def _geometry_text(geometry: ConvGeometry) -> str:
    g = geometry
    k_h, k_w = g.kernel_hw
    return (f"batch {g.batch}, {g.in_channels} -> {g.out_channels} channels, input {g.height} × {g.width}, "
            f"kernel {k_h} × {k_w}, stride {g.stride}, padding {g.padding}, dilation {g.dilation}")


def _instances_text(proof) -> Text:
    where = "; ".join(_geometry_text(geometry) for geometry, _ in proof.instances)
    if proof.refuting_instance is None:
        return Text.of(f"Evaluated entry by entry at {where}, the closed form equals the numeric rule run on the same "
                       "symbols (exact).")
    geometry, (index, closed, numeric) = proof.refuting_instance
    return Text.of(f"REFUTED at {_geometry_text(geometry)}, entry {index}: the closed form gives {closed}, "
                   f"the numeric rule {numeric}.")


def _verdict_text(proof) -> Text:
    return Text.of({True: "Both checks pass: the closed form holds for every size.",
                    False: "The closed form is wrong (counterexample above).",
                    None: "Not decided: the normal forms differ, and no evaluated instance refutes the closed "
                          "form."}[proof.holds])


def _proof_blocks(proof) -> list:
    step = "sifting; zero extension and dilation of G" if proof.subject == "input" else "linearity; sifting"
    symbol = {"input": "x", "weight": "w", "bias": "b"}[proof.subject]
    source = Source("check", f"general-size proof of the conv2d {proof.subject} gradient", proof.holds is True)
    blocks = [
        Chain(Derivative(Symbol("L"), proof.entry), ((proof.chain, "chain rule; differentiate"), (proof.collapsed, step)),
              source),
        Text.of("The closed form:"),
        Equation(Symbol(rf"\frac{{\partial L}}{{\partial {symbol}}}"), proof.closed_form, "closed form", source),
    ]
    for reindexed, rule in proof.right_steps:
        blocks.append(Equation(Symbol(r"\frac{\partial L}{\partial x}"), reindexed, rule, source))
    blocks.append(Text.of("Normal forms agree." if proof.normal_forms_agree else "Normal forms DIFFER."))
    return blocks + [_instances_text(proof), _verdict_text(proof)]


def _general_section(proofs) -> Section:
    blocks = [
        Text.of(
            "General sizes: symbolic stride s, padding P and dilation d, any batch size, numbers of channels, "
            "input sizes and kernel sizes K_h × K_w. A generic entry of each gradient, by the chain rule applied "
            "to the scalar equation above, differentiated and simplified (linearity; sifting; for dX, ",
            general.ZERO_EXTENSION, "). The hatted G is G dilated by s, zero between and around its entries:"),
        _dilation_of_g(),
        Text.of("Each closed form is checked twice: its normal form against the derivation's, for every size; "
                "and, evaluated at concrete sizes, against the numeric rule, which is written independently. The "
                "backward of a convolution is another convolution: dX correlates the hatted G with the rotated, "
                "channel-swapped kernel; dW correlates the padded input with G, stride and dilation exchanged."),
    ]
    for proof in proofs:
        blocks += _proof_blocks(proof)
    return Section("General sizes: any stride, padding, dilation and kernel", tuple(blocks))


def _values(geometries, read) -> str:
    return ", ".join(str(value) for value in sorted({read(g) for g in geometries}))


def _grid_section(results) -> Section:
    grid = [result.geometry for result in results]
    failures = [r for r in results if not r.holds]
    verdict = (
        f"All {len(results)} configurations hold: dX, dW and db derived from the scalar equations equal the "
        "numeric rules entry by entry (dX in both forms, col2im and transposed convolution)."
        if not failures
        else f"{len(failures)} of {len(results)} configurations FAIL, the first: {_geometry_text(failures[0].geometry)}."
    )
    kernels = ", ".join(f"{h} × {w}" for h, w in sorted({g.kernel_hw for g in grid}))
    description = (
        f"Batch {_values(grid, lambda g: g.batch)}; input channels {_values(grid, lambda g: g.in_channels)}; output "
        f"channels {_values(grid, lambda g: g.out_channels)}; kernels {kernels}; stride {_values(grid, lambda g: g.stride)}; "
        f"padding {_values(grid, lambda g: g.padding)}; dilation {_values(grid, lambda g: g.dilation)}; input "
        f"{_values(grid, lambda g: g.height)} × {_values(grid, lambda g: g.width)}. The scalar equation is instantiated "
        "with a distinct symbol in every entry, the local chain rule gives dX, dW and db, and the numeric rules of "
        "the layer (its forward pass, col2im and transposed-convolution dX, dW, db), run on the same symbols, are "
        "compared exactly."
    )
    return Section("Concrete sizes: the grid of configurations", (Text.of(description), Text.of(verdict)))


def _seed003_section(e) -> Section:
    mark = {True: "holds", False: "FAILS"}
    return Section(
        "Seed 003: a 3 × 3 input, a 3 × 3 kernel, zero padding 1, as matrix products",
        (
            Text.of("The convolution is a product with the Jacobian of the outputs with respect to the input:"),
            Equation(Symbol("M"), e.conv_matrix, "Jacobian of the scalar equations",
                     Source("check", "seed 003: M is the Jacobian; M^T gives the backward pass", e.backward_is_transpose)),
            BandFigure(e.conv_matrix, "The band structure of M (zeros as dots): each row holds the kernel's "
                       "entries, shifted with the output position; rows of border outputs lose the taps that fall "
                       "on the padding."),
            Text.of(
                f"Backward pass: the transpose of M applied to the output gradient equals dX from the chain rule: "
                f"{mark[e.backward_is_transpose]}. The transpose is the matrix of the convolution with the "
                f"rotated kernel (the full correlation of the numeric rule):"
            ),
            Equation(Symbol("M^{T}"), e.rotated_matrix, source=Source("check", "seed 003: M^T is the rotated-kernel "
                     "convolution", e.transpose_is_rotated_convolution), rule=f"rotated-kernel convolution; equal to the transpose of M: "
                     f"{mark[e.transpose_is_rotated_convolution]}"),
            Text.of("Weight gradient: with Q the Jacobian of the outputs with respect to the kernel,"),
            Equation(Symbol("Q"), e.weight_matrix, "Jacobian of the scalar equations",
                     Source("check", "seed 003: dL/dw = Q^T dL/dy", e.weight_gradient_is_q_transpose)),
            Text.of(f"the transpose of Q applied to the output gradient equals dW from the chain rule: "
                    f"{mark[e.weight_gradient_is_q_transpose]}."),
            Equation(Symbol(r"\frac{\partial L}{\partial w}"), e.grad_weight, "chain rule, entry by entry",
                     Source("check", "seed 003: dL/dw = Q^T dL/dy", e.weight_gradient_is_q_transpose)),
            Text.of("The same dX entry by the flipped kernel, with small integers: G padded by K - 1 - P = 1, the "
                    "kernel rotated by 180 degrees, and the window it covers for entry (2, 1) boxed; the value is "
                    "the numeric rule's dX at that entry."),
            KernelFlipFigure(((1, 2, 0), (3, 1, 2), (0, 1, 1)), ((1, 2, 0), (0, 1, 3), (2, 0, 1)), 1, (1, 0),
                             "Kernel flip (seed 003): the correlation of the padded G with the rotated kernel."),
        ),
    )


def _seed004_section(checks, fc_case) -> Section:
    tiny = checks[0]
    positions, c_out, patch = symbols("M O K", integer=True, positive=True)
    w, phi, b = MatrixSymbol("W", c_out, patch), MatrixSymbol(r"\phi", patch, positions), MatrixSymbol("b", c_out, 1)
    vec_s = MatrixSymbol(r"\operatorname{vec}(S)", c_out * positions, 1)
    grad = MatrixSymbol("G", c_out, positions)
    padded_size, z_size = symbols(r"Q_{\mathrm{pad}} Q", integer=True, positive=True)
    p_phi = MatrixSymbol(r"P_{\phi}", patch * positions, padded_size)
    p_pad = MatrixSymbol(r"P_{\mathrm{pad}}", padded_size, z_size)
    bias_term = MatMul(KroneckerProduct(OneMatrix(positions, 1), Identity(c_out)), b)
    operators = Source("check", "P_pad and P_phi: seed 004's statements at a 2 × 2 input", tiny.holds)
    statements = Source("check", f"seed 004's three gradients, exact at {len(checks)} geometries",
                        all(check.holds for check in checks))
    blocks = [
        Text.of("P_pad and P_phi are the Jacobians of the numeric padding and im2col applied to symbols, so they "
                "are the layer's own operators. For a 2 × 2 input, a 2 × 2 kernel and padding 1:"),
        Equation(Symbol(r"P_{\mathrm{pad}}"), tiny.p_pad, "Jacobian of the layer's zero padding", operators),
        Equation(Symbol(r"P_{\phi}"), tiny.p_phi, "Jacobian of the layer's patch extraction (im2col)", operators),
        Text.of("Seed 004's statements, each checked exactly against the derivation from the scalar equations, for "
                "one sample: S is the O × M output (O output channels, M = H_out W_out output positions), phi the "
                "K × M matrix of patches (K = C K_h K_w), Z the input with Q = C H W entries and Q_pad entries once "
                "padded. (The seed writes a_conv b_conv for M and d for O.)"),
        Equation(vec_s, MatAdd(MatMul(KroneckerProduct(Identity(positions), w), Vec(phi)), bias_term), "seed 004 (4)",
                 Source("seed", "seed 004 (4)")),
        Equation(vec_s, MatAdd(MatMul(KroneckerProduct(phi.T, Identity(c_out)), Vec(w)), bias_term), "seed 004 (5)",
                 Source("seed", "seed 004 (5)")),
        Text.of("and, with G the derivative of the loss L with respect to S, the three gradients:"),
        Equation(MatrixSymbol(r"\frac{\partial L}{\partial \operatorname{vec}(W)^{T}}", 1, c_out * patch),
                 Vec(MatMul(grad, phi.T)).T, "the weight gradient", statements),
        Equation(MatrixSymbol(r"\frac{\partial L}{\partial b}", c_out, 1), MatMul(grad, OneMatrix(positions, 1)),
                 "the bias gradient", statements),
        Equation(MatrixSymbol(r"\frac{\partial L}{\partial \operatorname{vec}(Z)^{T}}", 1, z_size),
                 MatMul(Vec(MatMul(w.T, grad)).T, p_phi, p_pad), "the input gradient through P_phi and P_pad",
                 statements),
    ]
    for check in checks:
        g = check.geometry
        blocks.append(Text.of(
            f"Input {g.in_channels} × {g.height} × {g.width}, {g.out_channels} output channels, kernel {g.kernel}, "
            f"stride {g.stride}, padding {g.padding}, dilation {g.dilation}: "
            + "; ".join(f"{name}: {'holds' if ok else 'FAILS'}" for name, ok in check.checks.items()) + "."
        ))
    blocks.append(Text.of("The FC layer as a special case (a 1 × 1 image, a 1 × 1 kernel): "
                          + "; ".join(f"{name}: {'holds' if ok else 'FAILS'}" for name, ok in fc_case.items()) + "."))
    return Section("Seed 004: P_pad, P_phi and the vector form", tuple(blocks))


def conv_document(run) -> Document:
    """The Conv2d proof from one run of the ``conv2d`` target: every verdict shown is that run's."""
    proofs = [run.rule(f"conv2d.{gradient}").verdicts.general.evidence for gradient in ("input", "weight", "bias")]
    grid_results = run.rule("conv2d.input").verdicts.concrete.evidence
    evidence = run.statements.evidence
    intro = Section(
        "Conventions and the scalar equation",
        (
            Text.of("PyTorch's convention: cross-correlation, input N × C × H × W, weight O × C × K_h × K_w, zero "
                    "padding P, stride s, dilation d; indices from 1. One output entry, the equation from which "
                    "every check below starts:"),
            _scalar_equation(),
            *_output_sizes(),
            Text.of("The layer computes dX as seed 004 writes it (a matrix product, then col2im, the transpose of "
                    "im2col, then the padding cropped) and also, as seed 003 writes it, as a transposed convolution; "
                    "the closed forms of dX, dW and db below are the general-size statements, each evaluated "
                    "against the numeric rules."),
        ),
    )
    return Document("gradproof: Conv2d (seeds 003 and 004, PyTorch convention)",
                    (notation_section(), intro, _general_section(proofs), _grid_section(grid_results), _seed003_section(evidence["seed003"]),
                     _seed004_section(evidence["seed004"], evidence["fc_special_case"])))
