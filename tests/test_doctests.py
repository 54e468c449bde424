"""Every docstring example in gradproof runs and gives the output it shows.

The modules are imported under their installed names (``gradproof.symbolic.engine.indexed``, ...), so
an example runs against the same code a user imports. Collected by pytest like any other test.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import gradproof.numeric
import gradproof.proofs
import gradproof.symbolic

PACKAGES = (gradproof.numeric, gradproof.symbolic, gradproof.proofs)


def _module_names() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package.__name__)
        names += [info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
    return sorted(names)


MODULES_WITH_EXAMPLES = [
    name for name in _module_names()
    if doctest.DocTestFinder().find(importlib.import_module(name)) and any(
        test.examples for test in doctest.DocTestFinder().find(importlib.import_module(name)))
]


def test_the_examples_are_found():
    """A change that hides the examples from the finder (e.g. a renamed package) must not pass silently."""
    assert len(MODULES_WITH_EXAMPLES) >= 5, MODULES_WITH_EXAMPLES


@pytest.mark.parametrize("name", MODULES_WITH_EXAMPLES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (output above)"
