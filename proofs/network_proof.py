"""The proof document of the ``network`` target, as a lecturer's handout: pooling as a linear map given
the selection (a lemma and two theorems at every size), seed 002's theorem (5) = (6) under its real
conditions with worked examples and genuine counterexamples, softmax cross-entropy for any number of
classes and batch size, and seed 004's regularized objective for any number of samples.

Built from one run of the target: every displayed formula is an object a check of this run verified
(``symbolic.seeds.pooling_general``, ``symbolic.seeds.objective``, ``symbolic.seeds.theorem``), a seed's
input equation, or a definition; a check that fails leaves its formulas without a source and prints FAILS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sympy import (
    Derivative,
    Eq,
    HadamardProduct,
    ImmutableMatrix,
    MatMul,
    Matrix,
    MatrixSymbol,
    Symbol,
    Transpose,
    exp,
    symbols,
    tanh,
)

from gradproof.proofs.document import (
    Derivation,
    Document,
    Equation,
    Math,
    Section,
    ShapeCheck,
    Source,
    Text,
    Theorem,
    latex,
)
from gradproof.proofs.figures import PooledImageFigure
from gradproof.proofs.notation import notation_section
from gradproof.symbolic.engine.functions import indicator, relu
from gradproof.symbolic.seeds import objective as objective_proofs
from gradproof.symbolic.seeds import pooling_general as pooling
from gradproof.symbolic.seeds import theorem

NOTATION = Source("definition", "notation sheet")
PROSE = Source("definition", "a displayed formula or definition, restated in the prose")


class _Printed(Symbol):
    """A formula assembled from the LaTeX of SymPy objects, printed verbatim."""

    def _latex(self, printer):
        return self.name


_SYMBOLS = {"σ'": r"\sigma'", "σ": r"\sigma", "θ": r"\theta", "ξ_i": r"\xi_i", "ξ": r"\xi", "ρ": r"\rho",
            "α": r"\alpha", "β": r"\beta", "P_pool^T": r"P_{\mathrm{pool}}^{T}", "P_pool": r"P_{\mathrm{pool}}",
            "D_out": r"D_{\mathrm{out}}", "D_in": r"D_{\mathrm{in}}", "K_h": "K_h", "K_w": "K_w", "n_H": "n_H",
            "n_W": "n_W", "W^T": "W^{T}"}
_SYMBOL_SPLIT = re.compile("(" + "|".join(re.escape(key) for key in sorted(_SYMBOLS, key=len, reverse=True)) + ")")


def _prose(text: str) -> list:
    """Plain text with each Greek letter and subscripted name (P_pool, D_out, ...) as an inline symbol of the
    notation (the prose is escaped, not typeset as math)."""
    return [Math(_Printed(_SYMBOLS[piece]), NOTATION) if piece in _SYMBOLS else piece
            for piece in _SYMBOL_SPLIT.split(text) if piece]


def _t(*parts) -> Text:
    """A paragraph whose non-string parts are formulas restating displayed ones or the notation."""
    out = []
    for part in parts:
        if isinstance(part, str):
            out += _prose(part)
        else:
            out.append(part if isinstance(part, Math) else Math(part, PROSE))
    return Text(tuple(out))


def _word(holds) -> str:
    return "holds" if holds else "FAILS"


def _d(name: str) -> Symbol:
    return _Printed(rf"\frac{{\partial L}}{{\partial {name}}}")


def _check(ref: str, passed: bool) -> Source:
    return Source("check", ref, bool(passed))


def _rows(proof, source):
    return tuple((rhs, why, source) for rhs, why in proof.rows)


def _instances_text(proof) -> str:
    return "; ".join(f"{where}: {_word(equal)}" for where, equal in proof.instances)


def general_proofs() -> dict:
    """The general-size proofs of this document, computed afresh for every document (about 4 s), so that a
    verdict printed is always one of this run, also after a numeric rule has changed."""
    return {"lemma": pooling.linear_map_lemma(), "max": pooling.max_pooling_proof(),
            "average": pooling.avg_pooling_proof(), "selection": pooling.selection_theorem(),
            "hypotheses": pooling.hypotheses_hold(), "average_counterexample": pooling.average_counterexample(),
            "silu": pooling.silu_counterexample(), "cross_entropy": objective_proofs.cross_entropy_proof(),
            "objective_W": objective_proofs.objective_proof("W"), "objective_b": objective_proofs.objective_proof("b"),
            "example": theorem.relu_maxpool_example(),
            "overlap": theorem.relu_maxpool_example(theorem.OVERLAP_S, theorem.OVERLAP_G, 2, 1)}


# --------------------------------------------------------------------------------------- pooling

def _values(configurations, read) -> str:
    return ", ".join(str(value) for value in sorted({read(config) for config in configurations}))


def _lemma(proof) -> Theorem:
    a, u, v = MatrixSymbol("M", pooling.M, pooling.N_), MatrixSymbol("u", pooling.N_, 1), MatrixSymbol("v", pooling.M, 1)
    source = _check("general-size proof of the linear-map lemma", proof.holds)
    return Theorem("lemma", "Linear maps", (
        _t("Let ", Eq(v, MatMul(a, u), evaluate=False), " with M an m × n matrix that does not depend on u. Then"),
        Equation(_d("u"), MatMul(Transpose(a), _d("v")), "", source),
    ), (
        Derivation(proof.lhs, _rows(proof, source)),
        _t("The last sum is entry k of ", MatMul(Transpose(a), _d("v")), " (the Matrix Cookbook's (69); seed 003's "
           "derivation for Y = WX, ", Math(_Printed(r"\partial L/\partial X = W^{T} \partial L/\partial Y"),
                                            Source("seed", "seed 003, Y = WX + b")), ")."),
        ShapeCheck(((Transpose(a), pooling.N_, pooling.M), (_d("v"), pooling.M, 1)), (pooling.N_, 1)),
        _t(f"Checked: each step, with v's entries substituted, has the normal form of SymPy's derivative of "
                f"the scalar equation at symbolic m and n (exact): {_word(proof.symbolic_holds)}."),
    ))


def _definitions() -> tuple:
    i, j, u, v = pooling.i, pooling.j, pooling.u, pooling.v
    z = pooling.Z_BASE
    definition = Source("definition", "max and average pooling, PyTorch's geometry (seed 002, seed 004 (3))")
    return (
        Theorem("definition", "Max pooling, given the selection", (
            _t("A = σ(S) is the activated image, ", pooling.H, " × ", pooling.W_, "; the pooled image Z is ",
               pooling.H_OUT, " × ", pooling.W_OUT, "; window (u, v) covers the ", pooling.K_H, " × ", pooling.K_W,
               " entries from row ", (u - 1) * pooling.STRIDE + 1 - pooling.PAD, " and column ",
               (v - 1) * pooling.STRIDE + 1 - pooling.PAD, " (stride s, padding P; the windows overlap when s is "
               "less than the window). It selects the entry at offset (α(u, v), β(u, v)), the first maximum of "
               "the window in row-major order (PyTorch's tie rule; the padding is never selected):"),
            Equation(z[u, v], pooling.max_equation(u, v), "", definition),
            _t("so P_pool is a 0/1 matrix with one 1 in each row:"),
            Equation(pooling.P_POOL[u, v, i, j], pooling._pool_entry_max(u, v, i, j), "", definition),
        )),
        Theorem("definition", "Average pooling", (
            _t("Each window's mean; entries outside the image read 0 and count in the mean (PyTorch's default):"),
            Equation(z[u, v], pooling.avg_equation(u, v), "", definition),
            _t("so row (u, v) of P_pool holds 1/(K_h K_w) over the window and 0 elsewhere:"),
            Equation(pooling.P_POOL[u, v, i, j], pooling._pool_entry_avg(u, v, i, j), "", definition),
        )),
    )


def _pooling_theorem(proof, kind: str) -> Theorem:
    source = _check(f"general-size proof of the {kind}-pooling backward", proof.holds)
    p_t = Transpose(MatrixSymbol(r"P_{\mathrm{pool}}", pooling.H_OUT * pooling.W_OUT, pooling.H * pooling.W_))
    vec_g = _Printed(r"\operatorname{vec}(G)")
    what = ("the sum of G over the windows that selected entry (i, j): 0 if none did, one term for "
            "non-overlapping windows, several when overlapping windows (s less than the window) select the "
            "same entry") if kind == "max" else (
            "the sum of G over the windows that contain entry (i, j), divided by the window's size: one window "
            "for non-overlapping windows, several when they overlap, none for rows and columns the floor drops")
    return Theorem("theorem", f"{kind.capitalize()} pooling backward, at every size", (
        _t("For every image size, window, stride and padding, with G = dL/dZ,"),
        Equation(proof.lhs, proof.rows[-2][0], "", source),
        _t("that is, ", Eq(_d("A"), _Printed(r"\operatorname{mat}(P_{\mathrm{pool}}^{T} \operatorname{vec}(G))"),
                           evaluate=False), ": " + what + "."),
    ), (
        Derivation(proof.lhs, _rows(proof, source)),
        _t("The last sum is entry (i, j) of mat(P_pool^T vec(G)): Lemma 1 with u = vec(A), v = vec(Z), "
                "M = P_pool."),
        ShapeCheck(((p_t, pooling.H * pooling.W_, pooling.H_OUT * pooling.W_OUT),
                    (vec_g, pooling.H_OUT * pooling.W_OUT, 1)), (pooling.H * pooling.W_, 1)),
        _t("Checked: each step, with the definition substituted, has the normal form of SymPy's derivative "
                "of the scalar equation at symbolic sizes, window, stride and padding"
                + (" and a symbolic selection" if kind == "max" else "") + f" (exact): {_word(proof.symbolic_holds)}. "
                "The closed form, evaluated with its sizes filled in"
                + (" and the selection of the numeric argmax of an integer image with ties" if kind == "max" else "")
                + f", equals the numeric {kind}-pooling backward entry by entry (exact; square windows, the only "
                f"ones the numeric rule implements): {_instances_text(proof)}."),
    ))


@dataclass(frozen=True)
class DisplayRow:
    """Several displayed equations name = value side by side in ONE centred display (a worked example's
    matrices), each with its own source. ``formulas()`` lists them as the provenance walker of
    ``proofs.document`` lists an Equation's (tests/proofs/test_network_handout.py walks them)."""

    items: tuple

    def formulas(self):
        return [(f"{name} = {latex(value)}", source) for name, value, source in self.items]

    def to_latex(self) -> str:
        return ("\\[" + r",\qquad ".join(f"{name} = {latex(value)}" for name, value, _ in self.items) + "\\]\n")


def _row(*items) -> DisplayRow:
    return DisplayRow(tuple((name, ImmutableMatrix(value), source) for name, value, source in items))


def _example_block(example, title, lead) -> Theorem:
    source = _check(f"worked example: (5), (6) and the numeric layers agree ({title})", example["holds"])
    given = Source("definition", "the example's input")
    return Theorem("example", title, (
        _t(lead),
        _row(("S", example["S"], given), ("G", example["G"], given), (r"\operatorname{relu}(S)", example["relu(S)"], source),
             (r"\mathbb{I}[S]", example["mask"], source), ("Z", example["Z"], source)),
        _t("The selection is the numeric argmax of relu(S). Max pooling's backward puts each entry of G at its "
           "window's selection (Theorem 4), and the mask keeps only the entries where S is positive, equation (5):"),
        _row((r"\frac{\partial L}{\partial A}", example["pool_backward"], source),
             (r"\frac{\partial L}{\partial S}", example["(5)"], source)),
        _t("Equation (6) gives the same matrix, and so do the numeric layers (max-pooling backward, then ReLU "
           "backward): " + ("equal." if example["holds"] else "DIFFERENT.")),
    ))


def _pooling_section(run, proofs) -> Section:
    maxpool, avgpool = run.rule("maxpool2d.input"), run.rule("avgpool2d.input")
    grid = [config for config, _ in maxpool.verdicts.concrete.evidence]
    flatten = run.rule("flatten.input")
    seed = Source("seed", "seed 002; seed 004 (3)")
    return Section("Pooling is a linear map once the selection is fixed", (
        _t("Seed 002 and seed 004 (3) write the pooling layer with a matrix, vec stacking columns:"),
        Equation(Symbol("Z"), _Printed(r"\operatorname{mat}(P_{\mathrm{pool}} \operatorname{vec}(\sigma(S)))"),
                 "seed 002; seed 004 (3)", seed),
        _t("For average pooling P_pool is a constant; for max pooling it depends on S through the argmax, but "
                "the argmax is fixed in the forward pass, and the backward pass differentiates with it held "
                "fixed (where no tie is broken, S's small changes do not move it). Either way the backward pass "
                "is that of a linear map:"),
        _lemma(proofs["lemma"]),
        *_definitions(),
        _pooling_theorem(proofs["max"], "max"),
        _pooling_theorem(proofs["average"], "average"),
        _t(f"Independently of the theorems, the local chain rule applied to the scalar equations of max and "
                f"average pooling with a distinct symbol in every entry, on {len(grid)} configurations (batch "
                f"{_values(grid, lambda c: c[0][0])}, channels {_values(grid, lambda c: c[0][1])}, window "
                f"{_values(grid, lambda c: c[1])}, stride {_values(grid, lambda c: c[2])}, padding "
                f"{_values(grid, lambda c: c[3])}, including inputs the windows do not tile), equals the numeric "
                f"rules exactly: max pooling {_word(maxpool.concrete_ok)}, average pooling "
                f"{_word(avgpool.concrete_ok)}. Flatten is a reshape; its derived backward is the inverse reshape "
                f"({flatten.verdicts.concrete.detail}): {_word(flatten.concrete_ok)}."),
        _example_block(proofs["example"], "ReLU and max pooling in small integers",
                       "A 4 × 4 image S with negative entries, 2 × 2 windows, stride 2, and an integer upstream "
                       "gradient G. The bottom-left window of relu(S) is all zeros: its tie is broken at the first "
                       "entry, which receives G there, and the mask then removes it."),
        _example_block(proofs["overlap"], "Overlapping windows",
                       "A 3 × 3 image, 2 × 2 windows, stride 1: the four windows overlap, and the centre is the "
                       "maximum of all four, so it collects the sum of G."),
    ))


# ---------------------------------------------------------------------------------- seed 002's theorem

def _seed_forms():
    g = MatrixSymbol(r"\frac{\partial L}{\partial \operatorname{vec}(Z)^{T}}", 1, Symbol("m"))
    p = MatrixSymbol(r"P_{\mathrm{pool}}", Symbol("m"), Symbol("n"))
    mask_s = MatrixSymbol(r"\operatorname{vec}(\mathbb{I}[S])^{T}", 1, Symbol("n"))
    mask_z = MatrixSymbol(r"\operatorname{vec}(\mathbb{I}[Z])^{T}", 1, Symbol("m"))
    return (Equation(Symbol("(5)"), HadamardProduct(MatMul(g, p), mask_s), "seed 002 (5): needs S",
                     Source("seed", "seed 002 (5)")),
            Equation(Symbol("(6)"), MatMul(HadamardProduct(g, mask_z), p), "seed 002 (6): needs only Z",
                     Source("seed", "seed 002 (6)")))


def _selection_theorem(proof, exhaustive, hypotheses, tanh_check) -> tuple:
    source = _check("general-size proof of seed 002's theorem under its conditions", proof.holds)
    g = MatrixSymbol("g", Symbol("m"), 1)
    p = MatrixSymbol(r"P_{\mathrm{pool}}", Symbol("m"), Symbol("n"))
    z = MatrixSymbol("z", Symbol("m"), 1)
    sigma_prime, h = _Printed(r"\sigma'(s)"), _Printed("h(z)")
    statement = Eq(HadamardProduct(MatMul(Transpose(g), p), Transpose(MatrixSymbol(r"\sigma'(s)", Symbol("n"), 1))),
                   MatMul(HadamardProduct(Transpose(g), Transpose(MatrixSymbol("h(z)", Symbol("m"), 1))), p),
                   evaluate=False)
    count, holds = exhaustive
    tanh_count, tanh_holds = tanh_check
    t = Symbol("t")
    hyp = _check("the activations' derivatives as functions of their outputs", all(hypotheses.values()))
    theorem_block = Theorem("theorem", "Seed 002's theorem, with its conditions", (
        _t("Let s = vec(S) have n entries and g = dL/dvec(Z) have m. Suppose (i) P_pool is a selection: a 0/1 "
           "matrix with one 1 in each row, at column sel(o) in row o, and ", Eq(z, MatMul(p, _Printed(r"\sigma(s)")),
                                                                                evaluate=False),
           "; (ii) the derivative of σ is a function of its output: σ'(t) = h(σ(t)) for some h. Then, for every "
           "m, n and selection, (5) and (6) with h(z) in place of I[z] agree:"),
        Equation(statement.lhs, statement.rhs, "", source),
    ), (
        Derivation(proof.lhs, _rows(proof, source)),
        _t("The first row is entry j of (6) with h(z) for I[z], the last entry j of (5): ", sigma_prime, " is read "
           "at S's entries in (5) and ", h, " at Z's in (6). Checked: each step, with P_pool's entries and z "
           "substituted, has the normal form of entry j of (5) at symbolic m, n, selection sel and functions σ, h "
           f"(exact): {_word(proof.holds)}."),
        _t("Where (i) comes from: max pooling selects; when the implementation pools S before σ, the "
                "selection is still an argmax of σ(S) because σ is non-decreasing, so max pooling commutes with "
                "σ. Average pooling is not a selection."),
    ))
    corollary = Theorem("corollary", "ReLU, tanh and the sigmoid need not store S", (
        _t("Condition (ii) holds for ReLU, with h the indicator (seed 002's (6)),"),
        Equation(indicator(relu(t), evaluate=False), indicator(t), "", hyp),
        _t("for tanh with ", Eq(_Printed("h(z)"), 1 - Symbol("z") ** 2, evaluate=False), " and for the sigmoid with ",
           Eq(_Printed("h(z)"), Symbol("z") * (1 - Symbol("z")), evaluate=False), ":"),
        Equation(Derivative(tanh(t), t), 1 - tanh(t) ** 2, "", hyp),
        Equation(Derivative(1 / (1 + exp(-t)), t), (1 / (1 + exp(-t))) * (1 - 1 / (1 + exp(-t))), "", hyp),
        _t("each checked exactly by SymPy: " + ", ".join(f"{name} {_word(ok)}" for name, ok in hypotheses.items())
                + f". Independently, with max pooling of seed 002's 4 × 4 image, (5) = (6) was checked symbolically "
                f"for all {count} selection matrices, for ReLU with I[Z] "
                + ("for every one" if holds else "FAILS") + f" and for tanh with 1 - Z² ({tanh_count} matrices): "
                + ("for every one." if tanh_holds else "FAILS.")),
    ))
    return theorem_block, corollary


def _worked_example(example) -> tuple:
    worked = _check("seed 002's worked example: P_pool vec(S) = [5, 4, 9, 6] and (5) = (6)",
                    list(example["pooled"]) == [5, 4, 9, 6] and example["form5"] == example["form6"])
    block = Theorem("example", "Seed 002's worked example", (
        _t("The 4 × 4 image of seed 002, max pooled with 2 × 2 windows, stride 2. P_pool is the Jacobian of "
                "gradproof's max pooling applied to symbols:"),
        Equation(Symbol(r"P_{\mathrm{pool}}"), example["P_pool"], "", worked),
        Equation(MatMul(Symbol(r"P_{\mathrm{pool}}"), Symbol(r"\operatorname{vec}(S)")), example["pooled"],
                 "the pooled image, column-major", worked),
        _t("Equation (6) with upstream values v (every pooled value is positive, so I[Z] is all ones); the "
                "slide's text lost some zeros, the 16 entries are"),
        Equation(Symbol("(6)"), example["form6"], "", worked),
        _t("and (5) gives the same vector: " + ("equal." if example["form5"] == example["form6"] else "DIFFERENT.")),
    ))
    figure = PooledImageFigure(Matrix(theorem.SEED002_IMAGE), example["P_pool"], 2,
                               "Seed 002's image cut into its 2 × 2 windows; the entry each window selects (read "
                               "from the rows of P_pool) is boxed, and the pooled image is on the right.")
    return block, figure


def _counterexamples(average, silu) -> tuple:
    differs = average["S"]["(5)"] != average["S'"]["(5)"] and average["S"]["Z"] == average["S'"]["Z"]
    source = _check("ReLU with average pooling: same Z, different (5)", differs)
    given = Source("definition", "the counterexample's input")
    rows = [_row((rf"\operatorname{{vec}}({name})^{{T}}", average[name]["S"].T, given),
                 (f"Z_{{{name}}}", average[name]["Z"], source), (f"(5)_{{{name}}}", average[name]["(5)"], source))
            for name in ("S", "S'")]
    avg_block = Theorem("example", "Average pooling: S must be stored", (
        _t("One 2 × 2 window with ReLU and average pooling, upstream value 1, vec column-major. The two "
                "inputs"),
        *rows,
        _t("have the same Z but different gradients (5) ("
                + ("they differ" if differs else "they agree") + "), so no formula in Z alone can give both; "
                "seed 002's (6) gives ", Math(average["S"]["(6)"], source),
                " for both, right for S' and wrong for S. Average pooling is not a selection: condition (i) fails."),
    ))
    silu_ok = silu["same_Z"] and silu["differ"] and silu["first_selected"]
    silu_source = _check("SiLU with max pooling: same Z, opposite slopes", silu_ok)
    number = {key: float(silu[key]) for key in ("root", "slope", "Z", "rest_value", "minimum", "argmin")}
    number["slope_r"] = float(silu["slope'"])
    x, r = Symbol("x"), Symbol("r")
    silu_block = Theorem("example", "SiLU: S must be stored", (
        _t("SiLU, ", Eq(_Printed(r"\sigma(x)"), pooling.silu(x), evaluate=False), ", decreases down to its minimum "
           f"{number['minimum']:.4f} at x = {number['argmin']:.4f} and increases after it, so it takes each value "
           f"between {number['minimum']:.4f} and 0 twice, with slopes of opposite signs: condition (ii) fails. "
           "One 2 × 2 window, max pooling, upstream value 1, vec column-major: S = (-2, -1.3, -1.3, -1.3) and "
           "S' = (r, -1.3, -1.3, -1.3), where r is the other solution of σ(r) = σ(-2), computed to 30 digits:"),
        Equation(r, _Printed(f"{number['root']:.6f}"), "", silu_source),
        Equation(pooling.silu(r), _Printed(f"{number['Z']:.6f}") , "the same value as at -2", silu_source),
        _t(f"Both windows select their first entry (σ(-1.3) = {number['rest_value']:.4f} is smaller), so Z is the "
           f"same, but (5) is (σ'(-2), 0, 0, 0) = ({number['slope']:.4f}, 0, 0, 0) for S and (σ'(r), 0, 0, 0) = "
           f"({number['slope_r']:.4f}, 0, 0, 0) for S': "
           + ("the slopes have opposite signs" if silu_ok else "FAILS") + ". No formula in Z can give both: S "
           "must be stored."),
    ))
    return avg_block, silu_block


def _theorem_section(evidence, proofs) -> Section:
    theorem_block, corollary = _selection_theorem(proofs["selection"], evidence["theorem"], proofs["hypotheses"],
                                                    evidence["tanh"])
    example, figure = _worked_example(evidence["worked_example"])
    avg_block, silu_block = _counterexamples(proofs["average_counterexample"], proofs["silu"])
    return Section("Seed 002's theorem: when S need not be stored", (
        _t("Seed 002 computes the gradient with respect to S in two ways; (6) needs only the stored output Z:"),
        *_seed_forms(),
        theorem_block, corollary, example, figure, avg_block, silu_block,
        _t("A previous version of this document offered tanh as a counterexample by evaluating its derivative "
                "at Z instead of S; tanh satisfies (ii) (Corollary above) and is no counterexample."),
    ))


# ------------------------------------------------------------------------------------ losses

def _cross_entropy_theorem(proof) -> Theorem:
    source = _check("general-size proof of the softmax cross-entropy gradient", proof.holds)
    n_, k_, i = objective_proofs.N, objective_proofs.K, objective_proofs.i
    definition = Source("definition", "softmax cross-entropy, batch mean (PyTorch's cross_entropy)")
    return Theorem("theorem", "Softmax cross-entropy, for any number of classes", (
        _t("Let Z be the N × K logits (one sample per row), Y the N × K labels with every row summing to 1 "
           "(one-hot labels included), and"),
        Equation(Symbol("L"), objective_proofs.loss(), "", definition),
        _t("with ", Eq(_Printed(r"\log \operatorname{softmax}(z_n)_i"), objective_proofs.log_softmax(objective_proofs.n, i),
                       evaluate=False), ". Then, for every N and K,"),
        Equation(proof.lhs, proof.closed, "", source),
    ), (
        Derivation(proof.lhs, _rows(proof, source)),
        _t("The last expression is entry (m, j) of ", Eq(_d("Z"), _Printed(r"\frac{1}{N}\left(\operatorname{softmax}(Z) - Y\right)"),
                                                         evaluate=False),
           ", the softmax taken along each row."),
        ShapeCheck(((_Printed(r"\operatorname{softmax}(Z) - Y"), n_, k_),), (n_, k_)),
        _t(f"Checked: each step has the normal form of SymPy's derivative of L at symbolic N and K, with "
                f"the hypothesis that each label row sums to 1 applied as a rewrite (exact): "
                f"{_word(proof.symbolic_holds)}. The closed form with one-hot labels equals the numeric rule "
                f"(softmax minus one-hot, over N) on symbolic logits (exact): {_instances_text(proof)}."),
    ))


def _objective_theorem(proof_w, proof_b) -> Theorem:
    source = _check("general-size proof of seed 004 (1), (2)", proof_w.holds and proof_b.holds)
    f, entry = objective_proofs.objective("W")
    seed = Source("seed", "seed 004, the regularized objective")
    w = MatrixSymbol("W", objective_proofs.D_OUT, objective_proofs.D_IN)
    return Theorem("theorem", "Seed 004's regularized objective, for any number of samples", (
        _t("Let θ hold every weight and bias of the network, l be the number of samples, ξ_i the loss of sample "
           "i, and ρ the sum of squares of the parameters other than one layer's W (of size D_out × D_in) and b:"),
        Equation(Symbol("f"), f, "seed 004", seed),
        _t("For the partial derivative with respect to one entry the other entries are constants, so ξ_i is "
           "written as a function of i and that entry. Then, for every l (seed 004 (1); (2) is the same with b "
           "for W, checked too):"),
        Equation(proof_w.lhs, proof_w.closed, "", source),
    ), (
        Derivation(proof_w.lhs, _rows(proof_w, source)),
        _t("The last expression is entry (p, q) of ", Eq(Symbol(r"\frac{\partial f}{\partial W}"),
                                                          _Printed(r"\frac{W}{C} + \frac{1}{l}\sum_{i=1}^{l} "
                                                                   r"\frac{\partial \xi_i}{\partial W}"),
                                                          evaluate=False), "."),
        ShapeCheck(((w, objective_proofs.D_OUT, objective_proofs.D_IN),), (objective_proofs.D_OUT, objective_proofs.D_IN)),
        _t(f"Checked: each step has the normal form of SymPy's derivative of f at symbolic l, D_out and D_in "
                f"(exact): W {_word(proof_w.symbolic_holds)}, b {_word(proof_b.symbolic_holds)}. The closed form "
                f"equals the numeric rule (W/C plus the averaged data gradient) at "
                f"{_instances_text(proof_w)}."),
    ))


def _loss_section(run, proofs) -> Section:
    objective = run.rule("objective.theta").verdicts.concrete.evidence
    mu = symbols("mu", positive=True)
    return Section("Softmax cross-entropy, the regularized objective and the update", (
        _cross_entropy_theorem(proofs["cross_entropy"]),
        _objective_theorem(proofs["objective_W"], proofs["objective_b"]),
        _t("Seed 003's update, the numeric rule applied to symbols (3 parameters, 2 samples), with learning "
                "rate ", Math(mu, Source("definition", "learning rate")), ":"),
        Equation(Symbol(r"\theta_{\mathrm{new}}"), objective["update"], "seed 003, weight update",
                 _check("seed 003's update: theta minus the learning rate times the derivative",
                        objective["update_holds"])),
        _t("equal to theta minus the learning rate times SymPy's derivative of f: "
                + ("holds." if objective["update_holds"] else "FAILS.")),
    ))


def network_document(run) -> Document:
    """The network proof from one run of the ``network`` target."""
    evidence = run.statements.evidence
    proofs = general_proofs()
    return Document("gradproof: pooling, losses, the objective and seed 002's theorem", (
        notation_section(), _pooling_section(run, proofs), _theorem_section(evidence, proofs),
        _loss_section(run, proofs),
    ))

