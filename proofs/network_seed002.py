"""Seed 002's theorem in network.pdf: (5) and (6) as the seed writes them, the theorem under its real
conditions (``symbolic.seeds.selection``), its corollary for ReLU, tanh and the sigmoid, seed 002's worked
example with its figure, and the two counterexamples with their inputs printed."""

from __future__ import annotations

from sympy import (
    Derivative,
    Eq,
    HadamardProduct,
    MatMul,
    Matrix,
    MatrixSymbol,
    Symbol,
    Transpose,
    exp,
    tanh,
)

from gradproof.proofs.document import (
    Equation,
    Math,
    Section,
    Source,
    Theorem,
    latex,
    ref,
)
from gradproof.proofs.figures import PooledImageFigure
from gradproof.proofs.network_display import (
    Verbatim,
    checked,
    derivation_rows,
    display_row,
    para,
    steps,
    verdict,
)
from gradproof.symbolic.engine.functions import indicator, relu
from gradproof.symbolic.seeds import selection, theorem

# ---------------------------------------------------------------------------------- seed 002's theorem

COROLLARY = "ReLU, tanh and the sigmoid need not store S"

def _seed_forms():
    g = MatrixSymbol(r"\frac{\partial L}{\partial \operatorname{vec}(Z)^{T}}", 1, Symbol("m"))
    p = MatrixSymbol(r"P_{\mathrm{pool}}", Symbol("m"), Symbol("n"))
    mask_s = MatrixSymbol(r"\operatorname{vec}(\mathbb{I}[S])^{T}", 1, Symbol("n"))
    mask_z = MatrixSymbol(r"\operatorname{vec}(\mathbb{I}[Z])^{T}", 1, Symbol("m"))
    return (Equation(Symbol("(5)"), HadamardProduct(MatMul(g, p), mask_s), para("seed 002 (5): needs S"),
                     Source("seed", "seed 002 (5)")),
            Equation(Symbol("(6)"), MatMul(HadamardProduct(g, mask_z), p), para("seed 002 (6): needs only Z"),
                     Source("seed", "seed 002 (6)")))


def _selection_theorem(proof, exhaustive, hypotheses, tanh_check) -> tuple:
    source = checked("general-size proof of seed 002's theorem under its conditions", proof.holds)
    n_z, n_s = selection.N_Z, selection.N_S
    g = MatrixSymbol("g", n_z, 1)
    p = MatrixSymbol(r"P_{\mathrm{pool}}", n_z, n_s)
    z = MatrixSymbol("z", n_z, 1)
    sigma_prime, h = Verbatim(r"\sigma'(\operatorname{vec}(S))"), Verbatim("h(z)")
    statement = Eq(HadamardProduct(MatMul(Transpose(g), p),
                                   Transpose(MatrixSymbol(r"\sigma'(\operatorname{vec}(S))", n_s, 1))),
                   MatMul(HadamardProduct(Transpose(g), Transpose(MatrixSymbol("h(z)", n_z, 1))), p),
                   evaluate=False)
    count, holds = exhaustive
    tanh_count, tanh_holds = tanh_check
    t = Symbol("t")
    hyp = checked("the activations' derivatives as functions of their outputs", all(hypotheses.values()))
    theorem_block = Theorem("theorem", "Seed 002's theorem, with its conditions", (
        para("Let vec(S) have ", n_s, " entries, ", Eq(z, Verbatim(r"\operatorname{vec}(Z)"), evaluate=False), " have ",
           n_z, " and ", Eq(g, Verbatim(r"\partial L/\partial \operatorname{vec}(Z)"), evaluate=False),
           ". Suppose (i) P_pool is a selection: a 0/1 matrix with one 1 in each row, at column ",
           Verbatim(r"\operatorname{sel}(k)"), " in row k, and ",
           Eq(z, MatMul(p, Verbatim(r"\sigma(\operatorname{vec}(S))")), evaluate=False),
           "; (ii) the derivative of σ is a function of its output: ",
           Eq(Verbatim(r"\sigma'(t)"), Verbatim(r"h(\sigma(t))"), evaluate=False), " for some h. Then, for every ",
           n_z, ", ", n_s, " and selection, (5) and (6) with h(z) in place of ", Verbatim(r"\mathbb{I}[z]"), " agree:"),
        Equation(statement.lhs, statement.rhs, "", source),
    ), (
        steps(proof.lhs, derivation_rows(proof, source)),
        para("The first row is entry j of (6) with h(z) for ", Verbatim(r"\mathbb{I}[z]"), ", the last entry j of (5): ",
           sigma_prime, " is read at S's entries in (5) and ", h, " at Z's in (6). Checked: each step, with P_pool's "
           "entries and z substituted, has the normal form of entry j of (5) at symbolic ", n_z, " and ", n_s,
           ", selection sel and functions σ, h " f"(exact): {verdict(proof.holds)}."),
        para("Where (i) comes from: max pooling selects; when the implementation pools S before σ, the "
                "selection is still an argmax of σ(S) because σ is non-decreasing, so max pooling commutes with "
                "σ. Average pooling is not a selection."),
    ))
    corollary = Theorem("corollary", COROLLARY, (
        para("Condition (ii) holds for ReLU, with h the indicator (seed 002's (6)),"),
        Equation(indicator(relu(t), evaluate=False), indicator(t), "", hyp),
        para("for tanh with ", Eq(Verbatim("h(z)"), 1 - Symbol("z") ** 2, evaluate=False), " and for the sigmoid with ",
           Eq(Verbatim("h(z)"), Symbol("z") * (1 - Symbol("z")), evaluate=False), ":"),
        Equation(Derivative(tanh(t), t), 1 - tanh(t) ** 2, "", hyp),
        Equation(Derivative(1 / (1 + exp(-t)), t), (1 / (1 + exp(-t))) * (1 - 1 / (1 + exp(-t))), "", hyp),
        para("each checked exactly by SymPy: " + ", ".join(f"{name} {verdict(ok)}" for name, ok in hypotheses.items())
                + f". Independently, with max pooling of seed 002's 4 × 4 image, (5) = (6) was checked symbolically "
                f"for all {count} selection matrices, for ReLU with ", Verbatim(r"\mathbb{I}[Z]"), " "
                + ("for every one" if holds else "FAILS") + " and for tanh with ", Eq(Verbatim("h(Z)"), 1 - Symbol("Z") ** 2, evaluate=False),
                f" ({tanh_count} matrices): " + ("for every one." if tanh_holds else "FAILS.")),
    ))
    return theorem_block, corollary


def _worked_example(example) -> tuple:
    worked = checked("seed 002's worked example: P_pool vec(S) = [5, 4, 9, 6] and (5) = (6)",
                    list(example["pooled"]) == [5, 4, 9, 6] and example["form5"] == example["form6"])
    block = Theorem("example", "Seed 002's worked example", (
        para("The 4 × 4 image of seed 002, max pooled with 2 × 2 windows, stride 2. P_pool is the Jacobian of "
                "gradproof's max pooling applied to symbols:"),
        Equation(Symbol(r"P_{\mathrm{pool}}"), example["P_pool"], "", worked),
        Equation(MatMul(Symbol(r"P_{\mathrm{pool}}"), Symbol(r"\operatorname{vec}(S)")), example["pooled"],
                 "the pooled image, column-major", worked),
        para("Equation (6) with upstream values v (every pooled value is positive, so I[Z] is all ones); the "
                "slide's text lost some zeros, the 16 entries are"),
        Equation(Symbol("(6)"), example["form6"], "", worked),
        para("and (5) gives the same vector: " + ("equal." if example["form5"] == example["form6"] else "DIFFERENT.")),
    ))
    figure = PooledImageFigure(Matrix(theorem.SEED002_IMAGE), example["P_pool"], 2,
                               "Seed 002's image cut into its 2 × 2 windows; the entry each window selects (read "
                               "from the rows of the pooling matrix) is boxed, and the pooled image is on the right.")
    return block, figure


def _counterexamples(average, silu) -> tuple:
    differs = average["S"]["(5)"] != average["S'"]["(5)"] and average["S"]["Z"] == average["S'"]["Z"]
    source = checked("ReLU with average pooling: same Z, different (5)", differs)
    given = Source("definition", "the counterexample's input")
    rows = [display_row((rf"\operatorname{{vec}}({name})^{{T}}", average[name]["S"].T, given),
                 (f"Z_{{{name}}}", average[name]["Z"], source), (f"(5)_{{{name}}}", average[name]["(5)"], source))
            for name in ("S", "S'")]
    avg_block = Theorem("example", "Average pooling: S must be stored", (
        para("One 2 × 2 window with ReLU and average pooling, upstream value 1, vec column-major. The two "
                "inputs"),
        *rows,
        para(("have the same Z but different gradients (5), so no formula in Z alone can give both; " if differs
              else "were meant to have the same Z and different gradients (5), but the check did NOT find that; ")
             + "seed 002's (6) gives ", Math(average["S"]["(6)"], source),
                " for both, right for S' and wrong for S. Average pooling is not a selection: condition (i) fails."),
    ))
    silu_ok = silu["same_Z"] and silu["differ"] and silu["first_selected"]
    silu_source = checked("SiLU with max pooling: same Z, opposite slopes", silu_ok)
    number = {key: float(silu[key]) for key in ("root", "slope", "Z", "rest_value", "minimum", "argmin")}
    number["slope_r"] = float(silu["slope'"])
    x, r = Symbol("x"), Symbol("r")

    def num(value, digits=4):
        return Verbatim(f"{value:.{digits}f}")

    def window(first):
        return Verbatim(rf"({first}, -1.3, -1.3, -1.3)")
    silu_block = Theorem("example", "SiLU: S must be stored", (
        para("Let the activation σ be SiLU, ", Eq(Verbatim(r"\operatorname{silu}(x)"), selection.silu(x), evaluate=False),
           ". It decreases down to its minimum ",
           num(number['minimum']), " at ", Eq(x, num(number['argmin']), evaluate=False), " and increases after it, so "
           "it takes each value between ", num(number['minimum']), " and 0 twice, with slopes of opposite signs: "
           "condition (ii) fails. One 2 × 2 window, max pooling, upstream value 1, vec column-major: ",
           Eq(Verbatim(r"\operatorname{vec}(S)^{T}"), window(-2), evaluate=False), " and ",
           Eq(Verbatim(r"\operatorname{vec}(S')^{T}"), window("r"), evaluate=False), ", where r is the other solution of ",
           Eq(Verbatim(r"\operatorname{silu}(r)"), Verbatim(r"\operatorname{silu}(-2)"), evaluate=False),
           ", computed to 30 digits:"),
        Equation(r, Verbatim(f"{number['root']:.6f}"), "", silu_source),
        Equation(Verbatim(r"\operatorname{silu}(r) = " + latex(selection.silu(r))), Verbatim(f"{number['Z']:.6f}"),
                 para("the same value as at x = -2"), silu_source),
        para("Both windows select their first entry (", Eq(Verbatim(r"\operatorname{silu}(-1.3)"), num(number['rest_value']),
                                                             evaluate=False),
           " is smaller), so Z is the same, but (5) is ",
           Eq(Verbatim(r"(\operatorname{silu}'(-2), 0, 0, 0)"), Verbatim(rf"({number['slope']:.4f}, 0, 0, 0)"), evaluate=False),
           " for S and ", Eq(Verbatim(r"(\operatorname{silu}'(r), 0, 0, 0)"), Verbatim(rf"({number['slope_r']:.4f}, 0, 0, 0)"),
                             evaluate=False), " for S': "
           + ("the slopes have opposite signs" if silu_ok else "FAILS") + ". No formula in Z can give both: S "
           "must be stored."),
    ))
    return avg_block, silu_block


def theorem_section(evidence, proofs) -> Section:
    theorem_block, corollary = _selection_theorem(proofs["selection"], evidence["theorem"], proofs["hypotheses"],
                                                    evidence["tanh"])
    example, figure = _worked_example(evidence["worked_example"])
    avg_block, silu_block = _counterexamples(proofs["average_counterexample"], proofs["silu"])
    return Section("Seed 002's theorem: when S need not be stored", (
        para("Seed 002 computes the gradient with respect to S in two ways; (6) needs only the stored output Z:"),
        *_seed_forms(),
        theorem_block, corollary, example, figure, avg_block, silu_block,
        para("Unlike SiLU, tanh is no counterexample: its derivative ", Eq(Verbatim(r"\tanh'(t)"), 1 - tanh(Symbol("t")) ** 2,
                                                                               evaluate=False),
                " is a function of its output, so it satisfies (ii) (" + ref("corollary", COROLLARY) + "), and (6) with ",
                Eq(Verbatim("h(Z)"), 1 - Symbol("Z") ** 2, evaluate=False), " equals (5)."),
    ))
