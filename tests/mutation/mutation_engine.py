"""The machinery of the mutation run: snapshot the repository, apply one mutant to a copy, make
``gradproof`` importable from that copy only, run pytest there and classify the result.

Nothing here writes outside the temporary directory it is given; the repository is only read.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from mutant_list import Mutant

PACKAGES = ("numeric", "symbolic", "proofs")
GUARD_MODULE = "mutation_guard"
GUARD_MARKER = "mutation-guard: gradproof imported from "
GUARD_REFUSED = 97  # mutation_guard's exit status when gradproof comes from outside the copy
KILLED, SURVIVED, NOT_APPLICABLE, TIMEOUT = "killed", "survived", "not applicable", "timeout"


class Aborted(Exception):
    """The run cannot be judged: a failing baseline, gradproof imported from outside the copy, bad input."""


@dataclass(frozen=True)
class Settings:
    """How each mutant is tested: ``first_tests`` first; on survival ``full_tests`` (if different)."""

    first_tests: tuple[str, ...]
    full_tests: tuple[str, ...]
    ignored: tuple[str, ...]
    timeout: float
    python: str
    deselected: tuple[str, ...] = ()  # node ids of tests known to fail without any mutant


@dataclass(frozen=True)
class Outcome:
    """What happened to one mutant: status, the first failing test (or the reason) and the time taken."""

    mutant: Mutant
    status: str
    detail: str
    seconds: float

    def report(self) -> str:
        """The table's result column."""
        if self.status == KILLED:
            return f"killed by {self.detail}"
        return f"{self.status.upper()} ({self.detail})" if self.detail else self.status.upper()


def project_files(root: Path) -> list[str]:
    """Tracked and untracked, non-ignored files of the repository as they are on disk (deleted ones skipped)."""
    listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=root, capture_output=True, check=True).stdout.decode()
    return sorted({name for name in listing.split("\0") if name and (root / name).is_file()})


def snapshot(root: Path, destination: Path) -> None:
    """Copy the project's files from ``root`` to ``destination`` (read-only use of ``root``)."""
    for name in project_files(root):
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)


def snippet_count(root: Path, mutant: Mutant) -> int:
    """How often the mutant's snippet occurs in its file under ``root`` (0 if the file is gone)."""
    path = root / mutant.path
    return path.read_text(encoding="utf-8").count(mutant.find) if path.is_file() else 0


def apply_mutant(copy_root: Path, mutant: Mutant) -> str | None:
    """Apply ``mutant`` in the copy; return None, or why it is not applicable."""
    count = snippet_count(copy_root, mutant)
    if count != 1:
        return f"source changed: snippet found {count} times in {mutant.path}"
    path = copy_root / mutant.path
    mutated = path.read_text(encoding="utf-8").replace(mutant.find, mutant.replace)
    path.write_text(mutated, encoding="utf-8")
    if path.read_text(encoding="utf-8") != mutated:
        raise Aborted(f"{mutant.name}: could not write the mutated {path}")
    return None


def make_import_root(work: Path, copy_root: Path) -> Path:
    """``work/pypath`` holding ``gradproof/`` (a regular package: found before the editable finder)
    with symlinks to the copy's numeric/, symbolic/ and proofs/, and the guard plugin."""
    pypath = work / "pypath"
    package = pypath / "gradproof"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""gradproof, imported from a mutation copy."""\n', encoding="utf-8")
    for name in PACKAGES:
        (package / name).symlink_to(copy_root / name, target_is_directory=True)
    shutil.copy2(Path(__file__).with_name(f"{GUARD_MODULE}.py"), pypath / f"{GUARD_MODULE}.py")
    return pypath


def pytest_command(settings: Settings, tests: tuple[str, ...]) -> list[str]:
    """pytest, stopping at the first failure, with the guard plugin and no cache."""
    skips = [f"--ignore={path}" for path in settings.ignored] + [f"--deselect={n}" for n in settings.deselected]
    return [settings.python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", GUARD_MODULE,
            *skips, *tests]


def subprocess_environment(copy_root: Path, pypath: Path) -> dict[str, str]:
    """The current environment with the copy's import root as the only PYTHONPATH entry."""
    env = dict(os.environ)
    env.update(PYTHONPATH=str(pypath), MUTATION_COPY_ROOT=str(copy_root.resolve()), PYTHONDONTWRITEBYTECODE="1")
    return env


def run_tests(copy_root: Path, pypath: Path, settings: Settings, tests: tuple[str, ...]) -> tuple[int | None, str]:
    """Run pytest in the copy; return (exit status or None on timeout, combined output).

    The tests run in their own process group, killed whole on timeout (the CLI tests start children).
    """
    process = subprocess.Popen(pytest_command(settings, tests), cwd=copy_root, env=subprocess_environment(copy_root, pypath),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=settings.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return None, output
    return process.returncode, output


def check_guard(status: int | None, output: str, copy_root: Path) -> None:
    """Abort unless the guard plugin ran and saw gradproof imported from ``copy_root``."""
    if status is None:
        return  # timed out; the output may be cut before the marker
    marker = next((line for line in output.splitlines() if line.startswith(GUARD_MARKER)), None)
    inside = marker is not None and Path(marker[len(GUARD_MARKER):].strip()).is_relative_to(copy_root.resolve())
    if status == GUARD_REFUSED or not inside:
        raise Aborted(f"gradproof was not imported from the copy {copy_root}:\n{output[-2000:]}")


def first_failure(output: str) -> str:
    """The first failing test (or collection error) named in pytest's short summary, else the last line."""
    for line in output.splitlines():
        found = re.match(r"(FAILED|ERROR) (\S+)", line)
        if found:
            return found.group(2) if found.group(1) == "FAILED" else f"error in {found.group(2)}"
    lines = [line for line in output.splitlines() if line.strip()]
    return f"pytest: {lines[-1]}" if lines else "pytest failed without output"


def verdict(status: int | None, output: str, settings: Settings) -> tuple[str, str]:
    """(status, detail) of one pytest run of a mutant."""
    if status is None:
        return TIMEOUT, f"no result within {settings.timeout:.0f} s"
    if status == 0:
        return SURVIVED, "every test passed"
    if status in (1, 2):  # 1: a test failed; 2: collection failed (e.g. the mutant breaks an import)
        return KILLED, first_failure(output)
    raise Aborted(f"pytest exited with status {status}:\n{output[-2000:]}")


def prepare_copy(work: Path, label: str) -> tuple[Path, Path]:
    """A fresh copy of ``work/snapshot`` and its import root, under ``work/label``."""
    copy_root = work / label / "repo"
    shutil.copytree(work / "snapshot", copy_root, symlinks=True)
    return copy_root, make_import_root(work / label, copy_root)


def judged_run(copy_root: Path, pypath: Path, settings: Settings, tests: tuple[str, ...]) -> tuple[str, str]:
    """Run ``tests`` in the copy, check the guard, and classify."""
    status, output = run_tests(copy_root, pypath, settings, tests)
    check_guard(status, output, copy_root)
    return verdict(status, output, settings)


def run_mutant(work: Path, mutant: Mutant, settings: Settings) -> Outcome:
    """Copy, mutate, test: the subset first, then (if it survives) the full suite."""
    started = time.monotonic()
    copy_root, pypath = prepare_copy(work, f"mutant-{mutant.name}")
    reason = apply_mutant(copy_root, mutant)
    if reason is not None:
        return Outcome(mutant, NOT_APPLICABLE, reason, time.monotonic() - started)
    first = mutant.tests or settings.first_tests
    status, detail = judged_run(copy_root, pypath, settings, first)
    if status == SURVIVED and first != settings.full_tests:
        status, detail = judged_run(copy_root, pypath, settings, settings.full_tests)
        detail = f"{detail} (full suite)" if status == KILLED else f"{detail}, full suite included"
    shutil.rmtree(work / f"mutant-{mutant.name}", ignore_errors=True)
    return Outcome(mutant, status, detail, time.monotonic() - started)


def run_unmutated(work: Path, settings: Settings) -> None:
    """The baseline: the unmutated copy must pass the full suite, else no kill means anything."""
    copy_root, pypath = prepare_copy(work, "baseline")
    status, detail = judged_run(copy_root, pypath, settings, settings.full_tests)
    if status != SURVIVED:
        raise Aborted(f"the unmutated copy does not pass the tests ({status}: {detail})")
