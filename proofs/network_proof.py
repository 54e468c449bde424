"""The proof document of the ``network`` target, as a lecturer's handout: pooling as a linear map given
the selection (a lemma and two theorems at every size), seed 002's theorem (5) = (6) under its real
conditions with worked examples and genuine counterexamples, softmax cross-entropy for any number of
classes and batch size, and seed 004's regularized objective for any number of samples.

Built from one run of the target: every displayed formula is an object a check of this run verified
(``symbolic.seeds.pooling_general``, ``symbolic.seeds.objective``, ``symbolic.seeds.theorem``), a seed's
input equation, or a definition; a check that fails leaves its formulas without a source and prints FAILS.
"""

from __future__ import annotations

import ast
import dataclasses
import re

from sympy import (
    Eq,
    MatMul,
    MatrixSymbol,
    Symbol,
    Transpose,
    symbols,
)

from gradproof.proofs.document import (
    PROSE,
    Document,
    Equation,
    Math,
    Section,
    ShapeCheck,
    Source,
    Theorem,
    ref,
)
from gradproof.proofs.network_display import (
    NOTATION,
    Verbatim,
    checked,
    d_of,
    derivation_rows,
    display_row,
    heading,
    instances_text,
    para,
    steps,
    verdict,
)
from gradproof.proofs.network_seed002 import theorem_section
from gradproof.proofs.notation import notation_section
from gradproof.symbolic.seeds import objective as objective_proofs
from gradproof.symbolic.seeds import pooling_general as pooling
from gradproof.symbolic.seeds import selection, theorem


def general_proofs() -> dict:
    """The general-size proofs of this document, computed afresh for every run (about 4 s) by
    ``proofs.statements.network_statements``, which lists them as report rows and hands them to the document
    as evidence: a verdict printed is one of this run, also after a numeric rule has changed."""
    return {"lemma": pooling.linear_map_lemma(), "max": pooling.max_pooling_proof(),
            "average": pooling.avg_pooling_proof(), "selection": selection.selection_theorem(),
            "hypotheses": selection.hypotheses_hold(), "average_counterexample": selection.average_counterexample(),
            "silu": selection.silu_counterexample(), "cross_entropy": objective_proofs.cross_entropy_proof(),
            "objective_W": objective_proofs.objective_proof("W"), "objective_b": objective_proofs.objective_proof("b"),
            "example": theorem.relu_maxpool_example(),
            "overlap": theorem.relu_maxpool_example(theorem.OVERLAP_S, theorem.OVERLAP_G, 2, 1)}


# --------------------------------------------------------------------------------------- pooling

# the titles of the blocks the prose refers to (``ref`` numbers them from the block order)
LEMMA = "Linear maps"
DEFINITIONS = {"max": "Max pooling, given the selection", "average": "Average pooling"}
MAX_THEOREM = "Max pooling backward, at every size"

def _values(configurations, read) -> str:
    return ", ".join(str(value) for value in sorted({read(config) for config in configurations}))


def _tiles(config) -> bool:
    """No padding, and the windows cover the input exactly (no row or column dropped by the floor)."""
    (_, _, height, width), kernel, stride, padding = config
    return padding == 0 and (height - kernel) % stride == 0 and (width - kernel) % stride == 0


def _grid_text(grid) -> str:
    """How the configurations of the pooling check were chosen, read from the configurations themselves."""
    tiled = [c for c in grid if _tiles(c)]
    other = [c for c in grid if not _tiles(c)]
    factors = {"batch": lambda c: c[0][0], "channels": lambda c: c[0][1], "window": lambda c: c[1],
               "stride is the window": lambda c: c[2] == c[1]}
    combinations = {tuple(read(c) for read in factors.values()) for c in tiled}
    full = len(combinations) == len(tiled) and len(tiled) == _product(
        len({read(c) for c in tiled}) for read in factors.values())
    strides = "1 or the window" if {c[2] for c in tiled} <= {1} | {c[1] for c in tiled} else _values(tiled, lambda c: c[2])
    text = (f"They are {len(tiled)} without padding and with no row or column left out ("
            + ("every combination of " if full else "")
            + f"batch {_values(tiled, lambda c: c[0][0])}, channels {_values(tiled, lambda c: c[0][1])}, window "
            f"{_values(tiled, lambda c: c[1])}, stride {strides})")
    if other:
        dropped = [c for c in other if (c[0][2] + 2 * c[3] - c[1]) % c[2] or (c[0][3] + 2 * c[3] - c[1]) % c[2]]
        padded = [c for c in other if c[3] > 0]
        both = sum(1 for c in padded if c in dropped)
        groups = []
        if padded:
            paddings = sorted({c[3] for c in padded})
            groups.append(f"{len(padded)} with padding P = " + " or ".join(str(value) for value in paddings))
        if dropped:
            groups.append(f"{len(dropped)} whose windows leave rows or columns out")
        text += (f" and {len(other)} more: " + " and ".join(groups)
                 + (f", {both} of them both" if both else "")
                 + f"; their windows are {_values(other, lambda c: c[1])} and their strides {_values(other, lambda c: c[2])}")
    return text + "."


def _product(counts) -> int:
    result = 1
    for count in counts:
        result *= count
    return result


def flatten_shapes(verdict) -> tuple:
    """The NCHW shapes the run's flatten check covered, read from its verdict: the evidence's "shapes" when it
    carries them, else the shapes its detail names ("exact for shapes ((1, 2, 3, 2), ...)", written by
    ``symbolic.layers.verify`` from the shapes it checked). () when the verdict names none."""
    if isinstance(verdict.evidence, dict) and "shapes" in verdict.evidence:
        return tuple(tuple(int(size) for size in shape) for shape in verdict.evidence["shapes"])
    match = re.fullmatch(r"exact for shapes (\(.*\))", verdict.detail)
    if not match:
        return ()
    shapes = ast.literal_eval(match.group(1))
    if not (isinstance(shapes, tuple) and all(isinstance(shape, tuple) and len(shape) == 4
                                              and all(isinstance(size, int) for size in shape) for shape in shapes)):
        raise ValueError(f"flatten verdict: expected NCHW shapes as tuples of 4 integers, got {match.group(1)!r}")
    return shapes


def _flatten_text(verdict) -> list:
    """The flatten sentence: the shapes the run checked (from its verdict), or its verdict's own words."""
    shapes = flatten_shapes(verdict)
    if not shapes:
        return ["Flatten is a reshape; its derived backward equals the inverse reshape: "
                f"{_verdict_word(verdict.holds)} (the check's verdict names no shapes it covered)."]
    return ["Flatten is a reshape; its derived backward is the inverse reshape, exact for the shape"
            + ("s " if len(shapes) > 1 else " "), *_shapes(shapes), f": {_verdict_word(verdict.holds)}."]


def _verdict_word(holds) -> str:
    return {True: "holds", False: "FAILS"}.get(holds, "not decided")


def _shapes(shapes) -> list:
    """NCHW shapes as formulas N × C × n_H × n_W, joined by commas and 'and'."""
    parts = []
    for index, shape in enumerate(shapes):
        if index:
            parts.append(" and " if index == len(shapes) - 1 else ", ")
        parts.append(Math(Verbatim(r" \times ".join(str(size) for size in shape)),
                          Source("definition", "the shapes of this run's flatten check (its verdict)")))
    return parts


def _lemma(proof) -> Theorem:
    r, x, y = MatrixSymbol("R", pooling.M, pooling.N_), MatrixSymbol("x", pooling.N_, 1), MatrixSymbol("y", pooling.M, 1)
    source = checked("general-size proof of the linear-map lemma", proof.holds)
    return Theorem("lemma", LEMMA, (
        para("Let ", Eq(y, MatMul(r, x), evaluate=False), " with R a D_out × D_in matrix that does not depend on x (a "
             "Linear layer without bias). Then"),
        Equation(d_of("x"), MatMul(Transpose(r), d_of("y")), "", source),
    ), (
        steps(proof.lhs, derivation_rows(proof, source)),
        para("The last sum is entry k of ", MatMul(Transpose(r), d_of("y")), " (the Matrix Cookbook's (69); seed 003's "
           "derivation for ", Math(Verbatim("Y = WX"), Source("seed", "seed 003, Y = WX + b")), ", ", Math(Verbatim(r"\partial L/\partial X = W^{T} \partial L/\partial Y"),
                                            Source("seed", "seed 003, Y = WX + b")), ")."),
        ShapeCheck(((Transpose(r), pooling.N_, pooling.M), (d_of("y"), pooling.M, 1)), (pooling.N_, 1)),
        para("Checked: each step, with the entries of ", y, f" substituted, has the normal form of SymPy's derivative of "
                f"the scalar equation at symbolic D_out and D_in (exact): {verdict(proof.symbolic_holds)}."),
    ))


def _definitions() -> tuple:
    i, j, u, v = pooling.i, pooling.j, pooling.u, pooling.v
    z = pooling.Z_BASE
    definition = Source("definition", "max and average pooling, PyTorch's geometry (seed 002, seed 004 (3))")
    return (
        Theorem("definition", DEFINITIONS["max"], (
            para("A = σ(S) is the activated image, ", pooling.H, " × ", pooling.W_, "; the pooled image Z is ",
               pooling.H_OUT, " × ", pooling.W_OUT, "; window (u, v) covers the ", pooling.K_H, " × ", pooling.K_W,
               " entries from row ", (u - 1) * pooling.STRIDE + 1 - pooling.PAD, " and column ",
               (v - 1) * pooling.STRIDE + 1 - pooling.PAD, " (stride s, padding P; the windows overlap when ", Math(Verbatim(r"s < K_h"), NOTATION),
               " or ", Math(Verbatim(r"s < K_w"), NOTATION), "). It selects the entry at offset (α(u, v), β(u, v)), the first maximum of "
               "the window in row-major order (PyTorch's tie rule; the padding is never selected):"),
            Equation(z[u, v], pooling.max_equation(u, v), "", definition),
            para("so P_pool is a 0/1 matrix with one 1 in each row:"),
            Equation(pooling.P_POOL[u, v, i, j], pooling._pool_entry_max(u, v, i, j), "", definition),
        )),
        Theorem("definition", DEFINITIONS["average"], (
            para("Each window's mean; entries outside the image read 0 and count in the mean (PyTorch's default):"),
            Equation(z[u, v], pooling.avg_equation(u, v), "", definition),
            para("so row (u, v) of P_pool holds 1/(K_h K_w) over the window and 0 elsewhere:"),
            Equation(pooling.P_POOL[u, v, i, j], pooling._pool_entry_avg(u, v, i, j), "", definition),
        )),
    )


def _pooling_theorem(proof, kind: str) -> Theorem:
    source = checked(f"general-size proof of the {kind}-pooling backward", proof.holds)
    p_t = Transpose(MatrixSymbol(r"P_{\mathrm{pool}}", pooling.H_OUT * pooling.W_OUT, pooling.H * pooling.W_))
    vec_g = Verbatim(r"\operatorname{vec}(G)")
    what = ("the sum of G over the windows that selected entry (i, j): 0 if none did, one term for "
            "non-overlapping windows, several when overlapping windows select the same entry") if kind == "max" else (
            "the sum of G over the windows that contain entry (i, j), divided by the window's size: one window "
            "for non-overlapping windows, several when they overlap, none for rows and columns the floor drops")
    return Theorem("theorem", f"{kind.capitalize()} pooling backward, at every size", (
        para("For every image size, window, stride and padding, with G = dL/dZ,"),
        Equation(proof.lhs, proof.rows[-2][0], "", source),
        para("that is, ", Eq(d_of("A"), Verbatim(r"\operatorname{mat}(P_{\mathrm{pool}}^{T} \operatorname{vec}(G))"),
                           evaluate=False), ": " + what + "."),
    ), (
        steps(proof.lhs, tuple((rhs, para(why.replace(pooling.DEFINITION[kind], ref("definition", DEFINITIONS[kind]))),
                                     source) for rhs, why in proof.rows)),
        para("The last sum is entry (i, j) of mat(P_pool^T vec(G)): " + ref("lemma", LEMMA) + " with x = vec(A), "
             "y = vec(Z), R = P_pool."),
        ShapeCheck(((p_t, pooling.H * pooling.W_, pooling.H_OUT * pooling.W_OUT),
                    (vec_g, pooling.H_OUT * pooling.W_OUT, 1)), (pooling.H * pooling.W_, 1)),
        para("Checked: each step, with the definition substituted, has the normal form of SymPy's derivative "
                "of the scalar equation at symbolic sizes, window, stride and padding"
                + (" and a symbolic selection" if kind == "max" else "") + f" (exact): {verdict(proof.symbolic_holds)}. "
                "The closed form, evaluated with its sizes filled in"
                + (" and the selection of the numeric argmax of an integer image with ties" if kind == "max" else "")
                + f", equals the numeric {kind}-pooling backward entry by entry (exact; square windows, the only "
                f"ones the numeric rule implements): {instances_text(proof)}."),
    ))


def _example_block(example, title, lead) -> Theorem:
    lead = lead(example) if callable(lead) else lead
    source = checked(f"worked example: (5), (6) and the numeric layers agree ({title})", example["holds"])
    given = Source("definition", "the example's input")
    return Theorem("example", title, (
        para(lead),
        display_row(("S", example["S"], given), ("G", example["G"], given)),
        para("ReLU, the mask of S's positive entries, and max pooling:"),
        display_row((r"\operatorname{relu}(S)", example["relu(S)"], source), (r"\mathbb{I}[S]", example["mask"], source),
                    ("Z", example["Z"], source)),
        para("The selection is the numeric argmax of relu(S). Max pooling's backward puts each entry of G at its "
           "window's selection (" + ref("theorem", MAX_THEOREM) + "), and the mask keeps only the entries where S is "
           "positive, seed 002's (5):"),
        display_row((r"\frac{\partial L}{\partial A}", example["pool_backward"], source),
             (r"\frac{\partial L}{\partial S}", example["(5)"], source)),
        para("Seed 002's (6) gives the same matrix, and so do the numeric layers (max-pooling backward, then ReLU "
           "backward): " + ("equal." if example["holds"] else "DIFFERENT.")),
    ))


def _pooling_section(run, proofs) -> Section:
    maxpool, avgpool = run.rule("maxpool2d.input"), run.rule("avgpool2d.input")
    grid = [config for config, _ in maxpool.verdicts.concrete.evidence]
    flatten = run.rule("flatten.input")
    seed = Source("seed", "seed 002; seed 004 (3)")
    return Section("Pooling is a linear map once the selection is fixed", (
        para("Seed 002 and seed 004 (3) write the pooling layer with a matrix, vec stacking columns:"),
        Equation(Symbol("Z"), Verbatim(r"\operatorname{mat}(P_{\mathrm{pool}} \operatorname{vec}(\sigma(S)))"),
                 "seed 002; seed 004 (3)", seed),
        para("For average pooling P_pool is a constant; for max pooling it depends on S through the argmax, but "
                "the argmax is fixed in the forward pass, and the backward pass differentiates with it held "
                "fixed (where no tie is broken, S's small changes do not move it). Either way the backward pass "
                "is that of a linear map. (Letters: here A = σ(S) is the activated image and R the matrix of "
                + ref("lemma", LEMMA) + "; in conv2d.pdf ", Math(Verbatim("A"), NOTATION), " is its 9 × 9 convolution "
                "matrix, and Q is seed 003's kernel Jacobian.)"),
        _lemma(proofs["lemma"]),
        *_definitions(),
        _pooling_theorem(proofs["max"], "max"),
        _pooling_theorem(proofs["average"], "average"),
        para(f"Independently of the theorems, the local chain rule applied to the scalar equations of max and "
                f"average pooling with a distinct symbol in every entry, on {len(grid)} configurations, equals the "
                f"numeric rules exactly: max pooling {verdict(maxpool.concrete_ok)}, average pooling "
                f"{verdict(avgpool.concrete_ok)}. " + _grid_text(grid) + " ", *_flatten_text(flatten.verdicts.concrete)),
        _example_block(proofs["example"], "ReLU and max pooling in small integers",
                       lambda example: "A 4 × 4 image S with negative entries, 2 × 2 windows, stride 2, and an "
                       "integer upstream gradient G. The bottom-left window of relu(S) is all zeros: its tie is broken "
                       f"at the first entry, which receives G's entry (2, 1), {example['G'][1, 0]}, and the mask then "
                       "removes it."),
        _example_block(proofs["overlap"], "Overlapping windows",
                       "A 3 × 3 image, 2 × 2 windows, stride 1: the four windows overlap, and the centre is the "
                       "maximum of all four, so it collects the sum of G."),
    ))


# ------------------------------------------------------------------------------------ losses

def _cross_entropy_theorem(proof) -> Theorem:
    source = checked("general-size proof of the softmax cross-entropy gradient", proof.holds)
    n_, k_, i = objective_proofs.N, objective_proofs.K, objective_proofs.i
    definition = Source("definition", "softmax cross-entropy, batch mean (PyTorch's cross_entropy)")
    return Theorem("theorem", "Softmax cross-entropy, for any number of classes", (
        para("Let X be the N × K logits (the loss layer's input, one sample per row), T the N × K labels (targets) "
           "with every row summing to 1 (one-hot labels included), and"),
        Equation(Symbol("L"), objective_proofs.loss(), "", definition),
        para("with ", Eq(Verbatim(r"\log \operatorname{softmax}(x_n)_i"), objective_proofs.log_softmax(objective_proofs.n, i),
                       evaluate=False), ". Then, for every N and K,"),
        Equation(proof.lhs, proof.closed, "", source),
    ), (
        steps(proof.lhs, derivation_rows(proof, source)),
        para("The last expression is entry (m, j) of ", Eq(d_of("X"), Verbatim(r"\frac{1}{N}\left(\operatorname{softmax}(X) - T\right)"),
                                                         evaluate=False),
           ", the softmax taken along each row."),
        ShapeCheck(((Verbatim(r"\operatorname{softmax}(X) - T"), n_, k_),), (n_, k_)),
        para(f"Checked: each step has the normal form of SymPy's derivative of L at symbolic N and K, with "
                f"the hypothesis that each label row sums to 1 applied as a rewrite (exact): "
                f"{verdict(proof.symbolic_holds)}. The closed form with one-hot labels equals the numeric rule "
                f"(softmax minus one-hot, over N) on symbolic logits (exact): {instances_text(proof)}."),
    ))


OBJECTIVE_W = "Seed 004's regularized objective, for any number of samples"
OBJECTIVE_B = "Seed 004's bias rule (2), for any number of samples"


def _objective_theorems(proof_w, proof_b) -> tuple:
    """Seed 004 (1) (the weight) and (2) (the bias), each displayed from its own checked derivation."""
    source_w = checked("general-size proof of seed 004 (1)", proof_w.holds)
    source_b = checked("general-size proof of seed 004 (2)", proof_b.holds)
    f, _ = objective_proofs.objective("W")
    seed = Source("seed", "seed 004, the regularized objective")
    w = MatrixSymbol("W", objective_proofs.D_OUT, objective_proofs.D_IN)
    b = MatrixSymbol("b", objective_proofs.D_OUT, 1)
    d_f = Symbol(r"\frac{\partial f}{\partial W}")
    weight = Theorem("theorem", OBJECTIVE_W, (
        para("Let θ hold every weight and bias of the network, l be the number of samples, ξ_i the loss of sample "
             "i, ρ the sum of squares of the parameters other than one layer's W (of size D_out × D_in) and b, and λ "
             "the regularization constant (seed 004 writes C, the notation sheet's number of channels):"),
        Equation(Symbol("f"), f, "seed 004", seed),
        para("For the partial derivative with respect to one entry the other entries are constants, so ξ_i is "
             "written as a function of that one number, ", Math(Verbatim(r"\xi_i(W_{p,q})"), PROSE), ". Then, for "
             "every l (seed 004 (1)),"),
        Equation(proof_w.lhs, proof_w.closed, "", source_w),
    ), (
        steps(proof_w.lhs, derivation_rows(proof_w, source_w)),
        para("The last expression is entry (p, q) of ", Eq(d_f, Verbatim(r"\frac{W}{\lambda} + \frac{1}{l}\sum_{i=1}^{l} "
                                                                      r"\frac{\partial \xi_i}{\partial W}"),
                                                          evaluate=False), "."),
        ShapeCheck(((w, objective_proofs.D_OUT, objective_proofs.D_IN),), (objective_proofs.D_OUT, objective_proofs.D_IN)),
        para("Checked: each step has the normal form of SymPy's derivative of f at symbolic l, D_out and D_in "
             f"(exact): {verdict(proof_w.symbolic_holds)}. The closed form equals the numeric rule (",
             Verbatim(r"W/\lambda"), f" plus the averaged data gradient) at {instances_text(proof_w)}."),
    ))
    bias = Theorem("theorem", OBJECTIVE_B, (
        para("With f as in " + ref("theorem", OBJECTIVE_W) + " and ξ_i written as a function of one bias entry, ",
             Math(Verbatim(r"\xi_i(b_p)"), PROSE), ", for every l (seed 004 (2)),"),
        Equation(proof_b.lhs, proof_b.closed, "", source_b),
    ), (
        steps(proof_b.lhs, derivation_rows(proof_b, source_b)),
        para("The last expression is entry p of ", Eq(Symbol(r"\frac{\partial f}{\partial b}"),
                                                     Verbatim(r"\frac{b}{\lambda} + \frac{1}{l}\sum_{i=1}^{l} "
                                                             r"\frac{\partial \xi_i}{\partial b}"), evaluate=False), "."),
        ShapeCheck(((b, objective_proofs.D_OUT, 1),), (objective_proofs.D_OUT, 1)),
        para("Checked: each step has the normal form of SymPy's derivative of f at symbolic l and D_out "
             f"(exact): {verdict(proof_b.symbolic_holds)}. The closed form equals the numeric rule (",
             Verbatim(r"b/\lambda"), f" plus the averaged data gradient) at {instances_text(proof_b)}."),
    ))
    return weight, bias


def _with_lambda(expr):
    """The checked update with seed 004's regularization constant C printed as this document's λ."""
    return expr.xreplace({symbol: objective_proofs.C for symbol in expr.free_symbols if symbol.name == "C"})


def _loss_section(run, proofs) -> Section:
    objective = run.rule("objective.theta").verdicts.concrete.evidence
    mu = symbols("mu", positive=True)
    return Section("Softmax cross-entropy, the regularized objective and the update", (
        _cross_entropy_theorem(proofs["cross_entropy"]),
        *_objective_theorems(proofs["objective_W"], proofs["objective_b"]),
        para("Seed 003's update, the numeric rule applied to symbols (3 parameters, 2 samples), with learning "
                "rate ", Math(mu, Source("definition", "learning rate")), ":"),
        Equation(Symbol(r"\theta_{\mathrm{new}}"), _with_lambda(objective["update"]), "seed 003, weight update",
                 checked("seed 003's update: theta minus the learning rate times the derivative",
                        objective["update_holds"])),
        para("equal to ", Math(Verbatim(r"\theta - \mu \, \partial f/\partial \theta"), PROSE),
             ", with the derivative of f computed from f's formula by differentiation: "
             + ("holds." if objective["update_holds"] else "FAILS.")),
    ))


def network_document(run) -> Document:
    """The network proof from one run of the ``network`` target."""
    evidence = run.statements.evidence
    proofs = evidence["general"]  # the same run's checks as report.md's rows (proofs.statements)
    sections = (notation_section(), _pooling_section(run, proofs), theorem_section(evidence, proofs),
                _loss_section(run, proofs))
    return Document("gradproof: pooling, losses, the objective and seed 002's theorem",
                    tuple(_with_headings(section) for section in sections), landscape=False)


def _with_headings(section: Section) -> Section:
    """``section`` with its title and its numbered blocks' titles as headings (``network_display.heading``): a
    symbol letter in a title ("when S need not be stored") is set as math, as in the prose; each title keeps its
    plain reading, so the references to the blocks are unchanged."""
    blocks = tuple(dataclasses.replace(block, title=heading(block.title)) if isinstance(block, Theorem) else block
                   for block in section.blocks)
    return dataclasses.replace(section, title=heading(section.title), blocks=blocks)

