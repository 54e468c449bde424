"""benchmarks/gradcheck_mutants.py runs end to end and prints its table; no timing limits."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_gradcheck_mutant_benchmark_prints_its_table_per_method():
    completed = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gradcheck_mutants.py"), "--quick",
                                "--no-torch"], check=False, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert completed.returncode == 0, completed.stderr
    output = completed.stdout
    assert "mutants caught" in output and "false alarms" in output and "evaluations" in output, output
    for method in ("central", "richardson", "complex"):
        row = next(line for line in output.splitlines() if line.startswith(f"| {method} "))
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[2] == "0" and cells[4].startswith("0/"), row  # no target miss, no false alarm
        caught, total = cells[1].split("/")
        assert caught == total, row  # every mutant caught by every method, kink conventions included


def test_gradcheck_speed_benchmark_prints_ratios_against_check_network():
    completed = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gradcheck_speed.py"), "--repeats", "1"],
                               check=False, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert completed.returncode == 0, completed.stderr
    rows = [line for line in completed.stdout.splitlines() if line.startswith("| ")]
    assert any("reference" in row for row in rows), completed.stdout
    for method in ("central", "richardson", "complex"):
        row = next(row for row in rows if row.startswith(f"| {method} "))
        assert row.rstrip(" |").endswith("True"), row  # the correct digits CNN gradient passes every entry
