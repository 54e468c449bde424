"""Shared fixtures. In CI (CI=true) a test that needs TeX fails instead of skipping."""

import os

import pytest

from gradproof.proofs.compile import TEX_INSTALL_HINT, tex_available


@pytest.fixture
def require_tex():
    if tex_available():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"TeX is required in CI: {TEX_INSTALL_HINT}")
    pytest.skip(f"TeX not installed here: {TEX_INSTALL_HINT}")


@pytest.fixture
def torch_module():
    """PyTorch, the outside oracle. In CI (CI=true) its absence is a failure, not a skip."""
    try:
        import torch
    except ImportError:
        hint = "pip install 'gradproof[torch]' (torch==2.13.0, the CPU build on this machine)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"PyTorch is required in CI: {hint}")
        pytest.skip(f"PyTorch not installed here: {hint}")
    return torch
