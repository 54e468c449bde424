"""Shared fixtures. In CI (CI=true) a test that needs TeX fails instead of skipping."""

import os

import pytest

from proofs.compile import TEX_INSTALL_HINT, tex_available


@pytest.fixture
def require_tex():
    if tex_available():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"TeX is required in CI: {TEX_INSTALL_HINT}")
    pytest.skip(f"TeX not installed here: {TEX_INSTALL_HINT}")
