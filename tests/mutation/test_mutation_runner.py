"""The mutation runner itself, on a toy repository (a few seconds): a killed, a surviving and two
not-applicable mutants; the working tree left untouched; the import guard and a failing baseline
abort the run. The real mutation run is ``python tests/mutation/run_mutants.py`` (minutes).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from mutant_list import MUTANTS, Mutant
from mutation_engine import (
    GUARD_REFUSED,
    KILLED,
    NOT_APPLICABLE,
    SURVIVED,
    Aborted,
    Settings,
    check_guard,
    first_failure,
    make_import_root,
    run_tests,
    snapshot,
    snippet_count,
)
from run_mutants import REPO_ROOT, run_all, score_line, select

TOY_FILES = {
    "pyproject.toml": "[tool.pytest.ini_options]\ntestpaths = ['tests']\n",
    "numeric/__init__.py": "def double(x):\n    return 2 * x\n\n\ndef unused():\n    return 1\n",
    "symbolic/__init__.py": "",
    "proofs/__init__.py": "",
    "tests/test_toy.py": "from gradproof.numeric import double\n\n\ndef test_double():\n    assert double(3) == 6\n",
}
SETTINGS = Settings(first_tests=("tests",), full_tests=("tests",), ignored=(), timeout=60.0, python=sys.executable)
TOY_MUTANTS = (
    Mutant("toy.killed", "numeric/__init__.py", "return 2 * x", "return 3 * x", "double triples"),
    Mutant("toy.survives", "numeric/__init__.py", "return 1", "return 2", "a function no test calls"),
    Mutant("toy.missing", "numeric/__init__.py", "return 4 * x", "return 5 * x", "snippet absent"),
    Mutant("toy.ambiguous", "numeric/__init__.py", "return", "yield", "snippet found twice"),
)


def make_toy(root: Path, files: dict[str, str] = TOY_FILES) -> Path:
    """A git repository (untracked files only) with gradproof-shaped numeric/, symbolic/, proofs/."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def contents(root: Path) -> dict[str, str]:
    """The text of every toy file, to show the run left the tree untouched."""
    return {name: (root / name).read_text(encoding="utf-8") for name in TOY_FILES}


def test_killed_survived_and_not_applicable_mutants_leave_the_tree_untouched(tmp_path):
    """Each status once, the first failing test named, the score line, the original files unchanged."""
    toy = make_toy(tmp_path / "toy")
    before = contents(toy)
    outcomes = run_all(toy, TOY_MUTANTS, SETTINGS, jobs=2)
    assert {o.mutant.name: o.status for o in outcomes} == {
        "toy.killed": KILLED, "toy.survives": SURVIVED, "toy.missing": NOT_APPLICABLE, "toy.ambiguous": NOT_APPLICABLE}
    assert outcomes[0].detail == "tests/test_toy.py::test_double"
    assert "found 2 times" in outcomes[3].detail
    assert score_line(outcomes) == "mutation score: 1/2 killed (1 survived, 2 not applicable)"
    assert contents(toy) == before


def test_the_guard_stops_a_run_that_imports_gradproof_from_outside_the_copy(tmp_path):
    """gradproof resolved into the original tree instead of the copy: the plugin refuses, the runner aborts."""
    toy = make_toy(tmp_path / "toy")
    snapshot(toy, tmp_path / "copy")
    pypath = make_import_root(tmp_path / "elsewhere", toy)  # symlinks into the original, not the copy
    status, output = run_tests(tmp_path / "copy", pypath, SETTINGS, ("tests",))
    assert status == GUARD_REFUSED, output
    with pytest.raises(Aborted, match="not imported from the copy"):
        check_guard(status, output, tmp_path / "copy")


def test_a_failing_baseline_aborts_the_run(tmp_path):
    """A test that fails without any mutant would make every kill meaningless."""
    files = dict(TOY_FILES, **{"tests/test_broken.py": "def test_broken():\n    assert False\n"})
    toy = make_toy(tmp_path / "toy", files)
    with pytest.raises(Aborted, match="unmutated copy does not pass"):
        run_all(toy, TOY_MUTANTS[:1], SETTINGS, jobs=1)


def test_first_failure_names_the_first_failed_test_or_collection_error():
    """The short-summary parser."""
    assert first_failure("x\nFAILED tests/a.py::test_b - assert 1 == 2\nFAILED tests/c.py::d") == "tests/a.py::test_b"
    assert first_failure("ERROR tests/a.py - ImportError\n") == "error in tests/a.py"
    assert first_failure("\n1 failed\n") == "pytest: 1 failed"


def test_select_matches_globs_and_refuses_unknown_names():
    """--only takes globs; a name that matches nothing is an error, not an empty run."""
    assert [m.name for m in select(TOY_MUTANTS, ["toy.k*"])] == ["toy.killed"]
    with pytest.raises(Aborted):
        select(TOY_MUTANTS, ["no.such.mutant"])


def test_the_mutant_list_matches_this_checkout():
    """Each real mutant changes its file and applies exactly once; a stale snippet must be updated."""
    names = [m.name for m in MUTANTS]
    assert len(names) == len(set(names))
    stale = [(m.name, m.path, snippet_count(REPO_ROOT, m)) for m in MUTANTS
             if snippet_count(REPO_ROOT, m) != 1 or m.find == m.replace]
    assert not stale, f"update these snippets in tests/mutation/mutant_list.py: {stale}"
