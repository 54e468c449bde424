"""report.md: every table row has as many cells as its header (a '|' inside a cell is escaped), and a
rule's numeric check appears on its own row, taken from the same run."""

from __future__ import annotations

import re

from gradproof.proofs.report import AllOutcome, TargetOutcome, report_markdown
from gradproof.proofs.targets import run_target, target_named


def _cells(line: str) -> int:
    return len(re.split(r"(?<!\\)\|", line.strip().strip("|")))


def test_every_table_row_has_the_header_s_cells():
    runs = [run_target(target_named("fc")), run_target(target_named("network"))]
    outcome = AllOutcome([TargetOutcome(run, f"{run.target.name}.tex") for run in runs], want_pdf=False)
    text = report_markdown(outcome)
    assert "SGD step: (f - f_new)/mu vs \\|df/dtheta\\|^2" in text  # a '|' in a report name, escaped
    header = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        if header is None:
            header = _cells(line)
        assert _cells(line) == header, line
    assert "Overall: all verified" in text


def test_a_rule_row_carries_its_own_finite_difference_report():
    run = run_target(target_named("fc"))
    outcome = AllOutcome([TargetOutcome(run, "fc.tex")], want_pdf=False)
    row = next(line for line in report_markdown(outcome).splitlines() if line.startswith("| fc | linear.weight |"))
    weight = run.rule("linear.weight").reports[0]
    assert f"worst {weight.name}" in row and f"{weight.max_abs_error:.2e}" in row
