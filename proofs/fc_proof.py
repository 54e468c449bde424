"""The proof document of the ``fc`` target: seeds 000-002, built from the symbolic results.

Every formula below is a SymPy object produced by ``symbolic`` (the scalar equations, the
chain-rule steps, the closed forms of the rule table, the explicit matrices); this module only
arranges them and adds prose.
"""

from __future__ import annotations

from sympy import Derivative, MatrixSymbol, Symbol

from gradproof.proofs.document import Aligned, Chain, Document, Equation, Math, Section, Source, Text
from gradproof.proofs.notation import notation_section
from gradproof.symbolic.engine.derive import J, closed_form_in
from gradproof.symbolic.engine.indexed import LINEARITY, SIFTING
from gradproof.symbolic.layers import fc
from gradproof.symbolic.layers.table import rule_named


def format_sizes(sizes) -> str:
    """'batch = 2, in = 3' for {'batch': 2, 'in': 3}."""
    return ", ".join(f"{role} = {value}" for role, value in sizes.items())


def _introduction() -> Section:
    return Section(
        "What is proved, and how",
        (
            Text.of(
                "Each gradient rule is derived from the layer's scalar equations by the chain rule, "
                "entry by entry, and compared exactly with its closed form from gradproof's rule "
                "table. Gradients are in denominator layout: the gradient with respect to a matrix "
                "has the shape of that matrix. Indices run from 1, as in the lecture notes (seeds)."
            ),
            Text.of(
                "General sizes: the derivative of a generic entry is written with symbolic sizes and "
                "simplified with two rules only, ",
                LINEARITY,
                " and the ",
                SIFTING,
                " (a sum over k of a Kronecker delta times f(k) is f(p) when p lies in the summation "
                "range, which holds because p indexes an entry of that dimension). The result is "
                "compared with the same entry of the closed form after both are put in one normal "
                "form (sums split by linearity, summation variables renamed by depth); equality "
                "means the difference expands to 0.",
            ),
            Text.of(
                "Concrete sizes: the scalar equations are instantiated, SymPy differentiates each "
                "output entry, the chain rule sums the contributions, and the resulting matrix is "
                "compared with the closed form evaluated on the same symbols, entry by entry."
            ),
        ),
    )


def _scalar_equation_blocks(equations, sizes, matrix_forms) -> list:
    functions = equations.entry_functions()
    indices = [index for index, _ in equations.output_indices()]
    blocks = [
        Text.of(equations.loss_note),
        Equation(
            functions[equations.output.key](*indices),
            equations.equation(functions, *indices),
            f"scalar equation, {equations.seed_ref}",
            Source("seed", equations.seed_ref),
        ),
        Equation(
            Derivative(J, functions[equations.output.key](*indices)),
            equations.upstream(functions, *indices),
            "upstream gradient",
            Source("definition", "notation sheet: upstream gradient G"),
        ),
    ]
    if equations.matrix_form is not None:
        symbols = equations.matrix_symbols()
        verdict = "checked entry by entry" if matrix_forms[equations.name] is None else "FAILS"
        blocks.append(
            Equation(
                MatrixSymbol(equations.output.name, *equations.shape(equations.output)),
                equations.matrix_form(symbols),
                f"matrix form, {verdict} for {format_sizes(sizes)}",
                Source("check", f"matrix form of {equations.title}", matrix_forms[equations.name] is None),
            )
        )
    return blocks


def _translation_blocks(equations) -> list:
    if equations.canonical is fc.LINEAR_TORCH.canonical:
        return []
    canonical_symbols = fc.LINEAR_TORCH.matrix_symbols()
    translated = equations.canonical(equations.matrix_symbols())
    rows = tuple(
        Equation(_numeric_layer_symbol(canonical_symbols[key]), expression, "layout translation",
                 Source("definition", f"layout translation of {equations.title}"))
        for key, expression in translated.items()
        if str(expression) != str(canonical_symbols[key])
    )
    return [Text.of("The numeric layer's operands (PyTorch layout, marked torch) in this layout's terms:"),
            Aligned(rows)]


def _numeric_layer_symbol(symbol):
    """The numeric layer's operand, named apart from this layout's (W_torch = W^T, not W = W^T)."""
    return MatrixSymbol(rf"{{{symbol.name}}}_{{\mathrm{{torch}}}}", *symbol.shape)


def _gradient_symbol(equations, variable):
    operand = equations.operand(variable)
    return MatrixSymbol(rf"\frac{{\partial L}}{{\partial {operand.name}}}", *equations.shape(operand))


def _general_blocks(proof) -> list:
    equations = proof.equations
    ranges = ", ".join(f"{index} from {low} to {high}" for index, (low, high) in proof.ranges.items())
    verdict = (
        "The two normal forms agree: the rule holds for every size."
        if proof.holds
        else "The normal forms DIFFER: the general-size proof fails."
    )
    general = Source("check", f"general-size proof, {equations.title}", proof.holds is True)
    return [
        Text.of("General sizes, for a generic entry (", ranges, "):"),
        Chain(
            Derivative(J, proof.entry),
            (
                (proof.chain, "chain rule"),
                (proof.with_upstream, "upstream gradient"),
                (proof.differentiated, "differentiate the scalar equation"),
                (proof.collapsed, f"{LINEARITY}; {SIFTING}"),
            ),
            general,
        ),
        Text.of("The same entry of the closed form ", Math(proof.closed_form, general), ":"),
        Chain(proof.closed_entry, ((proof.closed_collapsed, LINEARITY),), general),
        Text.of(verdict, " Assembled in matrix form:"),
        Equation(_gradient_symbol(equations, proof.variable), proof.closed_form, "closed form, rule table", general),
    ]


def _concrete_blocks(check) -> list:
    sizes = check.system.sizes
    equations = check.system.equations
    verdict = (
        "Equal entry by entry."
        if check.holds
        else f"NOT equal: {check.mismatch.describe()}."
    )
    concrete = Source("check", f"concrete sizes, {equations.title}", check.holds is True)
    return [
        Text.of(f"Explicit matrices for {format_sizes(sizes)}, derived by the chain rule:"),
        Equation(_gradient_symbol(equations, check.variable), check.derived, "chain rule, entry by entry",
                 Source("check", f"chain rule by SymPy, {equations.title}")),
        Text.of("and the closed form evaluated on the same symbols:"),
        Equation(check.closed_form, check.claimed, "closed form", concrete),
        Text.of(verdict),
    ]


def rule_sections(result, matrix_forms, shown_layouts=None) -> list[Section]:
    """One section per rule, then one per layout, from the run's verification objects (nothing recomputed).
    A layout's scalar equations are displayed the first time it appears (``shown_layouts`` collects the
    names across rules); later rules in the same layout refer back to them."""
    shown_layouts = set() if shown_layouts is None else shown_layouts
    rule = result.rule
    sections = [
        Section(
            rule.summary,
            (Text.of("Seeds: ", rule.seed_ref, ". Closed form in the numeric layer's layout:"),
             Equation(
                 _gradient_symbol(rule.canonical, rule.wrt),
                 closed_form_in(rule, rule.canonical, rule.canonical.matrix_symbols()),
                 "rule table",
                 Source("check", f"{rule.summary}: every layout", result.verdicts.concrete.holds is True
                        and result.verdicts.general.holds is True),
             )),
        )
    ]
    concrete, general = result.verdicts.concrete.evidence, result.verdicts.general.evidence
    for number, (equations, check, proof) in enumerate(zip(rule.presentations, concrete, general)):
        # The first layout is derived in full; the others repeat the same steps with renamed operands, so
        # they show their equations and both verdicts, and in full only when a check fails.
        in_full = number == 0 or not (proof.holds and check.holds)
        if equations.name in shown_layouts:
            layout = [Text.of("The scalar equations and the upstream gradient of this layout are displayed in the "
                              "first rule's section for it.")]
        else:
            shown_layouts.add(equations.name)
            layout = _scalar_equation_blocks(equations, check.system.sizes, matrix_forms) + _translation_blocks(equations)
        blocks = layout + (_general_blocks(proof) + _concrete_blocks(check) if in_full else _summary_blocks(proof, check))
        sections.append(Section(equations.title, tuple(blocks), level=2))
    return sections


def _summary_blocks(proof, check) -> list:
    """A layout whose checks both passed: the general-size verdict, the closed form, the concrete verdict
    (the steps are those of the first layout with this layout's operands)."""
    return [
        Text.of("The same steps as in the first layout (chain rule, upstream gradient, differentiate the scalar "
                "equation, sifting) give a generic entry whose normal form agrees with the closed form's: the "
                "rule holds for every size."),
        Equation(_gradient_symbol(proof.equations, proof.variable), proof.closed_form, "closed form, rule table",
                 Source("check", f"general-size proof, {proof.equations.title}", proof.holds is True)),
        Text.of(f"Explicit matrices for {format_sizes(check.system.sizes)}, derived by the chain rule and compared "
                "with the closed form on the same symbols: Equal entry by entry."),
    ]


def _network_section(check) -> Section:
    widths = check.sizes
    n_in, n_hidden, n_out = (Symbol(name, integer=True, positive=True) for name in ("n_1", "n_2", "n_3"))
    symbols = {
        "x": MatrixSymbol("z^{m}", n_in, 1),
        "weight": MatrixSymbol("W^{m}", n_hidden, n_in),
        "bias": MatrixSymbol("b^{m}", n_hidden, 1),
        "grad_output": MatrixSymbol(r"\frac{\partial L}{\partial s^{m}}", n_hidden, 1),
    }
    network = Source("check", "seed 002 network: backpropagation equals the direct derivative", check.holds is True)
    blocks = [
        Text.of(
            "A two-layer network with ReLU between the layers, an identity last activation and the "
            f"squared loss, layer widths {widths}. Seed 002's backward equations are the Linear layer's "
            "gradients (Sections 2-4) in seed 000's column presentation:"
        ),
    ]
    for name, label in (("linear.weight", "(1)"), ("linear.bias", "(2)"), ("linear.input", "(3)")):
        rule = rule_named(name)
        blocks.append(
            Equation(
                MatrixSymbol(rf"\frac{{\partial L}}{{\partial {symbols[rule.wrt].name}}}", 1, 1),
                closed_form_in(rule, fc.LINEAR_SEED000, symbols),
                f"seed 002 {label}; {rule.summary.lower()}",
                network,
            )
        )
    relu_symbols = {
        "grad_output": MatrixSymbol(r"\frac{\partial L}{\partial z^{m+1}}", n_hidden, 1),
        "mask": MatrixSymbol(r"\mathbb{I}[s^{m}]", n_hidden, 1),
        "pre_activation": MatrixSymbol("s^{m}", n_hidden, 1),
    }
    blocks.append(
        Equation(
            MatrixSymbol(r"\frac{\partial L}{\partial s^{m}}", 1, 1),
            closed_form_in(rule_named("relu.input"), fc.RELU, relu_symbols),
            "seed 002 (4); ReLU, gradient with respect to its input",
            network,
        )
    )
    loss_symbols = {"prediction": MatrixSymbol(r"z^{\mathrm{out}}", n_out, 1), "target": MatrixSymbol("y", n_out, 1)}
    blocks.append(
        Equation(
            MatrixSymbol(r"\frac{\partial L}{\partial z^{\mathrm{out}}}", 1, 1),
            closed_form_in(rule_named("squared_loss.prediction"), fc.SQUARED_LOSS, loss_symbols),
            "squared loss, start of the backward pass",
            network,
        )
    )
    blocks.append(Text.of("The forward pass, entry by entry (the loss is the sum of the squares of s^2 - y):"))
    blocks.append(
        Aligned(
            tuple(
                Equation(MatrixSymbol(name, value.rows, 1), value, "forward pass", Source("seed", "seed 002 forward pass"))
                for name, value in check.forward.items()
                if name != "s^{2}"
            )
        )
    )
    blocks.append(
        Text.of(
            "Backpropagation composes these rules from the loss backwards; SymPy independently "
            "differentiates the loss above with respect to every parameter and input entry."
        )
    )
    for step in check.steps:
        if step.direct is None:
            outcome = "intermediate quantity"
        elif step.mismatch is None:
            outcome = "equals the direct derivative, entry by entry"
        else:
            outcome = f"DIFFERS from the direct derivative: {step.mismatch.describe()}"
        name, _, reference = step.rule.partition(", ")
        summary = rule_named(name).summary
        source = f" ({reference})" if reference else ""
        blocks.append(Text.of(f"{step.label}, by the {summary[0].lower()}{summary[1:]}{source}: {outcome}."))
    blocks.append(
        Text.of("Verdict: " + ("all gradients agree." if check.holds else "a gradient DISAGREES."))
    )
    return Section("Seed 002: an FC network with ReLU, eqs. (1)-(4)", tuple(blocks))


def _parameter_section() -> Section:
    return Section(
        "Seed 000: number of learnable parameters",
        (
            Text.of("Entries of the weight plus entries of the bias, counted from their shapes:"),
            Equation(Symbol(r"\#\text{params}"), fc.parameter_count(), "seed 000", Source("seed", "seed 000")),
        ),
    )


def fc_document(run) -> Document:
    """The full FC proof from one run of the ``fc`` target: every rule, the network, the parameter count."""
    evidence = run.statements.evidence
    sections, shown_layouts = [notation_section(), _introduction()], set()
    for result in run.rules:
        sections.extend(rule_sections(result, evidence["matrix_forms"], shown_layouts))
    sections.append(_network_section(evidence["network"]))
    sections.append(_parameter_section())
    return Document(
        "gradproof: the fully-connected layer, ReLU and the squared loss (seeds 000-002)",
        tuple(sections),
        landscape=False,
    )
