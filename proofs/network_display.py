"""Display helpers of network.pdf (``proofs.network_proof``, ``proofs.network_seed002``): prose with the
notation's symbols as inline math, sources of checks, and ``DisplayRow``, several sourced equations side by
side in one centred display (a worked example's matrices)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sympy import (
    ImmutableMatrix,
    Symbol,
)

from gradproof.proofs.document import (
    Math,
    Source,
    Text,
    latex,
    paragraph,
)

NOTATION = Source("definition", "notation sheet")


class Printed(Symbol):
    """A formula assembled from the LaTeX of SymPy objects, printed verbatim."""

    def _latex(self, printer):
        return self.name


SYMBOLS = {"σ'": r"\sigma'", "λ": r"\lambda", "σ": r"\sigma", "θ": r"\theta", "ξ_i": r"\xi_i", "ξ": r"\xi", "ρ": r"\rho",
            "α": r"\alpha", "β": r"\beta", "P_pool^T": r"P_{\mathrm{pool}}^{T}", "P_pool": r"P_{\mathrm{pool}}",
            "D_out": r"D_{\mathrm{out}}", "D_in": r"D_{\mathrm{in}}", "K_h": "K_h", "K_w": "K_w", "n_H": "n_H",
            "n_W": "n_W", "W^T": "W^{T}", "dL/dZ": r"\partial L/\partial Z", "G = dL/dZ": r"G = \partial L/\partial Z",
            "g = dL/dy": r"g = \partial L/\partial y",
            "dL/dvec(Z)": r"\partial L/\partial \operatorname{vec}(Z)", "z_k": "z_k", "y_i": "y_i", "x = vec(A)": r"x = \operatorname{vec}(A)", "y = vec(Z)": r"y = \operatorname{vec}(Z)",
            "Q = P_pool": r"Q = P_{\mathrm{pool}}",
            "sel(k)": r"\operatorname{sel}(k)", "I[z]": r"\mathbb{I}[z]", "I[Z]": r"\mathbb{I}[Z]", "h(σ)": r"h(\sigma)",
            "h(z)": "h(z)", "1/(K_h K_w)": r"1/(K_h K_w)", "mat(P_pool^T vec(G))": r"\operatorname{mat}(P_{\mathrm{pool}}^{T} \operatorname{vec}(G))",
            "vec(A)": r"\operatorname{vec}(A)", "relu(S)": r"\operatorname{relu}(S)", "A = σ(S)": r"A = \sigma(S)", "vec(Z)": r"\operatorname{vec}(Z)", "vec(S)": r"\operatorname{vec}(S)"}
# a size or value in the prose: "N = 2", "P = 0", "4 × 4", "1 × 2 × 3 × 2"
NUMBERS = r"\b[A-Za-z] = -?\d+\b|\b\d+(?: × \d+)+\b"
SYMBOL_SPLIT = re.compile("(" + NUMBERS + "|" + "|".join(re.escape(key) for key in sorted(SYMBOLS, key=len, reverse=True))
                          + ")")
NUMBER = re.compile(NUMBERS)


def prose(text: str) -> list:
    """Plain text with each Greek letter and subscripted name (P_pool, D_out, ...) and each size or value
    ("N = 2", "4 × 4") as an inline formula of the notation (the rest is escaped, not typeset as math)."""
    def piece_of(piece):
        if piece in SYMBOLS:
            return Math(Printed(SYMBOLS[piece]), NOTATION)
        if NUMBER.fullmatch(piece):
            return Math(Printed(piece.replace("×", r"\times")), NOTATION)
        return piece
    return [piece_of(piece) for piece in SYMBOL_SPLIT.split(text) if piece]


def para(*parts) -> Text:
    """A paragraph whose non-string parts are formulas restating displayed ones or the notation."""
    return paragraph(prose, *parts)


def verdict(holds) -> str:
    return "holds" if holds else "FAILS"


def d_of(name: str) -> Symbol:
    return Printed(rf"\frac{{\partial L}}{{\partial {name}}}")


def checked(ref: str, passed: bool) -> Source:
    return Source("check", ref, bool(passed))


def derivation_rows(proof, source):
    """The proof's rows with each justification as prose whose symbols are set as formulas."""
    return tuple((rhs, para(why), source) for rhs, why in proof.rows)


def instances_text(proof) -> str:
    return "; ".join(f"{where}: {verdict(equal)}" for where, equal in proof.instances)


@dataclass(frozen=True)
class DisplayRow:
    """Several displayed equations name = value side by side in ONE centred display (a worked example's
    matrices), each with its own source. ``formulas()`` lists them as the provenance walker of
    ``proofs.document`` lists an Equation's (tests/proofs/test_network_handout.py walks them)."""

    items: tuple

    def formulas(self):
        return [(f"{name} = {latex(value)}", source) for name, value, source in self.items]

    def to_latex(self) -> str:
        return ("\\[" + r",\qquad ".join(f"{name} = {latex(value)}" for name, value, _ in self.items) + "\\]\n")


def display_row(*items) -> DisplayRow:
    return DisplayRow(tuple((name, ImmutableMatrix(value), source) for name, value, source in items))


REF = re.compile(r"\[\[ref:([a-z-]+)\]\]")


def ref(key: str) -> str:
    """A placeholder for "Kind n" of a numbered block, filled by ``numbered`` from the block order."""
    return f"[[ref:{key}]]"


def numbered(document, titles: dict):
    """``document`` with each ``ref(key)`` replaced by "Kind n" of the Theorem block titled ``titles[key]``,
    numbered as document.py's amsthm environments are: one shared counter for lemma, theorem, corollary,
    definition and example, in the order of the blocks."""
    import dataclasses

    from gradproof.proofs.document import Section, Theorem

    numbers: dict = {}
    counter = 0

    def count(blocks):
        nonlocal counter
        for block in blocks:
            if isinstance(block, Section):
                count(block.blocks)
            elif isinstance(block, Theorem):
                counter += 1
                numbers.setdefault(block.title, f"{block.kind.capitalize()} {counter}")

    count(section for section in document.sections)

    def name(match):
        key = match.group(1)
        if key not in titles or titles[key] not in numbers:
            raise ValueError(f"numbered: reference {key!r}: expected a block titled {titles.get(key)!r}, "
                             f"got the titles {sorted(numbers)}")
        return numbers[titles[key]]

    def fill(obj):
        if isinstance(obj, str):
            return REF.sub(name, obj)
        if isinstance(obj, tuple):
            return tuple(fill(item) for item in obj)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return dataclasses.replace(obj, **{f.name: fill(getattr(obj, f.name))
                                               for f in dataclasses.fields(obj) if f.init})
        return obj

    return fill(document)
