"""``gradproof derive|check|prove NAME`` for a built-in layer: the layer-file path, with the toolkit's description."""

import pytest

from gradproof.proofs import cli
from gradproof.symbolic.layers.builtin import BUILTIN_NAMES


def test_derive_linear_verifies_every_claim_like_a_layer_file(capsys):
    assert cli.main(["derive", "linear"]) == 0
    out = capsys.readouterr().out
    assert "layer linear: sizes N=2, D_in=3, D_out=2" in out  # the notation sheet's names
    for name in ("X", "W", "b"):
        assert f"dL/d{name}:\n  exact at these sizes: holds" in out
    assert out.count("general sizes: holds (index notation: normal forms agree)") == 3


def test_derive_a_built_in_loss_and_conv2d_geometry(capsys):
    assert cli.main(["derive", "squared_loss"]) == 0
    out = capsys.readouterr().out
    assert "dL/dZ:\n  exact at these sizes: holds" in out
    assert "general sizes: holds" in out  # decided since the normal form sums a one-entry range
    assert cli.main(["derive", "conv2d_s2_p1_d1"]) == 0
    out = capsys.readouterr().out
    assert "layer conv2d_s2_p1_d1" in out and out.count("exact at these sizes: holds") == 3


def test_check_relu_runs_the_generated_layer_against_finite_differences(capsys):
    assert cli.main(["check", "relu"]) == 0
    out = capsys.readouterr().out
    assert "relu d/dS (generated)" in out and ": ok" in out


def test_prove_linear_writes_its_document(tmp_path, capsys):
    assert cli.main(["prove", "linear", "--out", str(tmp_path / "p")]) == 0
    assert (tmp_path / "p" / "linear.tex").exists()


def test_list_names_the_built_in_layers(capsys):
    assert cli.main(["list"]) == 0
    assert ", ".join(BUILTIN_NAMES) in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["derive", "lineer"], ["check", "fc", "relu"]])
def test_an_unknown_name_or_a_mix_of_targets_and_layers_is_bad_input(argv, capsys):
    try:
        code = cli.main(argv)
    except SystemExit as exit_:  # argparse's own exit for an unknown target
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err
    assert "built-in layer" in err or "either layer files" in err


@pytest.mark.parametrize("name", ["maxpool2d_k9_s1_p0", "conv2d_s1_p0_d5"])
def test_a_geometry_whose_output_is_empty_at_the_check_sizes_is_bad_input(name, capsys):
    # attack5 4a: a (n_H - 8) x (n_W - 8) output at n_H = 4 made every claim hold vacuously, "for every size"
    assert cli.main(["derive", name]) == 2
    err = capsys.readouterr().err
    assert "every dimension must be an integer >= 1" in err and "holds" not in err
