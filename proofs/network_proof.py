"""The proof document of the ``network`` target: pooling, flatten, softmax cross-entropy, the
regularized objective and the update, seed 002's theorem, its worked example and counterexamples.
Built from one run of the target: every verdict and formula shown is an object that run checked."""

from __future__ import annotations

from sympy import HadamardProduct, MatMul, Matrix, MatrixSymbol, Symbol, symbols

from gradproof.proofs.document import Document, Equation, Math, Section, Source, Text
from gradproof.proofs.figures import PooledImageFigure
from gradproof.proofs.notation import notation_section
from gradproof.symbolic.engine.functions import indicator, relu
from gradproof.symbolic.seeds import theorem


def _word(holds) -> str:
    return "holds" if holds else "FAILS"


def _values(configurations, read) -> str:
    return ", ".join(str(value) for value in sorted({read(config) for config in configurations}))


def _pooling_section(run) -> Section:
    maxpool, avgpool = run.rule("maxpool2d.input"), run.rule("avgpool2d.input")
    grid = [config for config, _ in maxpool.verdicts.concrete.evidence]
    flatten = run.rule("flatten.input")
    return Section("Pooling and flatten, from their scalar equations", (
        Text.of(f"Max pooling's scalar equations copy the entry its argmax selects (ties: the first maximum, as "
                f"PyTorch; padding reads minus infinity, never selected); average pooling's take the sum of the window "
                f"divided by its k^2 entries, padding counted as zeros (PyTorch's default). On {len(grid)} "
                f"configurations (batch {_values(grid, lambda c: c[0][0])}, channels {_values(grid, lambda c: c[0][1])}, "
                f"kernel {_values(grid, lambda c: c[1])}, stride {_values(grid, lambda c: c[2])}, padding "
                f"{_values(grid, lambda c: c[3])}, including inputs the windows do not tile, whose last rows and columns "
                "PyTorch's floor drops), with a distinct symbol in every entry, the local chain rule gives dS, compared "
                f"exactly with the numeric rules run on the same symbols: max pooling {_word(maxpool.concrete_ok)}, "
                f"average pooling {_word(avgpool.concrete_ok)}. Flatten is a reshape; its derived backward equals the "
                f"inverse reshape ({flatten.verdicts.concrete.detail}): {_word(flatten.concrete_ok)}."),
    ))


def _worked_example_section(example) -> Section:
    worked = Source("check", "seed 002's worked example: P_pool vec(S) = [5, 4, 9, 6] and (5) = (6)",
                    list(example["pooled"]) == [5, 4, 9, 6] and example["form5"] == example["form6"])
    return Section("Seed 002's worked example", (
        Text.of("The 4 × 4 image of seed 002, max pooled with 2 × 2 windows. The pooling matrix is the Jacobian of "
                "gradproof's max pooling applied to symbols, with vec stacking columns:"),
        Equation(Symbol(r"P_{\mathrm{pool}}"), example["P_pool"], "fixed by the argmax", worked),
        Equation(MatMul(Symbol(r"P_{\mathrm{pool}}"), Symbol(r"\operatorname{vec}(S)")), example["pooled"],
                 "seed 002: the pooled image, column-major", worked),
        PooledImageFigure(Matrix(theorem.SEED002_IMAGE), example["P_pool"], 2,
                          "Seed 002's image cut into its 2 × 2 windows; the entry each window selects (the argmax "
                          "read from the rows of P_pool) is boxed, and the pooled image is on the right."),
        Text.of("Equation (6) with upstream values v: the slide's text lost some zeros; the correct 16 entries are"),
        Equation(Symbol("(6)"), example["form6"], "v at the argmax positions", worked),
        Text.of("and (5) gives the same vector: " + ("equal." if example["form5"] == example["form6"] else "DIFFERENT.")),
    ))


def _theorem_section(theorem, counterexamples, tanh) -> Section:
    count, holds = theorem
    g = MatrixSymbol(r"\frac{\partial L}{\partial \operatorname{vec}(Z)^{T}}", 1, Symbol("m"))
    p = MatrixSymbol(r"P_{\mathrm{pool}}", Symbol("m"), Symbol("n"))
    mask_s = MatrixSymbol(r"\operatorname{vec}(\mathbb{I}[S])^{T}", 1, Symbol("n"))
    mask_z = MatrixSymbol(r"\operatorname{vec}(\mathbb{I}[Z])^{T}", 1, Symbol("m"))
    t = Symbol("t")
    blocks = [
        Equation(Symbol("(5)"), HadamardProduct(MatMul(g, p), mask_s), "seed 002 (5): needs S",
                 Source("seed", "seed 002 (5)")),
        Equation(Symbol("(6)"), MatMul(HadamardProduct(g, mask_z), p), "seed 002 (6): needs only Z",
                 Source("seed", "seed 002 (6)")),
        Text.of("The argument uses two properties. First, ReLU's output is positive exactly where its derivative "
                "is 1:"),
        Equation(indicator(relu(t), evaluate=False), indicator(t), "property 1, a rewrite rule of gradproof's indicator",
                 Source("check", f"seed 002 theorem (5) = (6) for all {count} selection matrices", holds)),
        Text.of("Second, max pooling selects one entry per window: the pooling matrix has a single 1 in each row, "
                "so each pooled value is the ReLU of its selected entry, and a column j of the pooling matrix "
                "holds a 1 only in rows that selected j. Entry j of (6) is then the sum over those rows of the "
                "upstream value times the mask at the selected entry, which is the mask at j: entry j of (5)."),
        Text.of(f"Checked symbolically for all {count} selection matrices of the 4 × 4 image with 2 × 2 windows "
                f"(symbolic S and upstream values): (5) = (6) {'for every one' if holds else 'FAILS'}."),
        Text.of("Where it breaks: a pooling that does not select one entry per window. One 2 × 2 window, upstream "
                "value 1:"),
    ]
    for name, (s, five, six) in counterexamples.items():
        differs = "they differ" if five != six else "they agree"
        source = Source("check", "(5) != (6) once the pooling does not select: the counterexamples evaluated",
                        all(five_ != six_ for _, five_, six_ in counterexamples.values()))
        blocks += [Text.of(f"{name}, at S = ", Math(s.T, source), " (column-major): (5) gives ", Math(five, source),
                           " and (6) gives ", Math(six, source), f"; {differs}.")]
    count, tanh_holds = tanh
    blocks.append(Text.of(
        "Property 1 is ReLU's case of what the argument needs: the derivative of the activation must be a function "
        "of its output, so that it can be read from Z. tanh meets it (its derivative is 1 - tanh^2), and max pooling "
        "commutes with the increasing tanh; with 1 - Z^2 in place of the indicator of Z, (6) equals (5) with tanh' "
        f"at S for all {count} selection matrices (symbolic): " + ("holds." if tanh_holds else "FAILS.")
        + " An activation whose derivative is not a function of its output, such as SiLU (s times the sigmoid of s, "
          "which takes one value at two inputs with different slopes), has no such form: S must be stored."))
    return Section("Seed 002's theorem: ReLU and max pooling need not store S", tuple(blocks))


def _loss_section(run) -> Section:
    ce = run.rule("cross_entropy.logits").verdicts.concrete.evidence
    objective = run.rule("objective.theta").verdicts.concrete.evidence
    c, mu = symbols("C mu", positive=True)
    ce_source = Source("check", "cross-entropy: SymPy's derivative equals (softmax - onehot) / N", ce["holds"])
    objective_source = Source("check", "objective: SymPy's derivative equals theta / C + data gradient",
                              objective["holds"])
    return Section("Softmax cross-entropy, the regularized objective and the update", (
        Text.of("Cross-entropy averaged over a batch of 3 with labels (3, 1, 2) and 3 classes:"),
        Equation(Symbol("L"), ce["loss"], "scalar equation", Source("definition", "softmax cross-entropy, batch mean")),
        Equation(Symbol(r"\frac{\partial L}{\partial z}"), ce["derived"], "SymPy's derivative", ce_source),
        Text.of("equal to the rule (softmax - onehot) / N evaluated on the same symbols: "
                + ("holds." if ce["holds"] else "FAILS.")
                + " This is a check at one concrete size (a batch of 3, 3 classes), not a proof for every batch "
                "size and number of classes: the general-index proof that conv2d.pdf gives for the convolution "
                "is not written for the log-sum-exp yet; the same holds for the objective below (3 parameters, "
                "2 samples)."),
        Text.of("Seed 004's objective with unknown per-sample losses, and its gradient:"),
        Equation(Symbol("f"), objective["objective"], "seed 004", Source("seed", "seed 004, the regularized objective")),
        Equation(Symbol(r"\frac{\partial f}{\partial \theta}"), objective["derived"], "seed 004 (1), (2)",
                 objective_source),
        Text.of("equal to the rule theta / C + data gradient: " + ("holds." if objective["holds"] else "FAILS.")
                + " The update of seed 003, the rule applied to the same symbols, with learning rate ",
                Math(mu, Source("definition", "learning rate")), " and regularization ",
                Math(c, Source("definition", "regularization constant C of seed 004")), ":"),
        Equation(Symbol(r"\theta_{\mathrm{new}}"), objective["update"], "seed 003, weight update",
                 Source("check", "seed 003's update: theta minus the learning rate times the derivative",
                        objective["update_holds"])),
        Text.of("equal to theta minus the learning rate times SymPy's derivative above: "
                + ("holds." if objective["update_holds"] else "FAILS.")),
    ))


def network_document(run) -> Document:
    """The network proof from one run of the ``network`` target."""
    evidence = run.statements.evidence
    return Document("gradproof: pooling, losses, the objective and seed 002's theorem", (
        notation_section(), _pooling_section(run), _worked_example_section(evidence["worked_example"]),
        _theorem_section(evidence["theorem"], evidence["counterexamples"], evidence["tanh"]), _loss_section(run),
    ))
