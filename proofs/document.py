"""Proof documents as data, rendered to LaTeX.

Prose is plain text and is escaped, so it cannot carry a hand-typed formula; every formula in a
document is ``sympy.latex`` of a real SymPy object (``Math`` parts, ``Equation`` and ``Chain``
blocks). Each step of a ``Chain`` names the rule that justifies it.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def escape(text: str) -> str:
    """Escape LaTeX's special characters in prose."""
    return "".join(_ESCAPES.get(char, char) for char in text)


@dataclass(frozen=True)
class Math:
    """An inline formula: a SymPy object, printed with ``sympy.latex``."""

    value: object


@dataclass(frozen=True)
class Text:
    """A paragraph: strings (escaped prose) and ``Math`` parts."""

    parts: tuple

    @classmethod
    def of(cls, *parts) -> Text:
        return cls(tuple(parts))


@dataclass(frozen=True)
class Equation:
    """A displayed equation lhs = rhs, with the rule that justifies it."""

    lhs: object
    rhs: object
    rule: str = ""


@dataclass(frozen=True)
class Aligned:
    """Several equations aligned in one display."""

    rows: tuple[Equation, ...]


@dataclass(frozen=True)
class Chain:
    """lhs = rhs_1 = rhs_2 = ..., each step with the rule that justifies it."""

    lhs: object
    steps: tuple[tuple[object, str], ...]


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


def _rule_tag(rule: str) -> str:
    return rf"&& \text{{[{escape(rule)}]}}" if rule else ""


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
    if hasattr(block, "to_latex"):  # a figure (``proofs.figures``): drawn from checked data by its own code
        return block.to_latex()
    raise TypeError(f"unknown block type {type(block).__name__}")


_PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[GEOMETRY]{geometry}
\usepackage{amsmath,amssymb}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\setcounter{MaxMatrixCols}{40}
\allowdisplaybreaks
"""

_HEADINGS = {1: "section", 2: "subsection", 3: "subsubsection"}


def render(document: Document) -> str:
    """The complete LaTeX source of ``document``."""
    body = []
    for section in document.sections:
        body.append(f"\\{_HEADINGS[section.level]}{{{escape(section.title)}}}\n")
        body.extend(_render_block(block) for block in section.blocks)
    return (
        _PREAMBLE.replace("GEOMETRY", "margin=1.8cm,landscape" if document.landscape else "margin=1.6cm")
        + f"\\title{{{escape(document.title)}}}\n\\date{{}}\n"
        + "\\begin{document}\n\\maketitle\n"
        + "\n".join(body)
        + "\\end{document}\n"
    )
