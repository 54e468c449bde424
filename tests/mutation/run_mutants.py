"""Mutation run: apply each hand-made mutant of the gradient rules to a COPY of the repository and
show that at least one test fails for it (issue 11, item 6, "tests that bite").

    python tests/mutation/run_mutants.py [--jobs 2] [--only NAME_OR_GLOB ...] [--list] [--full]

How it works, and what it never does:

* The working tree is never written. The project's files (``git ls-files --cached --others
  --exclude-standard``, i.e. tracked and new, non-ignored files as they are on disk now) are copied
  once to a temporary snapshot; each mutant gets its own copy of that snapshot and is applied there.
* Nothing is installed in the copy. The editable install points at this checkout, so the copy gets an
  import root of its own: ``<tmp>/pypath/gradproof/`` with an ``__init__.py`` and symlinks
  ``numeric``, ``symbolic``, ``proofs`` into the copy, first (and alone) on PYTHONPATH. A pytest plugin
  (``mutation_guard.py``, loaded with ``-p``) checks inside every test run that ``gradproof.numeric``
  (and the other two) were imported from the copy and stops the run otherwise; the runner then aborts.
* Tests: ``pytest -x -q -p no:cacheprovider`` in the copy, with a per-run timeout. First the fast
  subset ``DEFAULT_TESTS`` (every test except the CLI and benchmark tests, ~20 s of the ~70 s suite);
  a mutant that survives it is run again against the whole suite, so the subset only saves time and
  never turns a kill into a survivor or back. ``--full`` uses the whole suite from the start.
* A baseline run of the unmutated copy (whole suite) runs alongside the mutants: if it fails, every
  "kill" is suspect and the run aborts. ``--deselect NODEID`` leaves out a test that is known to fail
  without any mutant (e.g. while the tree is being changed); the deselected tests are printed.
* A mutant whose snippet does not occur exactly once is "not applicable (source changed)": an error
  of the mutant list, never a kill.

Exit status: 0 if every mutant is applicable and killed; 1 if any survived, timed out or was not
applicable; 2 if the run was aborted (bad arguments, failing baseline, imports not from the copy).
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from mutant_list import MUTANTS, Mutant
from mutation_engine import (
    KILLED,
    NOT_APPLICABLE,
    SURVIVED,
    TIMEOUT,
    Aborted,
    Outcome,
    Settings,
    run_mutant,
    run_unmutated,
    snapshot,
    snippet_count,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TESTS = ("tests/numeric", "tests/symbolic", "tests/proofs", "tests/test_doctests.py")
FULL_TESTS = ("tests",)
IGNORED_TESTS = ("tests/mutation",)  # the runner's own tests do not test a gradient rule


def select(mutants: tuple[Mutant, ...], patterns: list[str] | None) -> tuple[Mutant, ...]:
    """The mutants whose name matches one of the glob ``patterns`` (all if none); unknown -> Aborted."""
    if not patterns:
        return mutants
    unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(m.name, p) for m in mutants)]
    if unmatched:
        raise Aborted(f"no mutant matches {unmatched}; see --list")
    return tuple(m for m in mutants if any(fnmatch.fnmatchcase(m.name, p) for p in patterns))


def print_list(mutants: tuple[Mutant, ...], root: Path) -> None:
    """One line per mutant: name, file, whether its snippet occurs exactly once now, description."""
    for mutant in mutants:
        count = snippet_count(root, mutant)
        state = "ok" if count == 1 else f"NOT APPLICABLE ({count} matches)"
        print(f"{mutant.name:42} {mutant.path:34} {state:8} {mutant.description}")


def run_all(root: Path, mutants: tuple[Mutant, ...], settings: Settings, jobs: int = 2,
            baseline: bool = True, progress=None) -> list[Outcome]:
    """Run every mutant (``jobs`` at a time) against a snapshot of ``root``; raise Aborted if the
    baseline fails or a run imported gradproof from outside its copy."""
    with tempfile.TemporaryDirectory(prefix="gradproof-mutants-") as scratch:
        work = Path(scratch)
        snapshot(root, work / "snapshot")
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            base = pool.submit(run_unmutated, work, settings) if baseline else None
            futures = [pool.submit(run_mutant, work, mutant, settings) for mutant in mutants]
            try:
                return collect(futures, base, progress)
            except Aborted:
                for future in futures:
                    future.cancel()  # the runs already started finish before the pool closes
                raise


def collect(futures: list[Future], base: Future | None, progress) -> list[Outcome]:
    """The outcomes in list order; the baseline's failure (Aborted) is raised as soon as it is known."""
    outcomes = []
    for future in futures:
        outcomes.append(future.result())
        if progress:
            progress(outcomes[-1])
        if base is not None and base.done():
            base.result()
    if base is not None:
        base.result()
    return outcomes


def score_line(outcomes: list[Outcome]) -> str:
    """``mutation score: K/N killed (S survived, E not applicable)``, N the applicable mutants."""
    count = {status: sum(o.status == status for o in outcomes) for status in (KILLED, SURVIVED, NOT_APPLICABLE, TIMEOUT)}
    applicable = len(outcomes) - count[NOT_APPLICABLE]
    line = (f"mutation score: {count[KILLED]}/{applicable} killed "
            f"({count[SURVIVED]} survived, {count[NOT_APPLICABLE]} not applicable)")
    return line + (f" [{count[TIMEOUT]} timed out]" if count[TIMEOUT] else "")


def table(outcomes: list[Outcome]) -> str:
    """The result table: mutant, first failing test (or SURVIVED / NOT APPLICABLE / TIMEOUT), seconds."""
    width = max([len(o.mutant.name) for o in outcomes] + [6])
    lines = [f"{'mutant':{width}}  {'seconds':>7}  result", f"{'-' * width}  -------  ------"]
    lines += [f"{o.mutant.name:{width}}  {o.seconds:7.1f}  {o.report()}" for o in outcomes]
    return "\n".join(lines)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at the same time (default 2)")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only these mutants (glob; repeatable)")
    parser.add_argument("--list", action="store_true", help="print the mutants and whether each applies, then exit")
    parser.add_argument("--full", action="store_true", help="run the whole suite for every mutant, not the subset first")
    parser.add_argument("--timeout", type=float, default=400.0, help="seconds per pytest run (default 400)")
    parser.add_argument("--deselect", action="append", default=[], metavar="NODEID",
                        help="leave out a test that fails WITHOUT any mutant (repeatable; printed with the score)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated baseline run")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="repository to copy (default: this checkout)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the mutants, print the table and the score; return the exit status."""
    args = parse_arguments(argv)
    try:
        mutants = select(MUTANTS, args.only)
        if args.list:
            print_list(mutants, args.root)
            return 0
        settings = Settings(first_tests=FULL_TESTS if args.full else DEFAULT_TESTS, full_tests=FULL_TESTS,
                            ignored=IGNORED_TESTS, timeout=args.timeout, python=sys.executable,
                            deselected=tuple(args.deselect))
        started = time.monotonic()
        outcomes = run_all(args.root, mutants, settings, args.jobs, not args.no_baseline,
                           progress=lambda o: print(f"  {o.mutant.name}: {o.report()} ({o.seconds:.1f} s)",
                                                    file=sys.stderr, flush=True))
    except Aborted as error:
        print(f"mutation run ABORTED: {error}", file=sys.stderr)
        return 2
    print(table(outcomes))
    print(f"total time: {time.monotonic() - started:.0f} s with --jobs {args.jobs}")
    for node in args.deselect:
        print(f"deselected (fails without a mutant): {node}")
    print(score_line(outcomes))
    return 0 if all(o.status == KILLED for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
