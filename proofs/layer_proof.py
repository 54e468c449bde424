"""The proof document of a user's layer (``symbolic.layers.description.Layer``), in the built-in style.

Every displayed formula is a checked object of the same run: the layer's own scalar equations (its
input), the chain-rule sum, the differentiated sum and its normal form from the general-size proof
(``symbolic.layers.gradients.general_verdict``), the claimed closed form and its normal form. A claim
that is not proved for general sizes shows no derivation chain, only its verdicts in prose (with the
counterexample when refuted). The numeric checks are listed with their method and resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Add, Derivative, Eq, Indexed, Mul, Pow, Sum, Symbol
from sympy.printing.latex import LatexPrinter

from gradproof.proofs.document import Aligned, Document, Equation, Math, Section, Text, escape, latex
from gradproof.symbolic.engine.indexed import NORMAL_FORM

__all__ = ["BrokenChain", "layer_document"]

LINE = 72
"""The width of a display line of a ``BrokenChain``, in characters of typeset formula (``_width``): a landscape
page in small type."""


@dataclass(frozen=True)
class BrokenChain:
    """lhs = rhs_1 = rhs_2 = ..., as ``document.Chain`` (each step the checked SymPy object and its rule), with
    a long sum broken after whole terms onto continuation lines, in small type: the general-size derivations of
    attention are several page widths long on one line. (Its own block: ``document.py`` renders ``to_latex``.)"""

    lhs: object
    steps: tuple
    source: object = None

    def to_latex(self) -> str:
        rows, left = [], latex(self.lhs)
        if _width(self.lhs) > LINE // 2:  # a long left side (a claimed closed form) gets lines of its own
            lines = [text for text, _ in _broken(self.lhs)]
            rows = [f"& {lines[0]}"] + [rf"& \quad {line}" for line in lines[1:]]
            left = ""
        for n, (rhs, rule) in enumerate(self.steps):
            lines = [text for text, _ in _broken(rhs)]
            tag = rf"&& \text{{[{escape(rule)}]}}" if rule else ""
            rows.append(f"{left if n == 0 else ''} &= {lines[0]} {tag}")
            rows.extend(rf"& \quad {line}" for line in lines[1:])
        return "{\\small\n\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}}\n"


def _width(expr) -> int:
    """A rough typeset width in characters: a fraction is as wide as the wider of its numerator and denominator,
    a sum of terms the sum of theirs, an entry its name and indices, a sigma its body plus its sign."""
    if isinstance(expr, Indexed):
        return len(str(expr.base)) + len(expr.indices)
    if isinstance(expr, Add):
        return sum(_width(arg) + 2 for arg in expr.args)
    if isinstance(expr, Mul):
        below = [f for f in expr.args if isinstance(f, Pow) and f.exp.is_negative]
        above = sum(_width(f) + 1 for f in expr.args if f not in below)
        return max(above, sum(_width(1 / f) + 1 for f in below)) + 1 if below else above
    if isinstance(expr, Pow):
        if expr.exp.is_negative:
            return max(1, _width(1 / expr)) + 1
        return _width(expr.base) + 2
    if isinstance(expr, Sum):
        return _width(expr.function) + 5
    if expr.args:
        return sum(_width(arg) for arg in expr.args) + 3
    return len(str(expr))


def _joined(pieces) -> list[tuple[str, int]]:
    """(text, width) pieces joined into lines of at most ``LINE``."""
    lines, line, width = [], "", 0
    for text, size in pieces:
        if line and width + size > LINE:
            lines.append((line, width))
            line, width = "", 0
        line, width = f"{line} {text}".strip(), width + size
    return lines + [(line, width)]


def _broken(expr) -> list[tuple[str, int]]:
    """(LaTeX, width) lines of ``expr``: a sum's terms in the printer's order, a new line when one would pass
    ``LINE``; a long term is broken the same way inside: a product factor by factor, a sigma keeps its sign and
    limits on the first line (big parentheses round a sum)."""
    width = _width(expr)
    if width <= LINE:
        return [(latex(expr), width)]
    if isinstance(expr, Add):
        pieces = []
        for n, term in enumerate(LatexPrinter()._as_ordered_terms(expr)):
            negative = term.could_extract_minus_sign()
            inner = _broken(-term if negative else term)
            sign = "-" if negative else ("+" if n else "")
            inner[0] = (f"{sign} {inner[0][0]}".strip(), inner[0][1] + 2)
            pieces.extend(inner)
        return _joined(pieces)
    if isinstance(expr, Mul) and not any(isinstance(f, Pow) and f.exp.is_negative for f in expr.args):
        # a product (no fraction bar of its own): factor after factor, centred dots
        pieces = []
        for n, factor in enumerate(expr.as_ordered_factors()):
            inner = _broken(factor)
            if isinstance(factor, Add):
                inner[0], inner[-1] = (f"\\Bigg( {inner[0][0]}", inner[0][1] + 1), (f"{inner[-1][0]} \\Bigg)",
                                                                                    inner[-1][1] + 1)
            if n:
                inner[0] = (f"\\cdot {inner[0][0]}", inner[0][1] + 1)
            pieces.extend(inner)
        return _joined(pieces)
    if isinstance(expr, Sum):  # the sigma and its limits, then its body broken the same way
        marker = Symbol("BODY")
        prefix = latex(Sum(marker, *expr.limits)).replace(latex(marker), "").strip()
        inner = _broken(expr.function)
        if isinstance(expr.function, Add):
            inner[0], inner[-1] = (f"\\Bigg( {inner[0][0]}", inner[0][1] + 1), (f"{inner[-1][0]} \\Bigg)",
                                                                                inner[-1][1] + 1)
        inner[0] = (f"{prefix} {inner[0][0]}", inner[0][1] + 5)
        return inner
    return [(latex(expr), width)]


def _layer_section(layer) -> Section:
    outputs = [Equation(d.entry, d.body, "scalar equation") for d in layer.output_definitions()]
    middles = [Equation(d.entry, d.body, "intermediate") for d in layer.intermediate_definitions()]
    names = ", ".join(name for name, _ in layer.variables())
    blocks = [Text.of(f"Inputs and parameters: {names}. Indices run from 1; gradients are in denominator layout "
                      "(the gradient of a tensor has its shape). The sizes are symbols; the exact check uses "
                      + ", ".join(f"{k} = {v}" for k, v in layer.at.items()) + "."),
              Aligned(tuple(middles + outputs))]
    for d in layer.output_definitions():
        G = layer.upstream_of(d.base)
        blocks.append(Text.of("Upstream gradient: ", Math(Eq(G[d.indices], Derivative(Symbol("L"), d.entry))), "."))
    if layer.conventions:
        blocks.append(Text.of(layer.conventions))
    return Section("The layer", tuple(blocks))


def _claim_section(layer, verdict) -> Section:
    proof = verdict.general
    blocks = []
    if proof.holds is True:
        target = proof.left_entry
        blocks.append(Text.of("For general sizes, entry by entry (the free indices range over the dimensions of "
                              f"{verdict.name}):"))
        steps = tuple(proof.left_steps) + ((proof.left_normal, NORMAL_FORM),)
        through = [why for _, why in proof.left_steps if why.startswith("chain rule through")]
        if through:
            names = through[0].removeprefix("chain rule through the intermediates ")
            blocks.append(Text.of(f"The entries of {names} stay symbols: the derivative of an expression is its "
                                  "partial derivative plus, for each such entry, the partial derivative with respect "
                                  "to the entry times the entry's own derivative (from its scalar equation), summed "
                                  "over the entries. An identity that holds for every value of these symbols holds "
                                  "at their values."))
        blocks.append(BrokenChain(target, steps))
        blocks.append(BrokenChain(proof.right_entry, ((proof.right_normal, NORMAL_FORM),)))
        blocks.append(Text.of("The two normal forms are the same expression (up to the names of summation indices): "
                              "the claimed closed form holds for every size."))
    else:
        blocks.append(Text.of(f"General sizes: {_general_text(proof)}"))
    claim = layer.claim_of(dict(layer.variables())[verdict.name])
    key, body = claim
    lhs = Derivative(Symbol("L"), Indexed(dict(layer.variables())[verdict.name], *key) if key else
                     dict(layer.variables())[verdict.name])
    blocks.append(Equation(lhs, body, "claimed closed form"))
    exactly = "holds" if verdict.detail.startswith("probabilistic") else "holds, exactly"
    concrete = {True: exactly, False: "DOES NOT HOLD", None: "not decided"}[verdict.concrete]
    blocks.append(Text.of(f"At the sizes {_sizes(verdict.sizes)}: {concrete} ({verdict.detail})."))
    second = getattr(verdict, "second", None)
    if second is not None:  # the general verdict was not decided: a second size assignment (second_sizes)
        if second.sizes is not None and second.holds is not None:
            exactly = "holds" if second.detail.startswith("probabilistic") else "holds, exactly"
            found = {True: exactly, False: "DOES NOT HOLD"}[second.holds]
            blocks.append(Text.of(f"At the second sizes {_sizes(second.sizes)} (every size at least 2, all "
                                  f"distinct): {found} ({second.detail})."))
        else:
            blocks.append(Text.of(f"Second sizes: {second.detail}."))
    from gradproof.proofs.layer_command import summary
    blocks.append(Text.of(f"Verdict: {summary(verdict)}."))
    return Section(f"Gradient with respect to {verdict.name}", tuple(blocks))


def _general_text(proof) -> str:
    if proof.holds is False:
        return "does not hold: " + proof.reason
    return proof.reason or "not decided"


def _sizes(sizes: dict) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sizes.items())


def _numeric_section(reports) -> Section:
    unit = " of the largest gradient entry"
    lines = [Text.of(f"{r.name}: {r.method}, {r.evaluations} evaluation{'' if r.evaluations == 1 else 's'}, largest error "
                     + (f"{r.error_of_scale:.1e}{unit} (largest entry-relative error {r.max_rel_error:.1e}): "
                        f"{r.status(unit)}." if r.error_of_scale is not None and r.resolution is not None
                        else f"relative to each entry {r.max_rel_error:.1e}: {r.status()}.")) for r in reports]
    intro = Text.of("The NumPy forward and backward generated from the derived expressions, at the check sizes and "
                    "one random point, against finite differences of the forward, entry by entry; each claimed "
                    "closed form evaluated at the same point against the derived gradient; and the user's own "
                    "NumPy class, if given, against finite differences of its forward, against the derived "
                    "gradient at the same point and at points exactly on the kinks. Errors and resolutions are "
                    "fractions of the largest gradient entry.")
    return Section("Numeric checks", (intro, *lines))


def layer_document(layer, verdicts, reports) -> Document:
    """The document: the layer, one section per claimed gradient, the numeric checks."""
    sections = [_layer_section(layer)] + [_claim_section(layer, v) for v in verdicts]
    unclaimed = [name for name, v in layer.variables() if layer.claim_of(v) is None]
    if unclaimed:
        sections.append(Section("Gradients without a claim", (Text.of(
            "Derived and checked numerically, no closed form stated: " + ", ".join(unclaimed) + "."),)))
    sections.append(_numeric_section(reports))
    return Document(layer.title, tuple(sections))
