"""--sizes of derive/prove: a built-in target takes roles (batch=2), a layer file its own size names (N=5);
a built-in layer takes none. Each wrong use is bad input (exit 2) naming the size."""

from __future__ import annotations

from gradproof.proofs import cli

LAYER = ("from gradproof.symbolic.layers.description import Layer, indices, sizes, tensor\n"
         "(N,) = sizes('N'); (i,) = indices('i')\n"
         "x, y, g = tensor('x', N), tensor('y', N), tensor('g', N)\n"
         "a = Layer('a', inputs=(x,), outputs={y[i]: 3 * x[i]}, upstream={y: g}, claims={x[i]: 3 * g[i]}, at={N: 2})\n")


def test_a_layer_files_own_size_names_reach_its_derivation(tmp_path, capsys):
    path = tmp_path / "layer.py"
    path.write_text(LAYER)
    assert cli.main(["derive", str(path), "--sizes", "N=5"]) == 0
    assert "layer a: sizes N=5" in capsys.readouterr().out


def test_a_size_the_layer_file_does_not_have_is_named(tmp_path, capsys):
    path = tmp_path / "layer.py"
    path.write_text(LAYER)
    assert cli.main(["derive", str(path), "--sizes", "batch=3"]) == 2
    assert "unknown size 'batch'" in capsys.readouterr().err


def test_a_built_in_target_still_takes_roles_only(capsys):
    assert cli.main(["derive", "fc", "--sizes", "N=3"]) == 2
    assert "unknown size 'N'" in capsys.readouterr().err


def test_a_built_in_layer_refuses_sizes_rather_than_ignoring_them(capsys):
    assert cli.main(["derive", "relu", "--sizes", "N=3"]) == 2
    assert "expected no --sizes, got N=3" in capsys.readouterr().err
