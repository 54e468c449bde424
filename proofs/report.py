"""The main job: derive, prove and check every target; write DIR/report.md and the proofs.

Each target is run once (``run_target``); its report rows and its proof document are built from that
one run. Output is staged in a temporary directory beside DIR and moved in only when complete, so DIR
never holds half-written files.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from gradproof.proofs import kron_proof
from gradproof.proofs.compile import (
    TEX_INSTALL_HINT,
    LatexError,
    compile_pdf,
    publish,
    staging_directory,
    tex_available,
)
from gradproof.proofs.document import Document, Math, Text, latex, references_resolved, render, theorem_numbers
from gradproof.proofs.results import RuleResult
from gradproof.proofs.targets import TARGETS, Target, TargetRun, run_target


@dataclass
class TargetOutcome:
    run: TargetRun
    tex: str
    pdf: str | None = None
    pdf_error: str | None = None
    document: Document | None = None
    """The proof document written from ``run`` (built again from the run when not given)."""

    target = property(lambda self: self.run.target)
    derivation = property(lambda self: self.run.derivation)
    checks = property(lambda self: list(self.run.checks))
    checks_ok = property(lambda self: self.run.checks_ok)


@dataclass
class AllOutcome:
    targets: list[TargetOutcome] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    want_pdf: bool = True

    @property
    def ok(self) -> bool:
        pdfs_ok = not self.want_pdf or all(outcome.pdf for outcome in self.targets)
        return pdfs_ok and all(outcome.run.ok for outcome in self.targets)


def _mark(ok: bool | None) -> str:
    return "not decided" if ok is None else ("yes" if ok else "**NO**")


def _cell(text: str) -> str:
    """A markdown table cell: a '|' inside the text would end the cell."""
    return str(text).replace("|", "\\|")


def _finite_differences(result) -> str:
    """The worst covering report of a rule, or why there is none."""
    if not isinstance(result, RuleResult):
        return "| n/a (an identity has no numeric rule) | | |"
    if not result.reports:
        return "| **NO** (no finite-difference case covers this rule) | | |"
    worst = max(result.reports, key=lambda report: (not report.passed, report.max_rel_error))
    cases = f"{len(result.reports)} report{'s' if len(result.reports) > 1 else ''}, worst {worst.name}"
    return (f"| {_mark(result.finite_differences_ok)} ({_cell(cases)}) | {worst.max_abs_error:.2e} "
            f"| {worst.max_rel_error:.2e} |")


def _numeric_rule(result) -> str:
    if not isinstance(result, RuleResult):
        return "n/a (identity)"
    return f"{_mark(result.numeric_ok)} ({_cell(result.verdicts.numeric.detail)})"


def _rule_rows(outcome: TargetOutcome) -> list[str]:
    rows = []
    for result in outcome.derivation.rules:
        cells = (outcome.target.name, result.name, result.seed_ref, result.concrete_text, result.general_text)
        rows.append("| " + " | ".join(_cell(cell) for cell in cells) + f" | {_numeric_rule(result)} "
                    + _finite_differences(result))
    return rows


INTRODUCTION = [
    "# gradproof report",
    "",
    "Each gradient rule of the rule table is derived from its scalar equations by the chain rule and compared",
    "exactly with its closed form (concrete sizes, every layout of the seeds), proved for general sizes in index",
    "notation where the index algebra applies, compared symbol for symbol with its numeric implementation, and",
    "cross-checked by finite differences in float64 on the numeric layers. Each identity is proved for general",
    "sizes where the index algebra applies, and checked exactly at concrete sizes (below, per target, as its",
    "proof document states them).",
    "Verdicts: holds, DOES NOT HOLD (with a counterexample), not decided / not attempted (with the reason).",
    "",
]

CHECKED_SIZES = {"kron": kron_proof.checked_sizes}
"""Target name -> the sentence of its proof document saying what was checked at which sizes, from a run (parts
with references into that document): report.md states the same sentence, read from the same run."""


def markdown(parts) -> str:
    """Paragraph parts (strings, ``Math``) as markdown: each formula as inline ``$LaTeX$``."""
    return "".join(f"${latex(part.value)}$" if isinstance(part, Math) else part for part in parts)


def _checked_sizes_lines(outcome: AllOutcome) -> list[str]:
    """Per target with identities, what was checked at which sizes: its document's sentence, its references
    numbered as in that document."""
    lines = []
    for target_outcome in outcome.targets:
        checked = CHECKED_SIZES.get(target_outcome.target.name)
        if checked is None:
            continue
        run = target_outcome.run
        document = target_outcome.document or run.target.document(run)
        sentence = references_resolved(Text.of(*checked(run)), theorem_numbers(document))
        lines.append(f"- {run.target.name} (numbers of {run.target.name}.pdf): {markdown(sentence.parts)}")
    return ["Checked at concrete sizes:", "", *lines, ""] if lines else []


def report_markdown(outcome: AllOutcome) -> str:
    """One row per rule or identity, then the composite checks, every finite-difference report, the proofs."""
    lines = INTRODUCTION + _checked_sizes_lines(outcome) + [
        "| target | rule or identity | seeds | derivation (concrete) | general sizes | numeric rule = closed form "
        "| finite differences | max abs error | max rel error |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for target_outcome in outcome.targets:
        lines += _rule_rows(target_outcome)
    lines += ["", "## Composite checks", "", "| target | check | holds | detail |", "|---|---|---|---|"]
    for target_outcome in outcome.targets:
        for label, holds, detail in target_outcome.derivation.extras:
            lines.append(f"| {target_outcome.target.name} | {_cell(label)} | {_mark(holds)} | {_cell(detail)} |")
    lines += [
        "",
        "## Finite-difference checks",
        "",
        "| target | check | method | evaluations | max abs error | max rel error | worst entry | status |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for target_outcome in outcome.targets:
        for report in target_outcome.checks:
            lines.append(f"| {target_outcome.target.name} | " + " | ".join(map(_cell, report.row())) + " |")
    lines += ["", "## Proofs", ""]
    for target_outcome in outcome.targets:
        pdf = target_outcome.pdf or f"not built: {target_outcome.pdf_error}"
        lines.append(f"- {target_outcome.target.name}: {target_outcome.tex}, PDF: {pdf}")
    lines += ["", f"Overall: {'all verified' if outcome.ok else 'FAILURES above'}", ""]
    return "\n".join(lines)


def write_run_proof(run: TargetRun, staging: Path, want_pdf: bool,
                    document: Document | None = None) -> tuple[str, str | None, str | None]:
    """Write ``<target>.tex`` for one run (its ``document``, built from the run when not given) into ``staging``
    and compile it; return (tex, pdf or None, error)."""
    tex_path = staging / f"{run.target.name}.tex"
    tex_path.write_text(render(document or run.target.document(run)), encoding="utf-8")
    if not want_pdf:
        return tex_path.name, None, "not requested"
    if not tex_available():
        return tex_path.name, None, TEX_INSTALL_HINT
    try:
        return tex_path.name, compile_pdf(tex_path).name, None
    except LatexError as error:
        return tex_path.name, None, str(error)


def write_proof(target: Target, staging: Path, sizes: dict, want_pdf: bool) -> tuple[str, str | None, str | None]:
    """``gradproof prove``: derive the target (no finite differences) and write its proof from that run."""
    return write_run_proof(run_target(target, sizes, numeric=False), staging, want_pdf)


def run_all(out: Path, *, sizes_override: dict | None = None, want_pdf: bool = True, seed: int = 0,
            progress=print) -> AllOutcome:
    """Run every target once; publish report.md and each target's .tex and .pdf into ``out``."""
    staging = staging_directory(out)
    outcome = AllOutcome(want_pdf=want_pdf)
    keep = ["report.md"]
    try:
        for target in TARGETS:
            progress(f"[{target.name}] deriving, proving and cross-checking ...")
            run = run_target(target, sizes_override, seed=seed)
            progress(f"[{target.name}] writing the proof document ...")
            document = target.document(run)
            tex, pdf, error = write_run_proof(run, staging, want_pdf, document)
            outcome.targets.append(TargetOutcome(run, tex, pdf, error, document))
            keep += [name for name in (tex, pdf) if name]
        (staging / "report.md").write_text(report_markdown(outcome), encoding="utf-8")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    outcome.files = publish(staging, out, tuple(keep))
    return outcome
