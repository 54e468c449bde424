"""``gradproof verify``: a user's gradient or identity claim, read by the language's one safe parser.

Names: each operand is declared with ``--shape NAME=ROWS,COLS`` (dimension names or positive
integers), each scalar parameter with ``--scalar NAME``. Expressions (the objective or left side,
``--claim``, ``--equals``) are read by ``gradproof.symbolic.language.parse``: an allow-list over
Python's ast, never evaluated (see its docstring for the grammar). Every refusal (a construct
outside the language, a declaration that clashes, sizes missing or beyond the limits of
``symbolic.language.limits``) is ``InvalidInput``, exit status 2, naming the argument, what was
expected and what was given. Everything printed counts entries from 1.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from sympy import Rational, Symbol, sympify

from gradproof.proofs.document import Document, Equation, Section, Text
from gradproof.symbolic.claims import GradientClaim, check_gradient, finite_difference_check, prove_claim, symbols_for
from gradproof.symbolic.concrete import build_claim
from gradproof.symbolic.engine.equations import sizes_text as readable_sizes
from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.engine.identities import (
    IdentityClaim,
    Operand,
    build,
    check,
    matrix_symbols,
    prove_identity,
    sweep,
)
from gradproof.symbolic.engine.operands import dimension_names
from gradproof.symbolic.language import FUNCTIONS, parse
from gradproof.symbolic.language.limits import SWEEP_MAX_SIZE, check_limits, sizes_text


def _check_name(name: str, argument: str, given: str) -> None:
    if not name.isidentifier() or name.startswith("_") or name in FUNCTIONS:
        raise InvalidInput(f"{argument} {given!r}: expected a name (letters, digits, _; not starting with _; not a "
                           f"function: {', '.join(FUNCTIONS)}), got {name!r}")


def parse_shapes(items: Sequence[str]) -> tuple[Operand, ...]:
    """--shape NAME=ROWS,COLS items as operands; a name declared twice must have one shape."""
    shapes: dict[str, tuple[str, str]] = {}
    for item in items:
        name, _, shape = (part.strip() for part in item.partition("="))
        dims = [d.strip() for d in shape.split(",")]
        if len(dims) != 2 or not all(dims):
            raise InvalidInput(f"--shape {item!r}: expected NAME=ROWS,COLS such as W=m,n or x=n,1")
        _check_name(name, "--shape", item)
        for dim in dims:
            if not dim.isdigit():
                _check_name(dim, "--shape", item)
            elif int(dim) < 1:
                raise InvalidInput(f"--shape {item!r}: expected sizes >= 1 or dimension names, got {dim!r}")
        if shapes.get(name, tuple(dims)) != tuple(dims):
            raise InvalidInput(f"--shape declares {name!r} twice with different shapes: {','.join(shapes[name])} "
                               f"and {','.join(dims)}; expected one shape per operand")
        shapes[name] = (dims[0], dims[1])
    operands = tuple(Operand.matrix(name, rows, cols) for name, (rows, cols) in shapes.items())
    for operand in operands:
        if operand.name in _dimensions(operands):
            raise InvalidInput(f"--shape {operand.name}={','.join(shapes[operand.name])}: {operand.name!r} is also "
                               f"a dimension of an operand; expected operand names distinct from the dimensions "
                               f"({', '.join(_dimensions(operands))})")
    return operands


def _dimensions(operands) -> tuple[str, ...]:
    return dimension_names(operands)


def parse_scalars(items: Sequence[str], operands: Sequence[Operand]) -> tuple[str, ...]:
    """--scalar NAME items (each once), none named like an operand or a dimension."""
    for name in items:
        _check_name(name, "--scalar", name)
        if name in {o.name for o in operands} or name in _dimensions(operands):
            kind = "an operand" if name in {o.name for o in operands} else "a dimension"
            raise InvalidInput(f"--scalar {name}: {name!r} is already {kind} (--shape); expected a new name")
    return tuple(dict.fromkeys(items))


def check_sizes(operands: Sequence[Operand], sizes: dict | None, *, required: bool) -> None:
    """--sizes gives every dimension (when ``required`` or given at all) and nothing else."""
    dimensions = _dimensions(operands)
    if sizes is None:
        if required and dimensions:
            raise InvalidInput(f"--claim needs --sizes with every dimension ({', '.join(dimensions)}), e.g. --sizes "
                               f"{sizes_text({d: 3 for d in dimensions})}; got no --sizes")
        return
    missing = [d for d in dimensions if d not in sizes]
    unknown = [d for d in sizes if d not in dimensions]
    if missing or unknown:
        raise InvalidInput(f"--sizes {sizes_text(sizes)}: expected exactly the dimensions of the operands "
                           f"({', '.join(dimensions) or 'none'}); " + ("missing " + ", ".join(missing) if missing
                                                                      else "not a dimension: " + ", ".join(unknown)))


def parse_expression(text: str, operands: dict, dims: dict, scalars: dict, where: str = "expression"):
    """The expression over the declared names (``symbolic.language.parse``); anything else is InvalidInput."""
    return parse(text, operands, dims, scalars, where=where)


def gradient_claim(objective: str, claimed: str, operands, wrt: str, scalars) -> GradientClaim:
    """The claim d objective / d wrt = claimed; both are parsed at once, at symbolic sizes, and their
    shapes checked: a scalar (or 1x1) objective, a claim of the shape of ``wrt`` (denominator layout)."""
    if wrt not in {o.name for o in operands}:
        raise InvalidInput(f"--wrt {wrt!r}: expected a declared operand ({', '.join(o.name for o in operands)})")

    def parsed(text, where):
        return lambda o, d, s: parse(text, o, d, s, where=where)

    claim = GradientClaim("claim", tuple(operands), parsed(objective, "the objective"), wrt,
                          parsed(claimed, "--claim"), scalars=tuple(scalars))
    symbols, dims, scalar_symbols = symbols_for(claim, None)
    value, gradient = claim.objective(symbols, dims, scalar_symbols), claim.claimed(symbols, dims, scalar_symbols)
    if not _same(_shape(value), (1, 1)):
        raise InvalidInput(f"the objective {objective!r}: expected a scalar (or a 1x1 matrix), got shape "
                           f"{_shape(value)}")
    if not _same(_shape(gradient), symbols[wrt].shape):
        raise InvalidInput(f"--claim {claimed!r}: expected the shape of --wrt {wrt}, {symbols[wrt].shape} "
                           f"(gradients are in denominator layout), got {_shape(gradient)}")
    return claim


def identity_claim(lhs: str, rhs: str, operands, scalars: Sequence[str] = ()) -> IdentityClaim:
    """The claim lhs = rhs; both sides are parsed at once, at symbolic sizes, and must have one shape."""
    symbols = {name: Symbol(name) for name in scalars}

    def parsed(text, where):
        return lambda o, d: parse(text, o, d, symbols, where=where)

    claim = IdentityClaim("claim", "user claim", tuple(operands), parsed(lhs, "the left side"),
                          parsed(rhs, "--equals"))
    dims = {name: Symbol(name, integer=True, positive=True) for name in claim.dimensions()}
    matrices = matrix_symbols(claim.operands, dims)
    left, right = claim.lhs(matrices, dims), claim.rhs(matrices, dims)
    if not _same(_shape(left), _shape(right)):
        raise InvalidInput(f"--equals {rhs!r}: expected the shape of the left side {lhs!r}, {_shape(left)}, "
                           f"got {_shape(right)}")
    return claim


def _shape(value) -> tuple:
    return tuple(value.shape) if getattr(value, "is_Matrix", False) else (1, 1)


def _same(first, second) -> bool:
    return all((a - b) == 0 for a, b in zip(first, second, strict=True))


def finite_difference_lines(fd_report) -> list[str]:
    """The finite-difference comparison as a labelled table (worst entry from 1), or why there is none."""
    if fd_report is None:
        return ["finite differences: not decided: the objective is not finite at any of the random points tried"]
    cells = finite_difference_cells(fd_report)
    widths = [max(len(label), len(value)) for label, value in cells]
    return [f"finite differences at a random point ({fd_report.method}, float64):",
            "  " + "  ".join(label.ljust(w) for (label, _), w in zip(cells, widths)).rstrip(),
            "  " + "  ".join(value.ljust(w) for (_, value), w in zip(cells, widths)).rstrip()]


def finite_difference_cells(fd_report) -> list[tuple[str, str]]:
    """(label, value) pairs of a CheckReport row, its worst entry counted from 1."""
    _, _, evaluations, max_abs, max_rel, _, status = fd_report.row()
    worst = tuple(i + 1 for i in fd_report.worst_index)
    if fd_report.error_of_scale is not None and fd_report.resolution is not None:
        # error and resolution in one unit, max|g|, as check and grad print them (an "ok (could not see below
        # 1.0e-05)" beside an absolute error left the reader to guess the resolution's unit)
        return [("evaluations", evaluations), ("max error (x max|g|)", f"{fd_report.error_of_scale:.1e}"),
                ("max entry-relative error", f"{fd_report.max_rel_error:.1e}"), ("worst entry", str(worst)),
                ("status", fd_report.status(" x max|g|"))]
    return [("evaluations", evaluations), ("max abs error", max_abs), ("max rel error", max_rel),
            ("worst entry", str(worst)), ("status", status)]


def finite_difference_text(fd_report) -> str:
    """The finite-difference comparison in one line: labelled values, worst entry from 1."""
    if fd_report is None:
        return "not decided: the objective is not finite at any of the random points tried"
    return ", ".join(f"{label} {value}" for label, value in finite_difference_cells(fd_report))


def general_text(general) -> str:
    """The general-size verdict in words: holds, does not hold, or why it was not decided."""
    if general.holds is None:
        return f"not decided: {general.reason}" if not general.reason.startswith("not decided") else general.reason
    return "holds for every size" if general.holds else f"does not hold: {general.reason}"


def rational_point(left, right, known: dict | None = None, *, seed: int = 0, tries: int = 40):
    """A rational point where both sides are finite and differ: (point, left value, right value), or None.

    Every free symbol of either side gets a value (``known`` values first), so both values are
    exact numbers a reader can recompute.
    """
    left, right = sympify(left), sympify(right)
    free = sorted(left.free_symbols | right.free_symbols, key=str)
    rng = random.Random(seed)
    for attempt in range(tries):
        point = {s: Rational(rng.randint(-9, 9), rng.randint(1, 4)) for s in free}
        if attempt == 0 and known:
            point.update({s: v for s, v in known.items() if s in point})
        a, b = left.xreplace(point), right.xreplace(point)
        if a.is_finite and b.is_finite and a.is_real and b.is_real and _differ(a, b):
            return point, a, b
    return None


def _differ(a, b) -> bool:
    difference = a - b
    if difference.is_Rational:
        return difference != 0
    return abs(complex(difference.evalf(30))) > 1e-20


def point_text(left, right, known: dict | None = None, labels=("derived", "claimed")) -> str:
    """Where two differing entries take different values: the rational point and both exact values."""
    found = rational_point(left, right, known)
    if found is None:
        return "no rational point where both are finite and differ was found in 40 tries"
    return _at(*found, labels)


def _at(point: dict, left, right, labels) -> str:
    values = ", ".join(f"{name} = {value}" for name, value in point.items()) or "(no variables)"
    return f"at the rational point {values}: {labels[0]} {_value(left)}, {labels[1]} {_value(right)}"


def _value(value) -> str:
    value = sympify(value)
    return str(value) if value.is_Rational else f"{value} (~{value.evalf(12)})"


def _is_number(value) -> bool:
    return value is not None and bool(sympify(value).is_number)


def witness_text(left, right, point: dict | None, values: tuple | None, labels=("derived", "claimed")) -> str:
    """The engine's own point and values when it gives numbers at every coordinate; else one found here."""
    if point and values and all(_is_number(v) for v in values):
        return _at(point, *values, labels)
    return point_text(left, right, point, labels)


def counterexample_text(counterexample) -> str:
    """A gradient counterexample: sizes, entry (from 1), both entries, and their values at a rational point."""
    c = counterexample
    values = (c.derived_value, c.claimed_value)
    head = f"sizes {readable_sizes(c.sizes)}, entry {c.index}"
    if c.derived is c.derived_value and _is_number(c.derived):  # only values were computed, at c.point
        return f"{head}\n  " + witness_text(c.derived, c.claimed, c.point, values)
    return f"{head}: derived {c.derived}, claimed {c.claimed}\n  " + witness_text(c.derived, c.claimed, c.point,
                                                                                  values)


def mismatch_text(result) -> str:
    """An identity's first differing entry (from 1), and both sides' values at a rational point."""
    m = result.mismatch
    if m.index is None:
        return result.describe()
    point, values = getattr(m, "point", None), getattr(m, "values", None)
    if point and not values:
        values = (m.left, m.right)
    head = f"does not hold for {readable_sizes(result.sizes)}: entry {m.index}, left side {m.left}, right side {m.right}"
    return f"{head}\n  " + witness_text(m.left, m.right, point, values, ("left", "right"))


def evidence_text(result) -> str:
    """Which kind of "holds" a result is: exact, or probabilistic with its bound."""
    evidence = getattr(result, "evidence", None)
    return evidence.describe() if evidence is not None else f"exact ({getattr(result, 'method', 'SymPy cancel')})"


def identity_holds_text(results) -> str:
    """HOLDS at each size checked, with how each was decided."""
    kinds: dict[str, list] = {}
    for result in results:
        kinds.setdefault(evidence_text(result), []).append(str(result.sizes))
    if len(results) == 1:
        return f"HOLDS at {results[0].sizes}: {evidence_text(results[0])}"
    names = ", ".join(results[0].sizes)
    lines = [f"HOLDS at all {len(results)} sizes with each of {names} from 1 to {SWEEP_MAX_SIZE}:"]
    return "\n".join(lines + [f"  {how} at {len(sizes)} of them" for how, sizes in kinds.items()])


def gradient_document(verdict, fd_report, general) -> Document:
    claim = verdict.claim
    operands, dims, scalars = symbols_for(claim, None)
    blocks = [
        Text.of("Objective and claimed gradient (denominator layout), with symbolic sizes:"),
        Equation(Symbol("f"), claim.objective(operands, dims, scalars), "objective"),
        Equation(Symbol(rf"\frac{{\partial f}}{{\partial {claim.wrt}}}"), claim.claimed(operands, dims, scalars), "claim"),
    ]
    if getattr(verdict.derived, "shape", (0, 0)) != (0, 0) and verdict.derived.free_symbols:
        blocks += [
            Text.of(f"At sizes {readable_sizes(verdict.sizes)}, every entry of the objective is written out and differentiated:"),
            Equation(Symbol("derived"), verdict.derived, "SymPy, entry by entry"),
            Equation(Symbol("claimed"), verdict.claimed, "the claim evaluated"),
        ]
    if verdict.holds:
        blocks.append(Text.of(f"Verdict: the claim HOLDS at sizes {readable_sizes(verdict.sizes)}: {evidence_text(verdict)}."))
    else:
        blocks.append(Text.of("Verdict: the claim DOES NOT HOLD: "
                              + counterexample_text(verdict.counterexample).replace("\n  ", "; ") + "."))
    blocks.append(Text.of("Finite differences at a random point: " + finite_difference_text(fd_report) + "."))
    if general.holds is True:
        blocks += [Text.of("General sizes, generic entry of the derivative and of the claim, in normal form:"),
                   Equation(general.left_normal, general.right_normal, "equal: holds for every size")]
    else:
        blocks.append(Text.of("General sizes: " + general_text(general) + "."))
    return Document("gradproof: a gradient claim", (Section("The claim", tuple(blocks)),))


def identity_document(claim, results) -> Document:
    _, _, lhs, rhs = build(claim)
    general = prove_identity(claim, results)
    refuted = next((r for r in results if not r.holds), None)
    blocks = [Equation(lhs, rhs, "claim")]
    if refuted is None:
        blocks.append(Text.of(identity_holds_text(results).replace("\n  ", "; ") + "."))
    else:
        blocks.append(Text.of("DOES NOT HOLD: " + mismatch_text(refuted).replace("\n  ", "; ") + "."))
    blocks.append(Text.of("General sizes: " + general_text(general) + "."))
    return Document("gradproof: an identity claim", (Section("The claim", tuple(blocks)),))


def run_identity(claim, sizes):
    """The checks at ``sizes``, or at every size up to SWEEP_MAX_SIZE; refused first if beyond the limits."""
    largest = sizes if sizes is not None else {name: SWEEP_MAX_SIZE for name in claim.dimensions()}
    _, _, lhs, rhs = build(claim, largest)
    check_limits((lhs, rhs), largest)
    return [check(claim, sizes)] if sizes is not None else list(sweep(claim, SWEEP_MAX_SIZE).results)


def run_gradient(claim, sizes):
    """(exact verdict, finite-difference report, general verdict); refused first if beyond the limits."""
    operands, _, objective, claimed = build_claim(claim, sizes)
    check_limits((objective, claimed, *operands.values()), sizes)
    verdict = check_gradient(claim, sizes)
    return verdict, finite_difference_check(claim, sizes), prove_claim(claim, verdict)
