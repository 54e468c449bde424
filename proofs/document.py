"""Proof documents as data, rendered to LaTeX.

Prose is plain text and is escaped, so it cannot carry a hand-typed formula; every formula in a
document is ``sympy.latex`` of a real SymPy object (``Math`` parts, ``Equation`` and ``Chain``
blocks). Each step of a ``Chain`` names the rule that justifies it.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from sympy import Symbol
from sympy.printing.latex import LatexPrinter

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


class ProofPrinter(LatexPrinter):
    """SymPy's LaTeX printer, but derivatives always as partials with the function on top."""

    def _print_Derivative(self, expr):
        order = sum(count for _, count in expr.variable_count)
        top = r"\partial" if order == 1 else rf"\partial^{{{order}}}"
        below = " ".join(
            rf"\partial {self._print(variable)}"
            for variable, count in expr.variable_count
            for _ in range(count)
        )
        return rf"\frac{{{top} {self._print(expr.expr)}}}{{{below}}}"


def latex(value) -> str:
    """LaTeX of a SymPy object, printed by ``ProofPrinter``."""
    return ProofPrinter().doprint(value)


class Verbatim(Symbol):
    """A formula assembled from the LaTeX of SymPy objects or of the notation sheet (a shape
    N x C x n_H x n_W, an operator name), printed verbatim. It is display only: the block holding it
    carries the Source that says which check or definition it is."""

    def _latex(self, printer):
        return self.name


def escape(text: str) -> str:
    """Escape LaTeX's special characters in prose."""
    return "".join(_ESCAPES.get(char, char) for char in text)


@dataclass(frozen=True)
class Source:
    """Where a displayed formula comes from (DESIGN.md 5a: every displayed formula is a checked object).

    ``kind`` is ``"check"`` (``ref`` names a check of the same run and ``passed`` is its verdict),
    ``"seed"`` (``ref`` is "seed NNN (k)": an input equation of a lecture note) or ``"definition"``
    (``ref`` names the definition or the notation-sheet row). ``formulas_without_source`` treats a
    check that did not pass as no source at all.
    """

    kind: str
    ref: str
    passed: bool = True

    def __post_init__(self):
        if self.kind not in _SOURCE_KINDS:
            raise ValueError(f"Source kind: expected one of {sorted(_SOURCE_KINDS)}, got {self.kind!r}")
        if not self.ref:
            raise ValueError("Source ref: expected a non-empty reference, got ''")

    @property
    def valid(self) -> bool:
        return self.kind != "check" or self.passed


_SOURCE_KINDS = frozenset({"check", "seed", "definition"})


@dataclass(frozen=True)
class Math:
    """An inline formula: a SymPy object, printed with ``sympy.latex``."""

    value: object
    source: Source | None = None


@dataclass(frozen=True)
class Text:
    """A paragraph: strings (escaped prose) and ``Math`` parts."""

    parts: tuple

    @classmethod
    def of(cls, *parts) -> Text:
        return cls(tuple(parts))


PROSE = Source("definition", "a displayed formula or definition, restated in the prose")


def paragraph(split, *parts) -> Text:
    """A paragraph: each string through ``split`` (a document's own rule for which letters and numbers in its
    prose are formulas; it returns strings and ``Math``), each other part a formula restating a displayed
    one (``Math`` as given, a SymPy object with the ``PROSE`` source)."""
    out = []
    for part in parts:
        if isinstance(part, str):
            out += split(part)
        else:
            out.append(part if isinstance(part, Math) else Math(part, PROSE))
    return Text(tuple(out))


@dataclass(frozen=True)
class Equation:
    """A displayed equation lhs = rhs, with the rule that justifies it."""

    lhs: object
    rhs: object
    rule: str = ""
    source: Source | None = None


@dataclass(frozen=True)
class Aligned:
    """Several equations aligned in one display."""

    rows: tuple[Equation, ...]


@dataclass(frozen=True)
class SideBySide:
    """Short equations (a worked example's matrices, a corollary's closed forms) side by side in ONE
    centred display, each ``Equation`` with its own source."""

    rows: tuple[Equation, ...]


@dataclass(frozen=True)
class Chain:
    """lhs = rhs_1 = rhs_2 = ..., each step with the rule that justifies it."""

    lhs: object
    steps: tuple[tuple[object, str], ...]
    source: Source | None = None


@dataclass(frozen=True)
class Derivation:
    """ONE aligned display lhs = step_1 = step_2 ..., a column of justifications on the right.

    ``rows`` are ``(rhs, justification, source)``: the justification is prose ("chain rule",
    "entry (n, m) of an outer product", "trace cyclicity", ...) or a ``Text`` with ``Math`` parts
    (each with its own source), the source says which check,
    seed equation or definition the step's formula is.
    """

    lhs: object
    rows: tuple[tuple[object, str, Source | None], ...]


@dataclass(frozen=True)
class ShapeCheck:
    """One line: each factor (a SymPy object) with its (rows, cols), and the product's (rows, cols)."""

    factors: tuple[tuple[object, object, object], ...]
    result: tuple[object, object]


@dataclass(frozen=True)
class Theorem:
    """A numbered Lemma / Theorem / Definition / Example (amsthm) holding blocks, then an optional proof."""

    kind: str
    title: str
    statement: tuple
    proof: tuple = ()

    def __post_init__(self):
        if self.kind not in _THEOREM_KINDS:
            raise ValueError(f"Theorem kind: expected one of {sorted(_THEOREM_KINDS)}, got {self.kind!r}")


class Title(str):
    """A heading (a section's or a numbered block's title) with formulas in it: ``Title.of("SiLU: ", Math(S,
    source), " must be stored")``. ``render`` prints its strings escaped and its formulas as math (a matrix name
    is never set upright in a heading). It IS a string, its plain reading, by which ``ref``, ``refs`` and
    ``theorem_numbers`` name its block like any title: ``text`` ("SiLU: S must be stored"), or by default its
    parts with each formula as ``$latex$``."""

    parts: tuple

    def __new__(cls, parts, text: str | None = None):
        parts = tuple(parts)
        for part in parts:
            if not isinstance(part, (str, Math)):
                raise TypeError(f"Title part: expected a string or a Math formula, got {type(part).__name__}")
        if text is None:
            text = "".join(f"${latex(part.value)}$" if isinstance(part, Math) else part for part in parts)
        title = super().__new__(cls, text)
        title.parts = parts
        return title

    @classmethod
    def of(cls, *parts, text: str | None = None) -> Title:
        return cls(parts, text)

    def __reduce__(self):
        return Title, (self.parts, str(self))


def title_latex(title: str) -> str:
    """A heading as LaTeX: a plain title escaped, a ``Title``'s formulas as math."""
    if isinstance(title, Title):
        return "".join(f"${latex(part.value)}$" if isinstance(part, Math) else escape(part) for part in title.parts)
    return escape(title)


def _title_formulas(title: str, where: str):
    """The formulas of a ``Title``, for the provenance walker."""
    for part in getattr(title, "parts", ()):
        if isinstance(part, Math):
            yield where, latex(part.value), part.source


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple
    level: int = 1


@dataclass(frozen=True)
class Document:
    title: str
    sections: tuple[Section, ...]
    landscape: bool = True
    """Landscape pages for documents with wide matrices (conv2d's 9 x 9 examples, kron's products)."""


_THEOREM_KINDS = {"lemma": "lemma", "theorem": "theorem", "definition": "definition", "example": "example",
                  "corollary": "corollary"}


# --- references to numbered blocks ------------------------------------------------------------------

_REF = "\x00ref:{kind}:{title}\x00"
_REF_PATTERN = re.compile("\x00ref:([a-z]+):([^\x00]*)\x00")


def ref(kind: str, title: str) -> str:
    """A reference to the numbered block (``Theorem``) of this kind and title, in any prose or justification.

    ``render`` (through ``number_references``) replaces it by "Kind n", n read from the block order, so a
    reference is never typed and cannot point at the wrong block."""
    return _REF.format(kind=kind, title=title)


_REFS = "\x00refs:{kind}:{titles}\x00"
_REFS_PATTERN = re.compile("\x00refs:([a-z]+):([^\x00]*)\x00")
_PLURALS = {"lemma": "Lemmas", "theorem": "Theorems", "corollary": "Corollaries", "definition": "Definitions",
            "example": "Examples"}


def refs(kind: str, *titles: str) -> str:
    """A reference to several numbered blocks of one kind: ``render`` replaces it by "Theorems 3–5" (a run of
    consecutive numbers), "Theorems 3 and 5", "Theorems 2–4 and 7" (numbers in increasing order), or "Theorem 3"
    for one title. Each title must name a block of this kind, as for ``ref``."""
    if not titles:
        raise ValueError("refs: expected at least one title, got none")
    if len(set(titles)) != len(titles):
        raise ValueError(f"refs: expected distinct titles, got {list(titles)!r}")
    return _REFS.format(kind=kind, titles="\x01".join(titles))


def _number_of(numbers: dict, kind: str, title: str) -> int:
    if title not in numbers:
        raise ValueError(f"reference: expected the title of a numbered block, got {title!r}")
    if numbers[title][0] != kind:
        raise ValueError(f"reference to {title!r}: expected a {kind}, the block is a {numbers[title][0]}")
    return numbers[title][1]


def _runs(numbers: list[int]) -> list[str]:
    """[3, 4, 5, 7] -> ["3–5", "7"]; two consecutive numbers stay two ("3", "4")."""
    runs: list[list[int]] = []
    for number in sorted(numbers):
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    out: list[str] = []
    for run in runs:
        out += [f"{run[0]}–{run[-1]}"] if len(run) > 2 else [str(n) for n in run]
    return out


def references_resolved(value, numbers: dict):
    """``value`` (a string, a block, a document, any dataclass or tuple of them) with every ``ref`` and ``refs``
    marker replaced by "Kind n" / "Kinds m–n", numbered by ``numbers`` (``theorem_numbers`` of the document
    the references point into). A title that names no block, or a block of another kind, is an error."""

    def text(string: str) -> str:
        def one(match):
            kind, title = match.group(1), match.group(2)
            return f"{kind.capitalize()} {_number_of(numbers, kind, title)}"

        def several(match):
            kind, titles = match.group(1), match.group(2).split("\x01")
            if len(titles) == 1:
                return f"{kind.capitalize()} {_number_of(numbers, kind, titles[0])}"
            runs = _runs([_number_of(numbers, kind, title) for title in titles])
            listed = runs[0] if len(runs) == 1 else ", ".join(runs[:-1]) + " and " + runs[-1]
            return f"{_PLURALS[kind]} {listed}"

        return _REFS_PATTERN.sub(several, _REF_PATTERN.sub(one, string))

    return _map_strings(value, text)


def theorem_numbers(document: Document) -> dict:
    """title -> (kind, number), as amsthm numbers the blocks: one shared counter for theorem, lemma,
    corollary, definition and example, in block order (nested sections included)."""
    numbers: dict = {}

    def walk(blocks):
        for block in blocks:
            if isinstance(block, Section):
                walk(block.blocks)
            elif isinstance(block, Theorem):
                if block.title in numbers:
                    raise ValueError(f"numbered blocks: the title {block.title!r} is used twice; "
                                     f"expected unique titles, so that a reference names one block")
                numbers[block.title] = (block.kind, len(numbers) + 1)

    walk(document.sections)
    return numbers


def number_references(document: Document) -> Document:
    """``document`` with every ``ref(kind, title)`` replaced by "Kind n" (and every ``refs`` by "Kinds m–n"). A title that names no block, or a
    block of another kind, is an error naming both."""
    if not _has_reference(document):
        return document
    return references_resolved(document, theorem_numbers(document))


def _map_strings(value, text):
    if isinstance(value, str):
        return text(value) if "\x00" in value else value
    if isinstance(value, tuple):
        return tuple(_map_strings(v, text) for v in value)
    if isinstance(value, list):
        return [_map_strings(v, text) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _map_strings(getattr(value, f.name), text) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    return value


def _has_reference(value) -> bool:
    found = []
    _map_strings(value, lambda s: found.append(s) or s)
    return bool(found)


def displayed_formulas(document: Document):
    """Every displayed or inline formula of ``document`` as (section title, latex, source)."""

    def walk(blocks, title):
        for block in blocks:
            if isinstance(block, Text):
                for part in block.parts:
                    if isinstance(part, Math):
                        yield title, latex(part.value), part.source
            elif isinstance(block, Equation):
                yield title, f"{latex(block.lhs)} = {latex(block.rhs)}", block.source
                yield from _justification_formulas(block.rule, title)
            elif isinstance(block, (Aligned, SideBySide)):
                for row in block.rows:
                    yield title, f"{latex(row.lhs)} = {latex(row.rhs)}", row.source
                    yield from _justification_formulas(row.rule, title)
            elif isinstance(block, Chain):
                for rhs, rule in block.steps:
                    yield title, f"{latex(block.lhs)} = {latex(rhs)}", block.source
                    yield from _justification_formulas(rule, title)
            elif isinstance(block, Derivation):
                for rhs, why, source in block.rows:
                    yield title, f"{latex(block.lhs)} = {latex(rhs)}", source
                    yield from _justification_formulas(why, title)
            elif isinstance(block, Theorem):
                yield from _title_formulas(block.title, f"{title}: {block.title}")
                yield from walk(block.statement + block.proof, f"{title}: {block.title}")
            elif hasattr(block, "formulas"):  # a custom block (a figure, a row of matrices) lists its own
                for text, source in block.formulas():
                    yield title, text, source

    for section in document.sections:
        yield from _title_formulas(section.title, section.title)
        yield from walk(section.blocks, section.title)


def formulas_without_source(document: Document) -> list[tuple[str, str]]:
    """(section, latex) of each formula with no source, or whose source is a check that did not pass."""
    return [(title, text) for title, text, source in displayed_formulas(document)
            if source is None or not source.valid]


def _rule_tag(rule) -> str:
    """The justification column: plain words, or a ``Text`` whose ``Math`` parts print as formulas."""
    if not rule:
        return ""
    if isinstance(rule, Text):
        inner = "".join(latex(part.value) if isinstance(part, Math) else rf"\text{{{escape(part)}}}"
                        for part in rule.parts)
        return rf"&& [{inner}]"
    return rf"&& \text{{[{escape(rule)}]}}"


def _justification(why) -> str:
    """A derivation step's justification in text mode, in brackets: words, or a ``Text`` whose ``Math``
    parts are formulas."""
    if isinstance(why, Text):
        inner = "".join(f"${latex(part.value)}$" if isinstance(part, Math) else escape(part) for part in why.parts)
    else:
        inner = escape(why) if why else ""
    return f"[{inner}]" if inner else ""


def _justification_formulas(rule, title):
    """The formulas inside a ``Text`` justification, for the provenance walker."""
    if isinstance(rule, Text):
        for part in rule.parts:
            if isinstance(part, Math):
                yield title, latex(part.value), part.source


def _render_block(block) -> str:
    if isinstance(block, Text):
        return "".join(
            f"${latex(part.value)}$" if isinstance(part, Math) else escape(part) for part in block.parts
        ) + "\n"
    if isinstance(block, Equation):
        return (
            "\\begin{align*}\n"
            f"{latex(block.lhs)} &= {latex(block.rhs)} {_rule_tag(block.rule)}\n"
            "\\end{align*}\n"
        )
    if isinstance(block, Aligned):
        lines = [f"{latex(row.lhs)} &= {latex(row.rhs)} {_rule_tag(row.rule)}" for row in block.rows]
        return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}\n"
    if isinstance(block, Chain):
        lines = [
            f"{latex(block.lhs) if n == 0 else ''} &= {latex(rhs)} {_rule_tag(rule)}"
            for n, (rhs, rule) in enumerate(block.steps)
        ]
        return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}\n"
    if isinstance(block, Derivation):
        # justifications flush right as tags: a long step pushes its justification onto the line below
        # instead of off a portrait page
        lines = [
            f"{latex(block.lhs) if n == 0 else ''} &= {latex(rhs)} \\tag*{{{_justification(why)}}}"
            for n, (rhs, why, _) in enumerate(block.rows)
        ]
        return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}\n"
    if isinstance(block, SideBySide):
        return "\\[" + r",\qquad ".join(f"{latex(row.lhs)} = {latex(row.rhs)}" for row in block.rows) + "\\]\n"
    if isinstance(block, ShapeCheck):
        product = "".join(
            rf"\underbrace{{{latex(f)}}}_{{{latex(r)} \times {latex(c)}}}" for f, r, c in block.factors
        )
        rows, cols = block.result
        return f"Shape check: ${product}$ is ${latex(rows)} \\times {latex(cols)}$.\n\n"
    if isinstance(block, Theorem):
        env = _THEOREM_KINDS[block.kind]
        # blocks apart by a blank line, as at the top level: two Text blocks are two paragraphs
        inner = "\n".join(_render_block(b) for b in block.statement)
        # a title with formulas in braces: a ']' inside a formula would end amsthm's optional argument
        heading = f"{{{title_latex(block.title)}}}" if isinstance(block.title, Title) else title_latex(block.title)
        text = f"\\begin{{{env}}}[{heading}]\n{inner}\\end{{{env}}}\n"
        if block.proof:
            text += "\\begin{proof}\n" + "\n".join(_render_block(b) for b in block.proof) + "\\end{proof}\n"
        return text
    if hasattr(block, "to_latex"):  # a figure (``proofs.figures``): drawn from checked data by its own code
        return block.to_latex()
    raise TypeError(f"unknown block type {type(block).__name__}")


_PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[GEOMETRY]{geometry}
\usepackage{amsmath,amssymb,amsthm}
\usepackage{longtable,array}
\newtheorem{theorem}{Theorem}
\newtheorem{lemma}[theorem]{Lemma}
\newtheorem{corollary}[theorem]{Corollary}
\theoremstyle{definition}
\newtheorem{definition}[theorem]{Definition}
\newtheorem{example}[theorem]{Example}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\setcounter{MaxMatrixCols}{40}
\allowdisplaybreaks
"""

_HEADINGS = {1: "section", 2: "subsection", 3: "subsubsection"}


def render(document: Document) -> str:
    """The complete LaTeX source of ``document`` (its ``ref`` markers numbered first)."""
    document = number_references(document)
    body = []
    for section in document.sections:
        body.append(f"\\{_HEADINGS[section.level]}{{{title_latex(section.title)}}}\n")
        body.extend(_render_block(block) for block in section.blocks)
    return (
        _PREAMBLE.replace("GEOMETRY", "margin=1.8cm,landscape" if document.landscape else "margin=1.6cm")
        + f"\\title{{{escape(document.title)}}}\n\\date{{}}\n"
        + "\\begin{document}\n\\maketitle\n"
        + "\n".join(body)
        + "\\end{document}\n"
    )
