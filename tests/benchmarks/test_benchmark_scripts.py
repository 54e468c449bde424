"""The benchmark scripts run end to end (one short round each) and print their figures.

They are not timing tests: nothing here compares a time with a limit. They guard the scripts
against breaking unnoticed, since nothing else imports them.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_script(name, *arguments):
    completed = subprocess.run([sys.executable, str(ROOT / "benchmarks" / name), *arguments],
                               check=False, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_numeric_conv_benchmark_prints_every_configuration():
    output = run_script("numeric_conv.py", "--repeats", "1", "--rounds", "1")
    lines = [line for line in output.splitlines() if "batch 64" in line]
    assert len(lines) == 4, output
    assert all("three GEMMs alone" in line and "of GEMM peak" in line for line in lines), output
    if "ratio" in output:  # torch installed: every line has its ratio and verdict
        assert all("ratio" in line and "target" in line for line in lines), output


def test_symbolic_conv_benchmark_prints_its_ratio():
    output = run_script("symbolic_conv.py", "--repeats", "1")
    assert "ratio plain / gradproof at n = 16" in output, output
    assert "target n = 32 <= 1 s" in output and "target n = 64 <= 5 s" in output, output
