"""``gradproof derive|prove|check FILE.py[:Class]``: a user's layer file through the existing verbs.

A layer file is Python that defines one ``Layer`` (``gradproof.symbolic.layers.description``) at module
level and optionally a NumPy class (``FILE.py:Class``). Loading it RUNS the user's own Python, as pytest
runs a test file: it is their code, not data (the expression language of ``gradproof verify`` stays
data-only). What each verb does:

* derive: every gradient by the chain rule; each claim verified at the layer's sizes (exactly, or for a
  layer too large to write out, such as attention, at random points with its Schwartz-Zippel bound:
  ``gradients.concrete_derivation``) and, where the index algebra applies, for general sizes (three verdicts);
* check: the generated NumPy backward (and the user's class, if named) against finite differences,
  one report per input and parameter, saying which gradient and how;
* prove: the same, written as LaTeX (and PDF with --pdf) via ``proofs.layer_proof``.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path

from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.layers.description import Layer
from gradproof.symbolic.layers.generated import check_generated, check_user_class, generate
from gradproof.symbolic.layers.gradients import concrete_derivation, verify_claims
from gradproof.symbolic.layers.second_sizes import check_cost, settle, sizes_text

__all__ = ["check_file", "derive_file", "is_layer_file", "layer_sizes", "load", "print_verdicts", "prove_file",
           "run_example", "run_layer", "summary"]

VERDICT = {True: "holds", False: "DOES NOT HOLD", None: "not decided"}


def is_layer_file(text: str) -> bool:
    """FILE.py or FILE.py:Name where FILE.py exists."""
    path = text.split(":", 1)[0]
    return path.endswith(".py") and Path(path).is_file()


def load(text: str):
    """(layer, class or None) from FILE.py[:Class]; runs the file's Python (the user's own code).

    An error raised while the file runs (a SyntaxError, a NameError, SymPy's "Rank mismatch." for x[i, j]
    on a rank-1 tensor, a malformed description) is bad input: ``InvalidInput`` naming FILE.py:LINE and
    the error, never a traceback through gradproof."""
    path, _, class_name = text.partition(":")
    module_name = f"gradproof_layer_{Path(path).stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise InvalidInput(f"{path}:{error.lineno}: SyntaxError: {error.msg}; expected a Python file that "
                           "defines one Layer") from None
    except Exception as error:  # the user's own code failed: report where, in their file
        raise InvalidInput(f"{path}:{_user_line(error, path)}: {_described(error)}") from None
    layers = [value for value in vars(module).values() if isinstance(value, Layer)]
    if len(layers) != 1:
        raise InvalidInput(f"{path}: expected exactly one Layer defined at module level, got {len(layers)}")
    cls = None
    if class_name:
        cls = getattr(module, class_name, None)
        if not isinstance(cls, type):
            defined = [n for n, v in vars(module).items() if isinstance(v, type) and v.__module__ == module_name]
            raise InvalidInput(f"{path}: expected a class {class_name!r} defined in the file; classes defined: "
                               f"{defined}")
    return layers[0], cls


def _user_line(error: BaseException, path: str) -> str:
    """The line of the user's file where ``error`` was raised (the innermost frame in that file)."""
    line = "?"
    target = Path(path).resolve()
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        if Path(frame.f_code.co_filename).resolve() == target:
            line = str(lineno)
    return line


def _described(error: Exception) -> str:
    if isinstance(error, InvalidInput):
        return str(error)
    text = f"{type(error).__name__}: {error}"
    if type(error).__name__ == "IndexException" and "Rank mismatch" in str(error):
        text += " (an entry needs as many indices as its tensor has dimensions)"
    return text


def layer_sizes(layer: Layer, override: dict | None = None) -> dict:
    """The check sizes (``layer.at`` with ``override``: size name -> int), refused up front above the cost
    limit (``second_sizes.check_cost``)."""
    sizes = layer.concrete_sizes(override)
    check_cost(layer, sizes)
    return sizes


def run_layer(layer: Layer, cls=None, *, seed: int = 0, method: str | None = None, sizes: dict | None = None):
    """(claim verdicts, numeric reports) of one layer: derive, verify (a second size assignment where the general
    verdict is not decided), generate, check."""
    gradients = concrete_derivation(layer, layer_sizes(layer, sizes))
    verdicts = settle(layer, verify_claims(layer, gradients, seed=seed), seed=seed)
    generated = generate(layer, gradients)
    reports = check_generated(generated, seed=seed, method=method)
    if cls is not None:
        reports += check_user_class(generated, cls, seed=seed, method=method or "central")
    return verdicts, reports


def _general_text(proof) -> str:
    if proof.holds is True:
        from gradproof.symbolic.layers.gradients import SAME_CASES
        if SAME_CASES in (proof.rules or ()):
            return "holds (index notation: normal forms agree once their case splits are folded into one)"
        return "holds (index notation: normal forms agree)"
    return proof.reason


def _exact(verdict) -> bool:
    """The check at these sizes wrote every entry out (exact); the program route (``route`` "program") and a
    probabilistic detail are labelled "at these sizes", whatever the verdict (attack3 4e)."""
    return getattr(verdict, "route", "written out") == "written out" and not verdict.detail.startswith("probabilistic")


def summary(verdict) -> str:
    """The one-line answer for a claim: what holds where, and what is not decided."""
    at = sizes_text(verdict.sizes)
    second = getattr(verdict, "second", None)
    if verdict.holds is False:
        where = second.sizes if second is not None and second.holds is False else verdict.sizes
        return f"DOES NOT HOLD (counterexample at sizes {sizes_text(where)})"
    if verdict.general.holds is True and verdict.concrete is True:
        return "holds for every size"
    if second is not None and second.holds is True:
        first = "exactly " if _exact(verdict) else ""
        then = "at" if _exact(second) and _exact(verdict) else "exactly at" if _exact(second) else \
            "with probability (Schwartz-Zippel, bound above) at"
        return f"holds {first}at sizes {at} and {then} sizes {sizes_text(second.sizes)}; general sizes not decided"
    if verdict.concrete is True:
        why = f" ({second.detail})" if second is not None else ""
        return f"NOT DECIDED: holds at sizes {at} only; general sizes not decided{why}"
    return "NOT DECIDED"


def print_verdicts(layer: Layer, verdicts, *, seed: int = 0) -> bool:
    """Print one block per gradient; True only when every claim holds for every size or exactly at two size
    assignments (``second_sizes``); a claim refuted or not decided gives False (exit 1)."""
    verdicts = settle(layer, verdicts, seed=seed)
    shown = verdicts[0].sizes if verdicts else layer.concrete_sizes()
    print(f"layer {layer.name}: sizes {', '.join(f'{k}={v}' for k, v in shown.items())}")
    claimed = {v.name for v in verdicts}
    for verdict in verdicts:
        print(f"dL/d{verdict.name}:")
        label = "exact at these sizes" if _exact(verdict) else "at these sizes"
        print(f"  {label}: {VERDICT[verdict.concrete]} ({verdict.detail})")
        if verdict.second is not None and verdict.second.sizes is not None and verdict.second.holds is not None:
            label = "exact at" if _exact(verdict.second) else "at"
            print(f"  {label} second sizes {sizes_text(verdict.second.sizes)}: {VERDICT[verdict.second.holds]} "
                  f"({verdict.second.detail})")
        print(f"  general sizes: {_general_text(verdict.general)}")
        print(f"  answer: {summary(verdict)}")
    for name, _ in layer.variables():
        if name not in claimed:
            print(f"dL/d{name}: derived (chain rule), no closed form claimed")
    return all(v.holds is True for v in verdicts)


def report_line(report) -> str:
    """One check as a line; its error and its resolution in the same unit, max|g| (the largest entry of the
    compared gradients), with the per-entry relative error beside it: "max error 1.0e-09 x max|g| (largest
    entry-relative error 1.0e-09): ok (could not see below 2.0e-10 x max|g|)" cannot be read as passing an
    error above what the check can see."""
    cells = report.row()
    evaluations = f"{cells[2]} evaluation{'' if report.evaluations == 1 else 's'}"
    error = report.error_of_scale
    if error is None or report.resolution is None:
        return f"  {cells[0]}: {cells[1]}, {evaluations}, max rel {cells[4]}: {cells[6]}"
    return (f"  {cells[0]}: {cells[1]}, {evaluations}, max error {error:.1e} x max|g| (largest "
            f"entry-relative error {report.max_rel_error:.1e}): {report.status(' x max|g|')}")


def print_reports(reports) -> bool:
    for report in reports:
        print(report_line(report))
    return all(report.passed for report in reports)


def derive_file(text: str, seed: int = 0, sizes: dict | None = None) -> bool:
    """Derive and verify FILE.py's claims (at its sizes ``at``, with ``sizes``: name -> int applied)."""
    layer, _ = load(text)
    verdicts = verify_claims(layer, concrete_derivation(layer, layer_sizes(layer, sizes)), seed=seed)
    return print_verdicts(layer, verdicts, seed=seed)


def check_file(text: str, seed: int = 0, method: str | None = None, sizes: dict | None = None) -> bool:
    if seed < 0:
        raise InvalidInput(f"--seed: expected an integer >= 0, got {seed}")
    layer, cls = load(text)
    _, reports = run_layer(layer, cls, seed=seed, method=method, sizes=sizes)
    print(check_header(layer, cls, reports, seed, layer_sizes(layer, sizes)))
    return print_reports(reports)


ROW_KINDS = (
    ("(generated", "the NumPy forward and backward generated from the derivation; backward vs finite differences "
                   "of that forward"),
    ("(claim = derived, numeric)", "each claimed closed form evaluated at the same point vs the derived gradient "
                                   "(gradproof derive proves the claims)"),
    ("(claim = derived, at the kinks)", "the same at points exactly on the kinks (x = 0 of a relu, a tie of a "
                                        "max), where a random point never lies"),
    ("(finite differences)", "{cls}.backward vs finite differences of {cls}.forward"),
    ("(= derived)", "{cls}.backward vs the derived gradient at the same point"),
    ("(= generated forward)", "{cls}.forward vs the generated forward at the same point"),
    ("(= derived, at the kinks)", "{cls}.backward vs the derived gradient at points exactly on the kinks (x = 0 "
                                  "of a relu, a tie of a max), where a random point never lies"),
)


def check_header(layer: Layer, cls, reports, seed: int, sizes: dict) -> str:
    """What ``check FILE.py`` compared: the sizes, the point, the unit, and one line per kind of row present."""
    lines = [f"layer {layer.name}: numeric checks at sizes {sizes_text(sizes)}, one per input and parameter, "
             f"at one random point (standard normal, seed {seed}) unless a row says otherwise; errors and "
             "resolutions in units of max|g|, the largest entry of the compared gradients"]
    names = [r.name for r in reports]
    for marker, text in ROW_KINDS:
        if any(marker in name for name in names):
            lines.append(f"  rows {marker if marker.endswith(')') else marker + ')'}: "
                         f"{text.format(cls=cls.__name__ if cls else 'the class')}")
    if any("float32" in r.method for r in reports):
        lines.append(f"  {cls.__name__} computes in float32: its rows are compared at float32 rounding (64 eps32 "
                     "= 7.6e-06 relative), without finite differences")
    return "\n".join(lines)


def prove_file(text: str, out: Path, pdf: bool, write_document, seed: int = 0, sizes: dict | None = None) -> bool:
    """Derive, verify, check and write ``<layer name>.tex`` (and .pdf) into ``out``."""
    from gradproof.proofs.layer_proof import layer_document

    layer, cls = load(text)
    verdicts, reports = run_layer(layer, cls, seed=seed, sizes=sizes)
    ok = print_verdicts(layer, verdicts)
    ok = print_reports(reports) and ok
    for path in write_document(layer_document(layer, verdicts, reports), out, layer.name, pdf):
        print(f"wrote {path}")
    sys.stdout.flush()
    return ok


def run_example(layer: Layer, cls=None, out: Path | str = "examples-out", pdf: bool = True) -> bool:
    """What an example script does when run: derive, verify, check and write OUT/<name>.tex and .pdf."""
    from gradproof.proofs.cli import write_document
    from gradproof.proofs.layer_proof import layer_document

    verdicts, reports = run_layer(layer, cls)
    ok = print_verdicts(layer, verdicts)
    ok = print_reports(reports) and ok
    for path in write_document(layer_document(layer, verdicts, reports), Path(out), layer.name, pdf):
        print(f"wrote {path}")
    return ok
