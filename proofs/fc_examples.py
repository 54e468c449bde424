"""fc.pdf's worked examples and seed 002's network section.

The examples are ``proofs.fc_checks``' small-integer computations, each shown as the theorem's closed form,
the same with the numbers substituted, and the result, and compared with the numeric layers; the network
section shows seed 002's (1)-(4) and the verdicts of backpropagation against SymPy's direct derivative.
"""

from __future__ import annotations

from sympy import Derivative, ImmutableMatrix, MatrixSymbol, OneMatrix, Symbol

from gradproof.proofs import fc_checks
from gradproof.proofs.document import Aligned, Derivation, Equation, Math, Section, Source, Text, Theorem
from gradproof.proofs.fc_display import InlineDerivative, block_number, linear_theorems, say, shown, sizes_math
from gradproof.symbolic.engine.derive import J, closed_form_in
from gradproof.symbolic.layers import fc
from gradproof.symbolic.layers.table import rule_named


def linear_example() -> Theorem:
    example = fc_checks.linear_worked_example()
    source = Source("check", "worked example: closed forms equal the numeric Linear layer", example.holds)
    named = {key: shown(fc.LINEAR_TORCH, symbol) for key, symbol in example.symbols.items()}
    inputs = Aligned(tuple(Equation(named[key], ImmutableMatrix(example.inputs[key]), "", Source("definition",
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
            (shown(fc.LINEAR_TORCH, expression), f"Theorem {block_number(theorem)}", source),
            (numbers, "the numbers above", source),
            (ImmutableMatrix(value), "multiplied out", source),
        )))
    verdict = ("The numeric Linear layer (forward, then backward with this G) returns exactly these matrices."
               if example.holds else f"The numeric Linear layer DIFFERS: {example.mismatch}.")
    return Theorem("example", "Linear layer in small integers", (*blocks, Text.of(verdict)))


def _gradient_at(example, key):
    return shown(fc.LINEAR_TORCH, Derivative(J, example.symbols[key]))


def relu_loss_example() -> Theorem:
    example = fc_checks.relu_loss_worked_example()
    source = Source("check", "worked example: closed forms equal the numeric ReLU layer and squared loss",
                    example.holds)
    given = Source("definition", "worked example input")
    symbols = {key: shown(fc.RELU, shown(fc.SQUARED_LOSS, symbol)) for key, symbol in example.symbols.items()}
    numbers = {symbol: ImmutableMatrix(example.values[key]) for key, symbol in example.symbols.items()}
    blocks = [
        say("A pre-activation $S$ with an entry at the kink 0, and a target $Y$:"),
        Aligned((Equation(symbols["S"], numbers[example.symbols["S"]], "", given),
                 Equation(symbols["Y"], numbers[example.symbols["Y"]], "", given))),
        say("The forward pass $Z$ = relu($S$) and the mask, then the backward pass: the squared loss gives the "
             "upstream gradient $G$ of the ReLU, and the ReLU's theorem the gradient with respect to $S$:"),
        Aligned((Equation(symbols["Z"], numbers[example.symbols["Z"]], "relu entry by entry", source),
                 Equation(symbols["mask"], numbers[example.symbols["mask"]], "1 where s > 0, else 0", source))),
    ]
    for key, variable, theorem in (("prediction", "Z", "squared_loss.prediction"), ("pre_activation", "S", "relu.input")):
        expression, value = example.closed[key]
        blocks.append(Derivation(Derivative(J, symbols[variable]), (
            (shown(fc.SQUARED_LOSS, expression), f"Theorem {block_number(theorem)}", source),
            (expression.xreplace(numbers), "the numbers above", source),
            (ImmutableMatrix(value), "so this is G" if key == "prediction" else "multiplied out", source),
        )))
    verdict = ("The numeric ReLU layer and squared loss (forward, then backward) return exactly these matrices; at "
               "the kink the gradient is 0, although G is not." if example.holds
               else f"The numeric layers DIFFER: {example.mismatch}.")
    return Theorem("example", "ReLU and the squared loss in small integers", (*blocks, Text.of(verdict)))


# --- seed 002's network -------------------------------------------------------------------------------------

def network_section(check) -> Section:
    widths = ", ".join(str(width) for width in check.sizes)
    n_in, n_hidden, n_out = (Symbol(name, integer=True, positive=True) for name in ("n_1", "n_2", "n_3"))
    symbols = {
        "x": MatrixSymbol("z^{m}", n_in, 1),
        "weight": MatrixSymbol("W^{m}", n_hidden, n_in),
        "bias": MatrixSymbol("b^{m}", n_hidden, 1),
        "grad_output": MatrixSymbol(r"\frac{\partial L}{\partial s^{m}}", n_hidden, 1),
    }
    network = Source("check", "seed 002 network: backpropagation equals the direct derivative", check.holds is True)
    rows = []
    for name, label in (("linear.weight", "(1)"), ("linear.bias", "(2)"), ("linear.input", "(3)")):
        rule = rule_named(name)
        rows.append(Equation(Derivative(J, symbols[rule.wrt]), closed_form_in(rule, fc.LINEAR_SEED000, symbols),
                             f"seed 002 {label}", network))
    relu_symbols = {
        "grad_output": MatrixSymbol(r"\frac{\partial L}{\partial z^{m+1}}", n_hidden, 1),
        "mask": MatrixSymbol(r"\mathbb{I}[s^{m}]", n_hidden, 1),
        "pre_activation": MatrixSymbol("s^{m}", n_hidden, 1),
    }
    rows.append(Equation(Derivative(J, relu_symbols["pre_activation"]),
                         closed_form_in(rule_named("relu.input"), fc.RELU, relu_symbols), "seed 002 (4)", network))
    loss_symbols = {"prediction": MatrixSymbol(r"z^{\mathrm{out}}", n_out, 1), "target": MatrixSymbol("y", n_out, 1)}
    rows.append(Equation(Derivative(J, loss_symbols["prediction"]),
                         closed_form_in(rule_named("squared_loss.prediction"), fc.SQUARED_LOSS, loss_symbols),
                         "squared loss", network))
    blocks = [
        Text.of(f"A two-layer network with ReLU between the layers, an identity last activation and the squared "
                f"loss, layer widths {widths}. Seed 002's backward equations are Theorems {block_number('linear.weight')}, "
                f"{block_number('linear.bias')}, {block_number('linear.input')}, {block_number('relu.input')} and {block_number('squared_loss.prediction')} "
                f"in seed 000's column layout (Corollary {block_number('linear.seed000')}), for layer m:"),
        Aligned(tuple(rows)),
        Text.of("The forward pass, entry by entry (the loss is the sum of the squares of the last output minus y):"),
        Aligned(tuple(Equation(MatrixSymbol(name, value.rows, 1), value, "", Source("seed", "seed 002 forward pass"))
                      for name, value in check.forward.items() if name != "s^{2}")),
        Text.of("Backpropagation composes these rules from the loss backwards; SymPy independently differentiates "
                "the loss above with respect to every parameter and input entry."),
    ]
    blocks.extend(_network_step(step, network) for step in check.steps)
    blocks.append(Text.of("Verdict: " + ("all gradients agree." if check.holds else "a gradient DISAGREES.")))
    return Section("Seed 002: an FC network with ReLU, eqs. (1)-(4)", tuple(blocks))


def _step_symbol(label: str):
    """'dL / d W^2' -> the derivative of L with respect to W^{2} (a label of seed 002's network check)."""
    name, _, layer = label.removeprefix("dL / d ").partition("^")
    return InlineDerivative(J, Symbol(f"{name}^{{{layer}}}"))


def _network_step(step, network: Source) -> Text:
    if step.direct is None:
        outcome = "an intermediate quantity"
    elif step.mismatch is None:
        outcome = "equals the direct derivative, entry by entry"
    else:
        outcome = f"DIFFERS from the direct derivative: {step.mismatch.describe()}"
    name, _, reference = step.rule.partition(", ")
    labels = [Math(_step_symbol(label), network) for label in step.label.split(" = ")]
    parts = [part for number, label in enumerate(labels) for part in ((" = ",) if number else ()) + (label,)]
    seed = f", {reference}" if reference else ""
    return Text.of(*parts, f", by Theorem {block_number(name)}{seed}: {outcome}.")
