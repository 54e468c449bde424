"""The proof document of the ``fc`` target (seeds 000-002) as a lecturer's handout (issue 14 item 4).

Each rule (Linear: weight, bias, input; ReLU; squared loss) is a numbered theorem whose statement is
its closed form from the rule table, proved by ONE derivation with a column of justifications: chain
rule, upstream gradient, differentiate the scalar equation, sifting, and the index-to-matrix step
(sum_n g_{n,p} x_{n,q} = (G^T X)_{p,q}, hence dL/dW = G^T X), then a shape check. The seeds' own layouts
(seed 000's columns, seed 001's rows with an in x out weight and the 1/N average) follow as corollaries,
and a small-integer worked example is computed by the closed forms and by the numeric layer.

Every formula is a SymPy object of the run (``symbolic``) or of a check in ``proofs.fc_checks``; the
symbols are renamed to the notation sheet's at render time only (``fc_display.shown``: batch N, sizes D_in,
D_out). The worked examples and seed 002's network section are built in ``proofs.fc_examples``.
"""

from __future__ import annotations

from sympy import (
    Derivative,
    Eq,
    Function,
    HadamardProduct,
    KroneckerDelta,
    MatMul,
    MatrixSymbol,
    Sum,
    Symbol,
    Trace,
)

from gradproof.proofs import fc_checks, fc_examples
from gradproof.proofs.document import (
    Aligned,
    Derivation,
    Document,
    Equation,
    Math,
    Section,
    ShapeCheck,
    SideBySide,
    Source,
    Text,
    Theorem,
    latex,
    number_references,
)
from gradproof.proofs.fc_display import (
    NOTATION,
    TITLES,
    Between,
    Position,
    cite,
    corollary_title,
    gradient,
    linear_theorems,
    say,
    shown,
    sizes_math,
)
from gradproof.proofs.notation import notation_section
from gradproof.symbolic.calculus.differential import differential_symbol
from gradproof.symbolic.engine.derive import J
from gradproof.symbolic.layers import fc

# --- one rule in one presentation: the verdicts and the checks of its steps --------------------------------

class _Proved:
    """A rule in one presentation: its general-size proof, concrete check, and the checks of the two steps."""

    def __init__(self, result, index, steps):
        self.rule = result.rule
        self.proof = result.verdicts.general.evidence[index]
        self.check = result.verdicts.concrete.evidence[index]
        self.equations = self.proof.equations
        self.closed = self.proof.closed_form
        self.steps, self.entry = steps  # fc_checks' verdicts on the two steps, run by the fc statements

    @property
    def holds(self) -> bool:
        return bool(self.proof.holds and self.check.holds and self.steps.holds and self.entry.holds)

    def shown(self, value):
        return shown(self.equations, value)

    def statement(self) -> Equation:
        source = Source("check", f"{self.rule.summary}, {self.equations.title}: derivation, index-to-matrix step, "
                                 "general-size proof and concrete check", self.holds)
        return Equation(self.shown(gradient(self.equations, self.proof.variable)), self.shown(self.closed),
                        "", source)

    def derivation_source(self) -> Source:
        return Source("check", f"derivation of {self.rule.summary}, {self.equations.title}: generic entry equals "
                               "the chain rule on the explicit equations", self.steps.holds is True)

    def entry_row(self):
        source = Source("check", f"index-to-matrix step of {self.rule.summary}, {self.equations.title}",
                        self.entry.holds is True)
        return self.shown(fc_checks.displayed_entry(self.proof, self.closed)), self.entry_words(), source

    def entry_words(self) -> Text:
        """"entry (p, q) of the matrix product", "entry p of the matrix-vector product", ... for the last step;
        the entry's indices are the proof's own free indices, printed as math (italic, as in the display)."""
        indices = tuple(self.proof.rows) + tuple(self.proof.cols)
        which = Math(Position(*indices) if len(indices) > 1 else indices[0], NOTATION)
        if isinstance(self.closed, MatMul):
            vector = self.closed.shape[1] == 1 and len(indices) == 1
            what = f" of the {'matrix-vector' if vector else 'matrix'} product"
        elif isinstance(self.closed, HadamardProduct):
            what = " of the entrywise product"
        else:
            what = f" of the {'vector' if len(indices) == 1 else 'matrix'}"
        return Text.of("entry ", which, what)

    def range_text(self) -> list:
        parts = ["For every entry, "]
        for number, (index, (low, high)) in enumerate(self.proof.ranges.items()):
            parts += [" and " if number else "", Math(self.shown(Between(low, index, high)), NOTATION)]
        return [*parts, ","]

    def verdict_text(self) -> Text:
        """The general-size and concrete verdicts in one sentence (failure words if a check failed)."""
        parts = []
        if self.proof.holds:
            parts.append("The normal forms of the generic entry and of the matrix entry agree: the rule holds for "
                         "every size. ")
        else:
            parts.append("The normal forms DIFFER: the general-size proof does not decide the rule. ")
        parts += _step_failure("The derivation (checked against the chain rule at concrete sizes)", self.steps)
        parts += _step_failure("The index-to-matrix step", self.entry)
        checked = ["At "] + sizes_math(self.equations, self.check.system.sizes)
        if self.check.holds:
            return Text.of(*parts, *checked, ", SymPy's derivative of the explicit scalar equations and the closed "
                           "form are equal entry by entry.")
        return Text.of(*parts, *checked, *_concrete_failure(self.check.mismatch))

    def shape_check(self) -> list:
        closed = self.shown(self.closed)
        factors = [arg for arg in closed.args if getattr(arg, "is_Matrix", False)] if isinstance(closed, MatMul) \
            else [closed]
        operand = self.shown(MatrixSymbol(self.equations.operand(self.proof.variable).name,
                                          *self.equations.shape(self.equations.operand(self.proof.variable))))
        same = closed.shape == operand.shape
        return [ShapeCheck(tuple((factor, *factor.shape) for factor in factors), closed.shape),
                Text.of("This is the shape of ", Math(operand, NOTATION),
                        ", as denominator layout requires." if same else ": it is NOT, the closed form is wrong.")]


def _concrete_failure(mismatch) -> list:
    """The concrete check's refutation: the entry and both values as math (shapes as words)."""
    if mismatch.index is None:
        return [f" the closed form is NOT equal to the derivative: {mismatch.describe()}."]
    values = Source("check", "counterexample values, computed exactly")
    where = "(" + ", ".join(str(index) for index in mismatch.index) + ")"
    return [f" the closed form is NOT equal to the derivative at entry {where}: derived ", Math(mismatch.left, values),
            ", closed form ", Math(mismatch.right, values), "."]


def _step_failure(what: str, step) -> list:
    """Nothing for a step that holds; else what failed, with the counterexample's two values as math."""
    if step.holds is True:
        return []
    if step.holds is None:
        return [f"{what} is not decided: {step.reason}. "]
    if step.witness is None:
        return [f"{what} FAILS: {step.reason}. "]
    where, left, right = step.witness
    values = Source("check", "counterexample values, computed exactly")
    return [f"{what} FAILS at entry {where}: the generic entry is ", Math(left, values), ", the other side ",
            Math(right, values), ". "]


def _proved(run, name: str, equations) -> _Proved:
    result = run.rule(name)
    index = [eqs.name for eqs in result.rule.presentations].index(equations.name)
    return _Proved(result, index, run.statements.evidence["steps"][(name, equations.name)])


# --- definitions ------------------------------------------------------------------------------------------

def _scalar_equation(equations) -> Equation:
    functions = equations.entry_functions()
    indices = [index for index, _ in equations.output_indices()]
    return Equation(shown(equations, functions[equations.output.key](*indices)),
                    shown(equations, equations.equation(functions, *indices)), "",
                    Source("seed", equations.seed_ref))


def _upstream(equations) -> Equation:
    functions = equations.entry_functions()
    indices = [index for index, _ in equations.output_indices()]
    return Equation(shown(equations, Derivative(J, functions[equations.output.key](*indices))),
                    shown(equations, equations.upstream(functions, *indices)), "",
                    Source("definition", "notation sheet: upstream gradient G"))


def _matrix_form(equations, matrix_forms) -> Equation:
    symbols = equations.matrix_symbols()
    output = MatrixSymbol(equations.output.name, *equations.shape(equations.output))
    return Equation(shown(equations, output), shown(equations, equations.matrix_form(symbols)), "",
                    Source("check", f"matrix form of {equations.title}", matrix_forms[equations.name] is None))


# --- the theorems -----------------------------------------------------------------------------------------

def _theorem(proved: _Proved, title: str, hypothesis: Text, lead: tuple) -> Theorem:
    """Statement = the closed form; proof = one derivation ending in the index-to-matrix step, a shape check,
    the verdicts. ``lead`` are the derivation's rows before the sifting row (rhs, justification)."""
    proof = proved.proof
    source = proved.derivation_source()
    rows = [(proved.shown(rhs), why, source) for rhs, why in lead]
    rows += [(proved.shown(proof.collapsed), "linearity; sifting property of the Kronecker delta", source),
             proved.entry_row()]
    body = (Text.of(*proved.range_text()),
            derivation(proved.shown(proof.left_entry), rows),
            Text.of("The last line holds for every entry, so the two matrices are equal." if proved.holds
                    else "A step or a check below FAILS or is not decided: the theorem is NOT proved."),
            *proved.shape_check(), proved.verdict_text())
    return Theorem("theorem", title, (hypothesis, proved.statement()), body)


def printed(value) -> str:
    """A formula as the reader sees it: its LaTeX without grouping braces and spaces ({g}_{p} and g_{p} agree)."""
    return "".join(char for char in latex(value) if char not in "{} ")


def derivation(lhs, rows) -> Derivation:
    """One aligned derivation without empty steps: a row that prints as the line before it (the entry p of the
    vector g is g_p) is left out, since it changes nothing."""
    kept, before = [], printed(lhs)
    for row in rows:
        if printed(row[0]) != before:
            kept.append(row)
            before = printed(row[0])
    return Derivation(lhs, tuple(kept))


def _layer_rows(proof) -> tuple:
    return ((proof.chain, "chain rule over every output entry"),
            (proof.with_upstream, "upstream gradient"),
            (proof.differentiated, "differentiate the scalar equation"))


def _linear_section(run, matrix_forms) -> Section:
    equations = fc.LINEAR_TORCH
    definition = Theorem("definition", TITLES["linear"], (
        say("A batch $X$ holds one sample per row; $W$ is $D_out$ by $D_in$ (PyTorch's layout); entry by entry "
             "and as matrices ($1$ is the column of $N$ ones):"),
        Aligned((_scalar_equation(equations), _matrix_form(equations, matrix_forms))),
        say("The upstream gradient $G$, of the shape of $Y$, holds the derivatives of the loss $L$:"),
        _upstream(equations),
        say("Seed 000 counts the learnable parameters from the shapes of $W$ and $b$:"),
        Equation(Symbol(r"\#\text{params}"), shown(fc.LINEAR_SEED000, fc.parameter_count()), "",
                 Source("seed", "seed 000")),
    ))
    blocks = [definition]
    hypothesis = say(f"For the Linear layer of {cite('linear')} and the upstream gradient $G$,")
    for name in ("linear.weight", "linear.bias", "linear.input"):
        proved = _proved(run, name, equations)
        blocks.append(_theorem(proved, TITLES[name], hypothesis, _layer_rows(proved.proof)))
        if name == "linear.weight":
            blocks.extend(_weight_by_differentials(run))
    blocks.append(fc_examples.linear_example(run.statements.evidence["linear_example"]))
    return Section("The Linear layer", tuple(blocks))


def _rule_name(rule: str, fixed: bool):
    """'product rule: d(UV) = dU V + U dV' -> 'product rule' (the names of the calculus rules, without formulas);
    the first product rule's row also says which operands are fixed (as math)."""
    names = "; ".join(part.split(":")[0].strip() for part in rule.split("; "))
    return Text.of(f"{names}; ", *_fixed(), " fixed") if fixed else names


def _weight_by_differentials(run) -> list:
    """The weight theorem again, by differentials (DESIGN.md 5b; seed 003 starts from dL = tr(G^T dY)): with G,
    X and b fixed, dL is the differential of tr(G^T Y(W)); ``symbolic.calculus`` applies its named rules and
    reads the gradient off. Its exact and finite-difference checks ran with the fc statements
    (``fc_checks.weight_by_differentials``)."""
    equations = fc.LINEAR_TORCH
    symbols = equations.matrix_symbols()
    grad, weight = symbols["grad_output"], symbols["weight"]
    output = MatrixSymbol(equations.output.name, *equations.shape(equations.output))
    result = run.statements.evidence["differentials"]
    derivation = result.derivation
    source = Source("check", "gradient by differentials: exact and finite-difference checks", result.checked)
    steps = derivation.steps[:-1]  # the last step reads the gradient off: shown as its own equation
    rows = tuple((shown(equations, step.after), _rule_name(step.rule, number == 1), source)
                 for number, step in enumerate(steps))
    theorem = cite("linear.weight")
    return [
        Text.of("The same by differentials: by the definition of ", Math(grad, NOTATION), ", ",
                Math(Eq(Symbol("dL"), Trace(grad.T * differential_symbol(output))), NOTATION), "; with ",
                *_fixed(), " held fixed this is the differential of ", Math(Trace(grad.T * output), NOTATION),
                ", which the rules of matrix calculus rewrite:"),
        Derivation(shown(equations, steps[0].before), rows),
        Text.of("This holds for every ", Math(shown(equations, differential_symbol(weight)), NOTATION),
                ", so the gradient is read off (denominator layout):"),
        Equation(shown(equations, gradient(equations, "weight")), shown(equations, derivation.result),
                 "read off", source),
        Text.of(f"This is the closed form of {theorem}" if result.agrees
                else f"This DIFFERS from the closed form of {theorem}",
                "; the derivation by differentials is checked exactly and by finite differences at ",
                *sizes_math(equations, run.sizes), "."),
    ]


def _fixed() -> list:
    """G, X and b as math (the operands held fixed in the differential)."""
    symbols = fc.LINEAR_TORCH.matrix_symbols()
    g, x, b = (Math(symbols[key], NOTATION) for key in ("grad_output", "x", "bias"))
    return [g, ", ", x, " and ", b]


def _relu_section(run) -> Section:
    equations = fc.RELU
    proved = _proved(run, "relu.input", equations)
    definition = Theorem("definition", TITLES["relu"], (
        say("$Z = relu(S)$ entry by entry, $S$ and $Z$ of size $N$ by $F$. The derivative of relu at $s$ is 1 where "
             "$s > 0$ and 0 where $s < 0$; at $s = 0$, where relu has none, gradproof takes 0, as PyTorch. These "
             "values form the mask, written $I[S]$."),
        Aligned((_scalar_equation(equations), _upstream(equations))),
    ))
    hypothesis = say(f"For the ReLU of {cite('relu')} and the upstream gradient $G$,")
    theorem = _theorem(proved, TITLES["relu.input"], hypothesis,
                       _layer_rows(proved.proof))
    return Section("ReLU", (definition, theorem))


def _loss_section(run) -> Section:
    equations = fc.SQUARED_LOSS
    proved = _proved(run, "squared_loss.prediction", equations)
    definition = Theorem("definition", TITLES["squared_loss"], (
        say("The prediction $Z$ and the target $T$ are $N$ by $D_out$; the loss is the objective itself (seed "
             "002: the last activation is the identity):"),
        _scalar_equation(equations),
    ))
    hypothesis = Text.of(f"For the squared loss of {cite('squared_loss')},")
    theorem = _theorem(proved, TITLES["squared_loss.prediction"], hypothesis, (
        (proved.proof.differentiated, "differentiate the scalar equation (chain rule for the square)"),))
    return Section("The squared loss", (definition, theorem, fc_examples.relu_loss_example(run.statements.evidence["relu_loss_example"])))


# --- the seeds' layouts, as corollaries ---------------------------------------------------------------------

def _layout_sentence(name: str) -> str:
    """What a seed's layout is, in fc.pdf's letters (G the upstream gradient, whatever the seed calls it)."""
    return {
        "linear.seed000": "Seed 000 writes one sample as a column, $y = Wx + b$ with $W$ of size $D_out$ by $D_in$; "
                          "its upstream gradient, which seed 000 writes with deltas, is $g$ here (the notation "
                          f"sheet's letter for a vector). This is {cite('linear')} with $N = 1$ and the sample "
                          "transposed; each rule is derived again from the seed's own scalar equation.",
        "linear.seed001.sum": "Seed 001 writes samples as rows and the weight as $D_in$ by $D_out$ (the transpose of "
                              "the numeric layer's), $Y = XW + 1b^T$ (seed 001 writes $B = 1b^T$, the bias copied to "
                              "every row). Here $L$ is the sum of the per-sample losses; row $i$ of the upstream "
                              "gradient $G$, which seed 001 writes $dJ/dY$, is the gradient of sample $i$'s loss.",
        "linear.seed001.mean": "Seed 001 averages the per-sample losses (its factor $1/N$): the loss is "
                               f"$Lbar = L/N$, with $L$ the summed loss of {cite('linear.seed001.sum')} and $G$ its "
                               "upstream gradient. So the upstream gradient of $Lbar$ is $G/N$, and each gradient "
                               "carries the factor $1/N$.",
    }[name]


def _layout_corollary(run, equations, matrix_forms) -> Theorem:
    proved = [_proved(run, name, equations) for name in ("linear.weight", "linear.bias", "linear.input")]
    statement = (say(_layout_sentence(equations.name)),
                 Aligned((_scalar_equation(equations), _upstream(equations), _matrix_form(equations, matrix_forms))),
                 Text.of("Then"),
                 SideBySide(tuple(item.statement() for item in proved)))
    body = [Text.of(f"The steps of {linear_theorems()} on this scalar equation end at the generic entries on the left, "
                    "each an entry of the closed form:")]
    for item in proved:
        body.append(derivation(item.shown(item.proof.left_entry),
                               ((item.shown(item.proof.collapsed), "chain rule; scalar equation; sifting",
                                 item.derivation_source()), item.entry_row())))
        body.append(item.shape_check()[0])
    body.append(_layout_verdict(proved))
    return Theorem("corollary", corollary_title(equations.name), statement, tuple(body))


def _layout_verdict(proved) -> Text:
    """One sentence for the three rules of a layout when every check passed; otherwise each rule's verdicts."""
    if not all(item.holds for item in proved):
        return Text.of(*(part for item in proved for part in item.verdict_text().parts))
    sizes = sizes_math(proved[0].equations, proved[0].check.system.sizes)
    return Text.of("For each of the three rules the normal forms of the generic entry and of the matrix entry agree: "
                   "the rule holds for every size. At ", *sizes, ", SymPy's derivative of the explicit scalar "
                   "equations and each closed form are equal entry by entry.")


def _layouts_section(run, matrix_forms) -> Section:
    layouts = (fc.LINEAR_SEED000, fc.LINEAR_SEED001_SUM, fc.LINEAR_SEED001_MEAN)
    return Section("The seeds' layouts", tuple(_layout_corollary(run, eqs, matrix_forms) for eqs in layouts))


def _introduction() -> Section:
    j, p, n = Symbol("j", integer=True), Symbol("p", integer=True), Symbol("n", integer=True, positive=True)
    f = Function("f")
    sifting = Eq(Sum(KroneckerDelta(j, p) * f(j), (j, 1, n)), f(p))
    return Section("What is proved, and how", (Text.of(
        "Each rule is a theorem whose statement is its closed form, in denominator layout (a gradient has the "
        "shape of its variable). Its proof is one derivation: for a generic entry, the chain rule, the upstream "
        "gradient, the derivative of the layer's scalar equation, the sifting property of the Kronecker delta (",
        Math(sifting, Source("definition", "Kronecker delta: 1 if j = p, else 0")), " for ",
        Math(Between(1, p, n), NOTATION), "), and finally the step from the entry to the matrix: the entry "
        "obtained is an entry of the closed form. Behind each proof stand checks run with this document: the "
        "derivation's last line, evaluated at small sizes, equals SymPy's own derivative of the explicit scalar "
        "equations; the index-to-matrix step is checked at symbolic sizes (SymPy's entry of the closed form and "
        "the derived entry have the same normal form, which proves the rule for every size) and on the whole "
        "matrix at small sizes; and the closed form equals SymPy's derivative at small sizes. The weight gradient "
        "is also derived by differentials, the route of seed 003. The worked examples repeat the theorems in small "
        "integers and compare them with the numeric layers."),))


def fc_document(run) -> Document:
    """The FC proof from one run of the ``fc`` target: definitions and theorems, the example, the layouts,
    seed 002's network."""
    evidence = run.statements.evidence
    matrix_forms = evidence["matrix_forms"]
    sections = (notation_section(), _introduction(), _linear_section(run, matrix_forms), _relu_section(run),
                _loss_section(run), _layouts_section(run, matrix_forms),
                fc_examples.network_section(evidence["network"], evidence["network_forms"], evidence["network_run"]))
    return number_references(Document("gradproof: the fully-connected layer, ReLU and the squared loss "
                                      "(seeds 000-002)", sections, landscape=False))
