"""The proof document of a layer description (``symbolic.layers.description.Layer``: a user's layer file or a
built-in layer), in the built-in documents' style: portrait, a notation section, the layer as a numbered
Definition, one numbered Theorem per claim proved for every size (the claimed closed form is the statement, the
general-size derivation its proof), and the numeric checks as one table.

Every displayed formula is a checked object of the same run: the layer's own scalar equations (its input), the
chain-rule sum, the differentiated sum and its normal form from the general-size proof
(``symbolic.layers.gradients.general_verdict``), the claimed closed form and its normal form. For display only,
two renamings are applied to those objects (``_Display``): a name ending in digits prints with the digits as a
superscript in parentheses (x1 as x^(1), never read as the entry x_{1i}), and the proof's generic free indices
(p_1, p_2, ...) take the claim's own index letters where no other index of the proof has that name. A claim
that is refuted or not decided is never typeset as a theorem: it is stated as a claim with its verdicts (and the
counterexample when refuted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sympy import Add, Derivative, Eq, Indexed, Mul, Pow, Sum, Symbol, sympify, true
from sympy.printing.latex import LatexPrinter

from gradproof.proofs.document import Document, Math, Section, Text, Theorem, Title, escape, latex, ref
from gradproof.symbolic.engine.indexed import NORMAL_FORM

__all__ = ["BrokenChain", "layer_document"]

LINE = 48
"""The width of a display line of a ``BrokenChain``, in characters of typeset formula (``_width``): a portrait
page in small type, the justification on the line below when it does not fit beside (``\\tag*``)."""


@dataclass(frozen=True)
class BrokenChain:
    """lhs = rhs_1 = rhs_2 = ..., as ``document.Chain`` (each step the checked SymPy object and its rule), with
    a long sum broken after whole terms onto continuation lines, in small type: the general-size derivations of
    attention are several page widths long on one line. (Its own block: ``document.py`` renders ``to_latex``.)"""

    lhs: object
    steps: tuple
    source: object = None

    def to_latex(self) -> str:
        return "{\\small\n\\begin{align*}\n" + " \\\\\n".join(self.rows()) + "\n\\end{align*}}\n"

    def rows(self) -> list[str]:
        """The display's align rows (``BrokenEquations`` stacks several chains in one display)."""
        rows, left = [], latex(self.lhs)
        if _width(self.lhs) > LINE // 2:  # a long left side (a claimed closed form) gets lines of its own
            lines = [text for text, _ in _broken(self.lhs)]
            rows = [f"& {lines[0]}"] + [rf"& \quad {line}" for line in lines[1:]]
            left = ""
        for n, (rhs, rule) in enumerate(self.steps):
            lines = [text for text, _ in _broken(rhs)]
            # the justification as a tag: flush right, or on the line below when the formula leaves no room
            tag = rf"\tag*{{[{escape(rule)}]}}" if rule else ""
            tags = [""] * (len(lines) - 1) + [tag]  # on the step's last line
            rows.append(f"{left if n == 0 else ''} &= {lines[0]} {tags[0]}".rstrip())
            rows.extend(rf"& \quad {line} {tags[k + 1]}".rstrip() for k, line in enumerate(lines[1:]))
        return rows


@dataclass(frozen=True)
class BrokenEquations:
    """Several ``BrokenChain`` equations aligned in ONE display (a layer's scalar equations)."""

    chains: tuple

    def to_latex(self) -> str:
        rows = [row for chain in self.chains for row in chain.rows()]
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


# --- display names ---------------------------------------------------------------------------------

_DIGITS = re.compile(r"^([A-Za-z]+)(\d+)$")


class _Display:
    """The renamings for display (the module docstring): ``shown(expr)`` is the checked object with each name
    ending in digits written x^(1), ``name(text)`` the same for a variable's name in prose and headings."""

    def __init__(self, layer):
        symbols = set()
        for expr in self._expressions(layer):
            symbols |= {s for s in expr.atoms(Symbol)}
        self.names = {s: Symbol(self._latex_name(s.name), **s.assumptions0) for s in symbols
                      if _DIGITS.match(s.name)}

    @staticmethod
    def _expressions(layer):
        for _, variable in layer.variables():
            yield variable.label if hasattr(variable, "label") else variable
        for mapping in (layer.outputs, layer.intermediates, layer.claims):
            for entry, body in mapping.items():
                yield entry
                yield sympify(body)
        for output, upstream in layer.upstream.items():
            yield output.label
            yield upstream.label

    @staticmethod
    def _latex_name(name: str) -> str:
        letters, digits = _DIGITS.match(name).groups()
        return f"{letters}^{{({digits})}}"

    padding_used = False

    def shown(self, expr, extra: dict | None = None):
        return self._unpadded(sympify(expr)).xreplace({**self.names, **(extra or {})})

    def _unpadded(self, expr):
        """Each zero-padded read (``description.padded``: x[i] where every index is in its range, else 0)
        written as the entry of the zero-extended tensor, x-bar[i], defined in the notation section: the
        piecewise condition of a convolution's padding is a page wide."""
        from sympy import IndexedBase, Piecewise

        from gradproof.symbolic.layers.description import padded

        def unpad(piecewise):
            if len(piecewise.args) != 2 or piecewise.args[1].cond is not true or piecewise.args[1].expr != 0:
                return piecewise
            value, condition = piecewise.args[0]
            for entry in value.atoms(Indexed):
                if entry.base.shape is None or len(entry.base.shape) != len(entry.indices):
                    continue
                read = padded(entry.base, *entry.indices)
                if isinstance(read, Piecewise) and read.args[0].cond == condition:
                    self.padding_used = True
                    bar = IndexedBase(Symbol(rf"\bar{{{latex(self.shown(entry.base.label))}}}"))
                    return value.xreplace({entry: bar[entry.indices]})
            return piecewise

        return expr.replace(lambda e: isinstance(e, Piecewise), unpad)

    def math(self, variable) -> Math:
        label = variable.label if hasattr(variable, "label") else variable
        return Math(self.shown(label))


def _free_index_names(proof, key: tuple, expressions) -> dict:
    """p_1, p_2, ... (the proof's generic free indices) -> the claim's own index letters, each only where no
    index of the displayed expressions already has that name."""
    target = proof.left_entry.variables[0] if isinstance(proof.left_entry, Derivative) else None
    generic = tuple(target.indices) if isinstance(target, Indexed) else ()
    taken = {s.name for e in expressions for s in sympify(e).atoms(Symbol)}
    rename = {}
    for p, k in zip(generic, key):
        if isinstance(p, Symbol) and isinstance(k, Symbol) and p != k and k.name not in taken:
            rename[p] = Symbol(k.name, **p.assumptions0)
            taken.add(k.name)
    return rename


# --- the sections ------------------------------------------------------------------------------------

DEFINITION = "The layer"


def _shape_math(display: _Display, variable) -> Math:
    """x \\in R^{M}, W \\in R^{K x M x N}, alpha \\in R."""
    shape = getattr(variable, "shape", None)
    label = display.shown(variable.label if hasattr(variable, "label") else variable)
    if not shape:
        return Math(_Verbatim(rf"{latex(label)} \in \mathbb{{R}}"))
    dims = r" \times ".join(latex(display.shown(d)) if not isinstance(d, Add) else
                             rf"\left({latex(display.shown(d))}\right)" for d in shape)
    return Math(_Verbatim(rf"{latex(label)} \in \mathbb{{R}}^{{{dims}}}"))


class _Verbatim(Symbol):
    """A formula assembled from the LaTeX of the layer's own objects (a shape statement), printed verbatim."""

    def _latex(self, printer):
        return self.name


def _listing(display, variables) -> list:
    """Each variable with its shape, joined "a, b and c"."""
    parts = []
    for n, variable in enumerate(variables):
        if n:
            parts.append(" and " if n == len(variables) - 1 else ", ")
        parts.append(_shape_math(display, variable))
    return parts


def _notation_section(layer, display) -> Section:
    inputs = [v for v in layer.inputs]
    blocks = [Text.of("Inputs: ", *_listing(display, inputs), ".")]
    if layer.parameters:
        blocks.append(Text.of("Parameters: ", *_listing(display, list(layer.parameters)), "."))
    outputs = [d.base for d in layer.output_definitions()]
    blocks.append(Text.of("Output" + ("s" if len(outputs) > 1 else "") + ": ", *_listing(display, outputs), "."))
    middles = [d.base for d in layer.intermediate_definitions()]
    if middles:
        blocks.append(Text.of("Intermediates (named pieces of the equations): ", *_listing(display, middles), "."))
    sizes = [Math(display.shown(s)) for s in layer.size_symbols()]
    joined = [part for n, m in enumerate(sizes) for part in ([", "] if n else []) + [m]]
    blocks.append(Text.of("Sizes: ", *joined, ", positive integers, symbols throughout: a theorem holds for every "
                          "value of them. Indices run from 1, as in the seeds; a sum ", Math(_Verbatim(
                              r"\sum_{i=1}^{N}")), " runs over ", Math(_Verbatim(r"i = 1, \dots, N")), "."))
    uppers = []
    for d in layer.output_definitions():
        G = layer.upstream_of(d.base)
        uppers += ([", "] if uppers else []) + [Math(Eq(display.shown(G[d.indices]), Derivative(
            Symbol("L"), display.shown(d.entry))))]
    first = display.math(layer.variables()[0][1]).value
    blocks.append(Text.of(Math(Symbol("L")), " is the loss and ", *uppers, " the upstream gradient, with the shape "
                          "of the output. Gradients are in denominator layout: ", Math(_Verbatim(
                              rf"\partial L / \partial {latex(first)}")), " has the shape of ", Math(first),
                          ", entry by entry."))
    if any(_DIGITS.match(name) for name, _ in layer.variables()):
        blocks.append(Text.of("A name ending in digits carries them as a superscript in parentheses: ",
                              Math(Symbol("x^{(1)}")), " is the layer's x1, and ", Math(Symbol("x^{(1)}_{i}")),
                              " its entry i."))
    if display.padding_used:
        blocks.append(Text.of("A bar marks zero padding: ", Math(_Verbatim(r"\bar{X}_{i,j}")), " is ",
                              Math(_Verbatim(r"X_{i,j}")), " where every index lies in its range (1 to the size) "
                              "and 0 elsewhere."))
    if layer.conventions:
        blocks.append(Text.of(layer.conventions))
    return Section("Notation", tuple(blocks))


def _definition(layer, display) -> Theorem:
    equations = [BrokenChain(display.shown(d.entry), ((display.shown(d.body), "intermediate"),))
                 for d in layer.intermediate_definitions()]
    equations += [BrokenChain(display.shown(d.entry), ((display.shown(d.body), "scalar equation"),))
                  for d in layer.output_definitions()]
    intro = Text.of(f"{layer.title}" + (f" ({layer.reference})" if layer.reference != "user layer" else "")
                    + ": for every entry of the output,")
    return Theorem("definition", DEFINITION, (intro, BrokenEquations(tuple(equations))))


def _verdict_words(detail: str, holds) -> str:
    exactly = "holds" if detail.startswith("probabilistic") else "holds, exactly"
    return {True: exactly, False: "DOES NOT HOLD", None: "not decided"}[holds]


def _at_sizes(display, sizes: dict) -> list:
    parts = []
    for n, (k, v) in enumerate(sizes.items()):
        parts += ([", "] if n else []) + [Math(Eq(display.shown(k), v, evaluate=False))]
    return parts


def _concrete_paragraphs(display, verdict) -> list:
    blocks = [Text.of("At ", *_at_sizes(display, verdict.sizes), ": "
                      f"{_verdict_words(verdict.detail, verdict.concrete)} ({verdict.detail}).")]
    second = getattr(verdict, "second", None)
    if second is not None:  # the general verdict was not decided: a second size assignment (second_sizes)
        if second.sizes is not None and second.holds is not None:
            blocks.append(Text.of("At the second sizes ", *_at_sizes(display, second.sizes), " (each size changed, "
                                  f"at least 2): {_verdict_words(second.detail, second.holds)} ({second.detail})."))
        else:
            blocks.append(Text.of(f"Second sizes: {second.detail}."))
    return blocks


def _claim_title(display, variable) -> Title:
    return Title.of("Gradient with respect to ", display.math(variable))


def _claim_block(layer, display, verdict):
    """A Theorem when the claim is proved for every size (statement: the claimed closed form; proof: the
    derivation, the normal forms, the exact check); otherwise a section stating the claim and its verdicts."""
    from gradproof.proofs.layer_command import summary

    variable = dict(layer.variables())[verdict.name]
    key, body = layer.claim_of(variable)
    proof = verdict.general
    shown_steps = tuple(proof.left_steps) + ((proof.left_normal, NORMAL_FORM),) if proof.holds is True else ()
    rename = _free_index_names(proof, key, [s for s, _ in shown_steps] + [proof.right_entry, proof.right_normal]) \
        if proof.holds is True else {}
    target = Indexed(variable, *key) if key else variable
    statement_eq = BrokenChain(display.shown(Derivative(Symbol("L"), target)),
                               ((display.shown(body), "claimed closed form"),))
    title = _claim_title(display, variable)
    if proof.holds is True and verdict.concrete is True:
        shown = [(display.shown(s, rename), why) for s, why in shown_steps]
        entry = display.shown(proof.left_entry.variables[0], rename) if isinstance(proof.left_entry, Derivative) \
            else None
        free = [index for index in getattr(entry, "indices", ())]
        named = [part for n, index in enumerate(free) for part in ([", "] if n else []) + [Math(index)]]
        blocks = [Text.of("For the entry ", Math(entry), " of ", display.math(variable), ", its free "
                          f"ind{'ices' if len(free) > 1 else 'ex'} ", *named, " ranging over the dimensions of ",
                          display.math(variable), ", the chain rule through the outputs (",
                          ref("definition", DEFINITION), ") gives")
                  if free else Text.of("The chain rule through the outputs (", ref("definition", DEFINITION),
                                       ") gives")]
        through = [why for _, why in proof.left_steps if why.startswith("chain rule through")]
        if through:
            names = through[0].removeprefix("chain rule through the intermediates ")
            blocks.append(Text.of(f"The entries of {names} stay symbols: the derivative of an expression is its "
                                  "partial derivative plus, for each such entry, the partial derivative with respect "
                                  "to the entry times the entry's own derivative (from its scalar equation), summed "
                                  "over the entries. An identity that holds for every value of these symbols holds "
                                  "at their values."))
        blocks.append(BrokenChain(display.shown(proof.left_entry, rename), tuple(shown)))
        blocks.append(Text.of("and the claimed closed form, written out, has the normal form"))
        blocks.append(BrokenChain(display.shown(proof.right_entry, rename),
                                  ((display.shown(proof.right_normal, rename), NORMAL_FORM),)))
        blocks.append(Text.of("The two normal forms are the same expression up to the names of their summation "
                              "indices (a normal form names them in order of appearance, so that equal expressions "
                              "print alike; the chain rule's sum over the output entries is the one whose index "
                              "starts with q), for every value of the sizes."))
        blocks += _concrete_paragraphs(display, verdict)
        return Theorem("theorem", title, (Text.of("For every value of the sizes,"), statement_eq), tuple(blocks))
    answer = summary(verdict)
    blocks = [Text.of("The layer file claims, for the layer of ", ref("definition", DEFINITION), ":"), statement_eq]
    if proof.holds is False:
        blocks.append(Text.of(f"General sizes: does not hold: {proof.reason}."))
    else:
        blocks.append(Text.of(f"General sizes: {proof.reason or 'not decided'}."))
    blocks += _concrete_paragraphs(display, verdict)
    blocks.append(Text.of(f"Answer: {answer}. This claim is not stated as a theorem: it is not proved for every "
                          "size."))
    heading = Title.of(*title.parts, " (claimed: " + ("does not hold" if verdict.holds is False else
                                                    "holds at the sizes checked, not proved for every size"
                                                    if verdict.concrete is True else "not decided") + ")")
    return Section(heading, tuple(blocks), level=2)


class NumericTable:
    """The numeric checks as one table (a block of this module: ``document.py`` renders ``to_latex``)."""

    def __init__(self, rows):
        self.rows = rows

    def to_latex(self) -> str:
        header = r"gradient & compared & method & evals & max err. & resolution & verdict \\ \hline"
        lines = [" & ".join(cells) + r" \\" for cells in self.rows]
        column = r">{\raggedright\arraybackslash}p"
        spec = "".join(f"{column}{{{w}}}" if w else "r" for w in ("1.3cm", "3.3cm", "4.6cm", "", "1.3cm", "1.5cm",
                                                                   "2.9cm"))
        return ("{\\footnotesize\n\\begin{longtable}{@{}" + spec + "@{}}\n"
                + header + "\n\\endhead\n" + "\n".join(lines) + "\n\\end{longtable}}\n")


_KINDS = {
    "generated": "generated backward vs finite differences of the generated forward",
    "generated from the derivation; the claims are verified by gradproof derive":
        "generated backward vs finite differences of the generated forward (the claims are proved in the "
        "theorems above, not evaluated numerically in this run)",
    "claim = derived, numeric": "the claimed closed form vs the derived gradient",
    "finite differences": "the class's backward vs finite differences of its forward",
    "= derived": "the class's backward vs the derived gradient",
    "= derived, at the kinks": "the class's backward vs the derived gradient, on the kinks",
}


def _numeric_row(display, layer, report) -> list[str]:
    match = re.search(r"\(([^()]*)\)$", report.name)
    kind = match.group(1) if match else ""
    variables = dict(layer.variables())
    name = report.wrt or report.name.split("d/d")[-1].split(" ")[0]
    grad = f"${latex(display.shown(variables[name].label if hasattr(variables.get(name), 'label') else variables[name]))}$" \
        if name in variables else escape(name)
    error = f"{report.error_of_scale:.1e}" if report.error_of_scale is not None else f"{report.max_rel_error:.1e}*"
    resolution = f"{report.resolution:.1e}" if report.resolution is not None else "--"
    status = report.status()
    notes = re.sub(r"could not see below [0-9.e+-]+(; )?", "", status)
    notes = notes.replace(" ()", "")
    method = re.sub(r",? at one random point \(standard normal, seed \d+\)", "", report.method)
    return [grad, escape(_KINDS.get(kind, kind)), escape(method), str(report.evaluations), error, resolution,
            escape(notes)]


def _numeric_section(layer, display, reports) -> Section:
    kinds = list(dict.fromkeys(_kind_of(r) for r in reports))
    said = [_KINDS.get(kind, kind) for kind in kinds]
    intro = Text.of("At the check sizes and one random point (standard normal entries), unless the method says "
                    "otherwise. Each row compares one gradient one way; the rows of this run: " + "; ".join(said)
                    + ". Max error and resolution are fractions of max|g|, the largest entry of the compared "
                    "gradients: an error below the resolution could not have been seen (* marks an "
                    "entry-relative error where no scale was recorded).")
    return Section("Numeric checks", (intro, NumericTable([_numeric_row(display, layer, r) for r in reports])))


def _kind_of(report) -> str:
    match = re.search(r"\(([^()]*)\)$", report.name)
    return match.group(1) if match else ""


def layer_document(layer, verdicts, reports) -> Document:
    """The document: notation, the layer (a Definition), one Theorem per claim proved for every size (the other
    claims as claims with their verdicts), the gradients without a claim, the numeric checks. Portrait."""
    display = _Display(layer)
    definition = _definition(layer, display)
    claims = [_claim_block(layer, display, v) for v in verdicts]
    theorems = [b for b in claims if isinstance(b, Theorem)]
    others = [b for b in claims if not isinstance(b, Theorem)]
    refuted = [v for v in verdicts if v.holds is False]
    unproved = [v for v, block in zip(verdicts, claims) if v.holds is not False and not isinstance(block, Theorem)]
    status = (f" Of {len(verdicts)} claim{'s' if len(verdicts) != 1 else ''}: {len(theorems)} proved for every size"
              + (f", {len(refuted)} refuted" if refuted else "") + (f", {len(unproved)} not proved for every size"
                                                                    if unproved else "") + ".")
    intro = Text.of("Each gradient is derived entry by entry from the scalar equations by the chain rule and compared "
                    "with the claimed closed form for every value of the sizes (index notation, normal forms), "
                    "exactly at the check sizes, and numerically (the last section)." + status)
    sections = [_notation_section(layer, display),
                Section("The layer and its gradients", (intro, definition, *theorems))]
    sections += others
    unclaimed = [variable for name, variable in layer.variables() if layer.claim_of(variable) is None]
    if unclaimed:
        names = [part for n, v in enumerate(unclaimed) for part in ([", "] if n else []) + [display.math(v)]]
        sections.append(Section("Gradients without a claim", (Text.of(
            "Derived and checked numerically, no closed form stated: ", *names, "."),)))
    sections.append(_numeric_section(layer, display, reports))
    return Document(layer.title, tuple(sections), landscape=False)
