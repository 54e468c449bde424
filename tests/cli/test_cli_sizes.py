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


def test_a_built_in_layer_takes_its_own_size_names(capsys):
    # attack5: a geometry too large for a built-in's check sizes was refused, and built-ins took no --sizes
    assert cli.main(["derive", "relu", "--sizes", "Q=3"]) == 2
    assert "unknown size 'Q'" in capsys.readouterr().err
    assert cli.main(["derive", "avgpool2d_k5_s1_p0"]) == 2
    assert "give larger sizes" in capsys.readouterr().err
    assert cli.main(["derive", "avgpool2d_k5_s1_p0", "--sizes", "n_H=5,n_W=6,C=1"]) == 0
    out = capsys.readouterr().out
    assert "sizes N=1, C=1, n_H=5, n_W=6" in out and "answer: holds for every size" in out
