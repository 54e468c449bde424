"""The gradproof command as a user runs it: list, derive, prove, check, all; bad input."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gradproof.numeric.cases import CheckCase
from gradproof.proofs import cli, report
from gradproof.proofs.results import Statement
from gradproof.proofs.targets import TARGETS
from gradproof.symbolic.layers.table import RULES
from gradproof.symbolic.seeds.kron_identities import FALSE_CLAIM, KRON_IDENTITIES
from gradproof.symbolic.seeds.vector_form import VECTOR_FORM_IDENTITIES

IDENTITIES = KRON_IDENTITIES + VECTOR_FORM_IDENTITIES


def run(*args):
    return subprocess.run([sys.executable, "-m", "gradproof.proofs.cli", *args], capture_output=True, text=True, timeout=600, check=False)


def test_list_names_every_target_and_rule(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert all(target.name in out for target in TARGETS) and all(rule.name in out for rule in RULES)
    assert all(claim.key in out for claim in IDENTITIES) and FALSE_CLAIM.key in out


def test_derive_kron_proves_every_identity_and_refuses_the_false_claim(capsys):
    assert cli.main(["derive", "kron"]) == 0
    out = capsys.readouterr().out
    assert "FAILS" not in out and f"false claim {FALSE_CLAIM.key} refused: holds" in out
    assert "does not hold for m = 1, n = 2, p = 2: entry (1, 1)" in out
    assert "4096 sizes, 4096 symbolic" in out  # the mixed product, every dimension 1..4


def test_derive_fc_verifies_everything(capsys):
    assert cli.main(["derive", "fc", "--sizes", "batch=1,in=2,out=3"]) == 0
    out = capsys.readouterr().out
    assert "FAILS" not in out and "seed 002 network (1)-(4): holds" in out


def test_derive_and_check_conv2d(capsys):
    assert cli.main(["derive", "conv2d"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines()
            if line.startswith("conv2d.") and "scalar equations" in line}
    assert sorted(rows) == ["conv2d.bias", "conv2d.input", "conv2d.weight"]
    assert all("holds (exact on" in line and "grid configurations" in line for line in rows.values())
    assert "M^T is the rotated-kernel convolution: holds" in out
    assert cli.main(["check", "conv2d"]) == 0
    assert "MISMATCH" not in capsys.readouterr().out


def test_check_fc_prints_a_table_and_passes(capsys):
    assert cli.main(["check", "fc"]) == 0
    out = capsys.readouterr().out
    assert "max abs" in out and "worst entry" in out and "MISMATCH" not in out
    assert "Linear-ReLU-Linear + SquaredLoss d/d0.weight" in out


def test_check_exits_non_zero_on_a_mismatch(monkeypatch, capsys):
    fc_target = TARGETS[0]
    honest = fc_target.check(0)[0]
    planted = CheckCase("planted", lambda rng, method: [dataclasses.replace(honest, passed=False)])
    failing_target = dataclasses.replace(fc_target, composite_cases=(planted,))
    monkeypatch.setattr(cli, "_targets", lambda names: [failing_target])
    assert cli.main(["check", "fc"]) == 1
    assert "MISMATCH" in capsys.readouterr().out


@pytest.mark.parametrize("command", [["derive", "conv9"], ["check", "conv9"], ["prove", "conv9"]])
def test_unknown_target_lists_the_valid_ones(command):
    result = run(*command)
    assert result.returncode == 2
    assert "unknown target 'conv9'; valid targets: fc, kron, conv2d, network" in result.stderr


def test_bad_sizes_are_named():
    result = run("derive", "fc", "--sizes", "batch=0")
    assert result.returncode == 2 and "size batch must be an integer >= 1, got '0'" in result.stderr


def test_unwritable_out_is_a_clear_error_and_writes_nothing(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run("all", "--out", str(blocker / "out"), "--no-pdf")
    assert result.returncode == 2 and "is a file, not a directory" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_failure_midway_leaves_no_half_written_output(tmp_path, monkeypatch):
    fc_target = TARGETS[0]

    def exploding_check(rng, method):
        raise RuntimeError("checker crashed")

    broken = dataclasses.replace(fc_target, composite_cases=(CheckCase("exploding", exploding_check),))
    monkeypatch.setattr(report, "TARGETS", (broken,))
    with pytest.raises(RuntimeError, match="checker crashed"):
        report.run_all(tmp_path / "out", want_pdf=False, progress=lambda message: None)
    assert list(tmp_path.iterdir()) == [], "neither DIR nor a staging directory may remain"


def test_prove_writes_tex_and_says_how_to_compile(tmp_path):
    result = run("prove", "fc", "--out", str(tmp_path / "p"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "p" / "fc.tex").exists() and "--pdf" in result.stdout


def test_prove_pdf(tmp_path, require_tex):
    result = run("prove", "fc", "--out", str(tmp_path / "p"), "--pdf")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "p" / "fc.pdf").read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["fc.pdf", "fc.tex"]


def test_prove_kron_pdf_contains_every_identity(tmp_path, require_tex):
    result = run("prove", "kron", "--out", str(tmp_path / "k"), "--pdf")
    assert result.returncode == 0, result.stderr
    tex = (tmp_path / "k" / "kron.tex").read_text()
    from gradproof.proofs.document import title_latex
    from gradproof.proofs.kron_proof import _block_title

    # each identity's block title as rendered (a formula in it, such as vec(AXB), is math)
    assert all(title_latex(_block_title(claim)) in tex for claim in IDENTITIES)
    assert "The claim is false: at" in tex and tex.count("the identity holds for every size") == len(IDENTITIES)
    assert (tmp_path / "k" / "kron.pdf").read_bytes().startswith(b"%PDF")


def test_all_writes_report_with_one_row_per_rule_and_the_pdf(tmp_path, require_tex):
    out = tmp_path / "out"
    result = run("all", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    text = (out / "report.md").read_text()
    for name in [rule.name for rule in RULES] + [claim.key for claim in IDENTITIES]:
        assert f"| {name} |" in text
    assert "**NO**" not in text and "Overall: all verified" in text
    for target in TARGETS:
        assert (out / f"{target.name}.pdf").read_bytes().startswith(b"%PDF")


def test_console_script_is_installed_in_ci():
    script = Path(sys.executable).parent / "gradproof"  # installed beside the running interpreter
    if os.environ.get("CI") != "true" and not script.exists():
        pytest.skip("gradproof not installed in this environment (pip install . installs it)")
    result = subprocess.run([str(script), "all", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "example: gradproof all --out out/" in result.stdout


def test_derive_and_check_network(capsys):
    assert cli.main(["derive", "network"]) == 0
    out = capsys.readouterr().out
    assert "theorem (5) = (6) under ReLU + max pooling: holds (all 256" in out and "[5, 4, 9, 6]" in out
    assert cli.main(["check", "network"]) == 0
    assert "MISMATCH" not in capsys.readouterr().out


def test_train_digits_writes_parameters_and_plot(tmp_path):
    result = run("train", "digits", "--epochs", "2", "--seed", "1", "--out", str(tmp_path / "t"))
    assert result.returncode == 0, result.stderr
    assert "epoch   2/2" in result.stdout and "final test accuracy:" in result.stdout
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["digits_params.npz", "digits_training.png"]
    assert (tmp_path / "t" / "digits_training.png").read_bytes().startswith(b"\x89PNG")
    import numpy as np

    with np.load(tmp_path / "t" / "digits_params.npz") as params:
        assert params["0.weight"].shape == (16, 1, 3, 3) and params["7.weight"].shape == (10, 128)


VERIFY = ["verify", "--shape", "W=m,n", "--shape", "x=n,1", "--shape", "b=m,1", "--shape", "t=m,1",
          "--sizes", "m=3,n=4", "--wrt", "W"]


def test_verify_the_issues_example_holds_and_its_mistakes_do_not(tmp_path):
    good = run(*VERIFY, "--claim", "2*(W*x+b-t)*x.T", "(W*x+b-t).T*(W*x+b-t)")
    assert good.returncode == 0 and "HOLDS" in good.stdout and "general sizes: holds" in good.stdout
    half = run(*VERIFY, "--claim", "(W*x+b-t)*x.T", "(W*x+b-t).T*(W*x+b-t)", "--out", str(tmp_path / "r"))
    assert half.returncode == 1 and "DOES NOT HOLD" in half.stdout and "entry (1, 1)" in half.stdout
    assert (tmp_path / "r" / "claim.tex").exists()


@pytest.mark.parametrize("claim, expression, message", [
    ("2*q*W", "tr(W.T*W)", "unknown symbol 'q'"),
    ("2*(W*x+b-t)*x", "(W*x+b-t).T*(W*x+b-t)", "Matrices are not aligned"),
])
def test_verify_bad_input_exits_2(claim, expression, message):
    result = run(*VERIFY, "--claim", claim, expression)
    assert result.returncode == 2 and message in result.stderr


def test_verify_identity_mode():
    result = run("verify", "--shape", "A=m,n", "--shape", "B=n,p", "vec(A*B)", "--equals", "kron(eye(p), A)*vec(B)")
    assert result.returncode == 0 and "HOLDS" in result.stdout
    wrong = run("verify", "--shape", "A=m,n", "--shape", "B=n,p", "vec(A*B)", "--equals", "kron(A, eye(p))*vec(B)")
    assert wrong.returncode == 1 and "m = 1, n = 2, p = 2" in wrong.stdout


def test_verify_sympys_logdet_zero_is_refused():
    result = run("verify", "--shape", "X=n,n", "--sizes", "n=2", "--wrt", "X", "--claim", "0*X", "log(det(X))")
    assert result.returncode == 1 and "12/65" in result.stdout


def test_check_with_each_method(capsys):
    for method in ("richardson", "complex"):
        assert cli.main(["check", "fc", "--method", method]) == 0
        out = capsys.readouterr().out
        assert "MISMATCH" not in out and ("Richardson" in out or "complex step" in out)


def test_check_against_torch_runs_or_says_how_to_get_it():
    result = run("check", "--against", "torch")
    try:
        import torch  # noqa: F401
    except ImportError:
        assert result.returncode == 2 and "pip install 'gradproof[torch]'" in result.stderr
    else:
        assert result.returncode == 0 and "PyTorch autograd" in result.stdout and "MISMATCH" not in result.stdout


def test_prove_failure_midway_leaves_nothing(tmp_path, monkeypatch):
    def exploding(target, staging, sizes, want_pdf):
        raise RuntimeError("document crashed")

    monkeypatch.setattr(cli, "write_proof", exploding)
    with pytest.raises(RuntimeError, match="document crashed"):
        cli.main(["prove", "fc", "--out", str(tmp_path / "p")])
    assert list(tmp_path.iterdir()) == []


def test_derive_and_all_exit_1_when_a_derivation_fails(monkeypatch, tmp_path, capsys):
    fc_target = TARGETS[0]
    honest = fc_target.statements(fc_target.default_sizes)
    failure = Statement("planted failure", False, "a composite check that fails")
    planted = dataclasses.replace(honest, checks=(*honest.checks, failure))
    failing_target = dataclasses.replace(fc_target, statements=lambda sizes: planted)
    monkeypatch.setattr(cli, "target_named", lambda name: failing_target)
    assert cli.main(["derive", "fc"]) == 1
    assert "planted failure: FAILS" in capsys.readouterr().out
    monkeypatch.setattr(report, "TARGETS", (failing_target,))
    assert cli.main(["all", "--out", str(tmp_path / "o"), "--no-pdf"]) == 1
    assert "**NO**" in (tmp_path / "o" / "report.md").read_text()
