"""pytest plugin of the mutation run (loaded with ``-p mutation_guard``): before any test runs, check
that ``gradproof.numeric``, ``gradproof.symbolic`` and ``gradproof.proofs`` are imported from the
mutated copy named by ``MUTATION_COPY_ROOT``, print where they came from, and stop the run with exit
status 97 otherwise (the editable install points at the working tree, which must never be tested
in place of the mutant).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

MARKER = "mutation-guard: gradproof imported from "
REFUSED = 97


def outside_copy(copy_root: Path) -> list[str]:
    """The gradproof subpackages whose files are not inside ``copy_root`` (symlinks resolved)."""
    strays = []
    for name in ("gradproof.numeric", "gradproof.symbolic", "gradproof.proofs"):
        where = Path(importlib.import_module(name).__file__).resolve()
        if not where.is_relative_to(copy_root):
            strays.append(f"{name} from {where}")
    return strays


def pytest_configure(config):
    """Stop the session before collection unless gradproof comes from the copy."""
    root = os.environ.get("MUTATION_COPY_ROOT")
    if not root:
        pytest.exit("mutation-guard: MUTATION_COPY_ROOT is not set", returncode=REFUSED)
    copy_root = Path(root).resolve()
    strays = outside_copy(copy_root)
    if strays:
        pytest.exit(f"mutation-guard: not from the copy {copy_root}: {strays}", returncode=REFUSED)
    numeric_init = Path(importlib.import_module("gradproof.numeric").__file__).resolve()
    print(f"{MARKER}{numeric_init.parent.parent}", flush=True)
