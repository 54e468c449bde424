"""fc.pdf's worked examples and seed 002's network section.

The examples are ``proofs.fc_checks``' small-integer computations, each shown as the theorem's closed form,
the same with the numbers substituted, and the result, and compared with the numeric layers; the network
section shows seed 002's (1)-(4) and the verdicts of backpropagation against SymPy's direct derivative.
"""

from __future__ import annotations

from sympy import Derivative, Eq, ImmutableMatrix, MatrixSymbol, OneMatrix, Symbol, Transpose, Tuple

from gradproof.proofs import fc_checks
from gradproof.proofs.document import Aligned, Derivation, Equation, Math, Section, SideBySide, Source, Text, Theorem
from gradproof.proofs.fc_display import (
    NOTATION,
    Then,
    cite,
    linear_theorems,
    say,
    shown,
    sizes_math,
)
from gradproof.proofs.fc_network import layer_name
from gradproof.symbolic.engine.derive import J
from gradproof.symbolic.layers import fc


def linear_example(example) -> Theorem:
    """``example``: ``fc_checks.linear_worked_example()``'s result, as the run's statements computed it."""
    source = Source("check", "worked example: closed forms equal the numeric Linear layer", example.holds)
    named = {key: shown(fc.LINEAR_TORCH, symbol) for key, symbol in example.symbols.items()}
    inputs = SideBySide(tuple(Equation(named[key], ImmutableMatrix(example.inputs[key]), "", Source("definition",
                                                                                                  "worked example input"))
                           for key in ("x", "weight", "bias", "grad_output")))
    blocks = [Text.of("A batch of ", *sizes_math(fc.LINEAR_TORCH, fc_checks.EXAMPLE_SIZES), ", in small integers:"), inputs,
              Text.of(f"The forward pass and the three gradients, by {linear_theorems()} with the numbers multiplied "
                      "out:"),
              Equation(shown(fc.LINEAR_TORCH, MatrixSymbol("Y", *example.output.shape)), ImmutableMatrix(example.output), "", source)]
    batch = fc_checks.EXAMPLE_SIZES["batch"]
    for key, theorem in (("weight", "linear.weight"), ("bias", "linear.bias"), ("x", "linear.input")):
        expression, value = example.closed[key]
        numbers = expression.xreplace({symbol: ImmutableMatrix(example.inputs[name])
                                       for name, symbol in example.symbols.items()}
                                      | {OneMatrix(batch, 1): ImmutableMatrix.ones(batch, 1)})
        blocks.append(Derivation(_gradient_at(example, key), (
            (shown(fc.LINEAR_TORCH, expression), cite(theorem), source),
            (numbers, "the numbers above", source),
            (ImmutableMatrix(value), "multiplied out", source),
        )))
    verdict = (say("The numeric Linear layer (forward, then backward with this $G$) returns exactly these matrices.")
               if example.holds else Text.of(f"The numeric Linear layer DIFFERS: {example.mismatch}."))
    return Theorem("example", "Linear layer in small integers", (*blocks, verdict))


def _gradient_at(example, key):
    return shown(fc.LINEAR_TORCH, Derivative(J, example.symbols[key]))


def relu_loss_example(example) -> Theorem:
    """``example``: ``fc_checks.relu_loss_worked_example()``'s result, as the run's statements computed it."""
    source = Source("check", "worked example: closed forms equal the numeric ReLU layer and squared loss",
                    example.holds)
    given = Source("definition", "worked example input")
    symbols = {key: shown(fc.RELU, shown(fc.SQUARED_LOSS, symbol)) for key, symbol in example.symbols.items()}
    numbers = {symbol: ImmutableMatrix(example.values[key]) for key, symbol in example.symbols.items()}
    blocks = [
        say("A pre-activation $S$ with an entry at the kink 0, and a target $T$:"),
        SideBySide((Equation(symbols["S"], numbers[example.symbols["S"]], "", given),
                    Equation(symbols["Y"], numbers[example.symbols["Y"]], "", given))),  # the target, shown as T
        say("The forward pass $Z = relu(S)$ and the mask $I[S]$ (1 where $s > 0$, else 0), then the backward pass: "
            "the squared loss gives the upstream gradient $G$ of the ReLU, and the ReLU's theorem the gradient with "
            "respect to $S$:"),
        SideBySide((Equation(symbols["Z"], numbers[example.symbols["Z"]], "", source),
                    Equation(symbols["mask"], numbers[example.symbols["mask"]], "", source))),
    ]
    for key, variable, theorem in (("prediction", "Z", "squared_loss.prediction"), ("pre_activation", "S", "relu.input")):
        expression, value = example.closed[key]
        blocks.append(Derivation(Derivative(J, symbols[variable]), (
            (shown(fc.SQUARED_LOSS, expression), cite(theorem), source),
            (expression.xreplace(numbers), "the numbers above", source),
            (ImmutableMatrix(value), Text.of("so this is ", Math(symbols["G"], NOTATION)) if key == "prediction"
             else "multiplied out", source),
        )))
    verdict = (say("The numeric ReLU layer and squared loss (forward, then backward) return exactly these matrices; "
                   "at the kink the gradient is 0, although $G$ is not.") if example.holds
               else Text.of(f"The numeric layers DIFFER: {example.mismatch}."))
    return Theorem("example", "ReLU and the squared loss in small integers", (*blocks, verdict))


# --- seed 002's network -------------------------------------------------------------------------------------

_SEED002 = {"linear.weight": "seed 002 (1)", "linear.bias": "seed 002 (2)", "linear.input": "seed 002 (3)",
            "relu.input": "seed 002 (4)", "squared_loss.prediction": "seed 002, the squared loss"}
_CITED = {"linear.weight": "linear.seed000", "linear.bias": "linear.seed000", "linear.input": "linear.seed000",
          "relu.input": "relu.input", "squared_loss.prediction": "squared_loss.prediction"}
"""The block that states each rule in the network's layout: the Linear rules in seed 000's column layout
are the corollary's, not the batch-layout theorems'."""


def _column(value):
    """A column of numbers shown as a transposed row (one text line)."""
    return Transpose(ImmutableMatrix(value.T)) if value.cols == 1 else ImmutableMatrix(value)


def network_section(check, forms, run) -> Section:
    """Seed 002's network: its equations and loss (checked to be what SymPy differentiates), one integer run
    backwards (each step by the closed forms and by the numeric layers, compared), the symbolic verdict."""
    shown_forms = Source("check", "seed 002 network as displayed: the expressions SymPy differentiates", forms.holds)
    compared = Source("check", "seed 002 network in small integers: closed forms equal the numeric layers",
                      run.holds)
    given = Source("definition", "worked example input")
    seed_letters = Source("seed", "seed 002's letters")
    symbols = run.symbols
    names = Tuple(*(Symbol(f"n_{layer}", integer=True, positive=True) for layer in (1, 2, 3)))
    widths = Math(Eq(names, Tuple(*check.sizes), evaluate=False), Source("definition", "seed 002 network widths"))
    inputs = [part for number, key in enumerate(("z^{1}", "b^{1}", "b^{2}", "t"))
              for part in ((", " if number else ""), Math(Eq(symbols[key], _column(run.inputs[key])), given))]
    forward = [part for number, key in enumerate(("s^{1}", "z^{2}", "s^{2}"))
               for part in ((", " if number else ""), Math(Eq(symbols[key], _column(run.forward[key])), compared))]
    rows = []
    for step in run.steps:
        gradient = Derivative(J, symbols[step.key])
        upstream = {"s^{2}": "g^{2}", "s^{1}": "g^{1}"}.get(step.key)
        lhs = Then(symbols[upstream], gradient) if upstream else gradient
        why = f"{cite(_CITED[step.rule])}, {_SEED002[step.rule]}"
        rows.append(Equation(lhs, Then(step.closed, _column(step.value)), why, compared))
    blocks = [
        Text.of("Seed 002's network, widths ", widths, ": two Linear layers in seed 000's column layout with a ReLU "
                "between them, an identity last activation and the squared loss (seed 002), so the output is ",
                Math(Eq(Symbol(layer_name("z^{3}")), Symbol(layer_name("s^{2}"))),
                     Source("seed", "seed 002: identity last activation")),
                ". Seed 002 writes the layer as a superscript, ", Math(Symbol("W^m"), seed_letters), "; here it is in "
                "parentheses, ", Math(Symbol(layer_name("W^{m}")), NOTATION), ", so that ",
                Math(symbols["s^{2}"], NOTATION), " is not read as a square; seed 002's target ",
                Math(Symbol("y^i"), seed_letters), " is ", Math(symbols["t"], NOTATION),
                " here, as targets are throughout:"),
        Aligned(tuple(Equation(lhs, rhs, "", shown_forms) for lhs, rhs in forms.rows)),
        Text.of("Backpropagation starts from the squared loss and applies the column-layout rules layer by layer; ",
                Math(symbols["g^{2}"], NOTATION), " and ", Math(symbols["g^{1}"], NOTATION),
                " are the upstream gradients of the two Linear layers. In small integers, with ", *inputs, " and"),
        SideBySide(tuple(Equation(symbols[key], ImmutableMatrix(run.inputs[key]), "", given)
                         for key in ("W^{1}", "W^{2}"))),
        Text.of("the forward pass gives ", *forward, " and ", Math(Eq(Symbol("L"), run.forward["L"]), compared),
                "; backwards:"),
        Aligned(tuple(rows)),
        Text.of("Each value is computed twice, by the closed forms (exact) and by the numeric layers (Linear, ReLU "
                "and the squared loss, one sample as a row); the two agree at every step." if run.holds
                else f"The closed forms and the numeric layers DISAGREE: {run.mismatch}.",
                " With symbolic entries, SymPy's direct derivative of " if check.holds
                else " With symbolic entries, backpropagation DIFFERS from SymPy's direct derivative of ",
                Math(J, NOTATION),
                " with respect to every weight, bias and input entry equals backpropagation by these rules."
                if check.holds else "."),
    ]
    return Section("Seed 002: an FC network with ReLU, eqs. (1)-(4)", tuple(blocks))
