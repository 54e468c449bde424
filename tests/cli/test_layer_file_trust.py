"""Layer files through the CLI (attack3 items 3 and 4a): a broken file is bad input (exit 2, FILE:LINE, no
traceback); a claim right only at its check size exits 1, refuted at the second sizes; one that holds at two
size assignments while its general verdict is not decided exits 0 and says exactly that."""

from __future__ import annotations

import pytest

from gradproof.proofs import cli, layer_command

HEAD = ("from gradproof.symbolic.layers.description import Layer, Sum, indices, sizes, tensor\n"
        "from sympy import KroneckerDelta\n"
        "(N,) = sizes('N'); i, j = indices('i j')\n"
        "x, y, g = tensor('x', N), tensor('y', N), tensor('g', N)\n")


def write(tmp_path, body: str):
    path = tmp_path / "layer.py"
    path.write_text(HEAD + body)
    return str(path)


@pytest.mark.parametrize(("body", "expected"), [
    ("x = tensor('x',\n", "layer.py:5: SyntaxError: '(' was never closed"),
    ("a = Layer('a', inputs=(x,), outputs={y[i]: 2 * nope[i]}, upstream={y: g}, at={N: 2})\n",
     "layer.py:5: NameError: name 'nope' is not defined"),
    ("a = Layer('a', inputs=(x,), outputs={y[i]: 2 * x[i]}, upstream={y: g}, claims={x[i, j]: g[i]}, at={N: 2})\n",
     "layer.py:5: IndexException: Rank mismatch. (an entry needs as many indices as its tensor has dimensions)"),
    ("a = Layer('a', inputs=(x,), outputs={y[i]: 2 * x[i]}, upstream={y: g}, claims={x[i]: g[i], x[j]: g[j]}, "
     "at={N: 2})\n", "layer.py:5: layer a: two claims for x (x[i], x[j])"),
    ("a = Layer('a', inputs=(x,), outputs={y[i]: Sum(x[j], (j, N)) * x[i]}, upstream={y: g}, at={N: 400})\n",
     "sizes N = 400: the written-out outputs have about 320400 operations"),
], ids=["syntax", "name", "rank", "two-claims", "cost"])
def test_a_broken_layer_file_is_bad_input_with_its_line(tmp_path, capsys, body, expected):
    assert cli.main(["derive", write(tmp_path, body)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_a_claim_right_only_at_size_1_exits_1_with_the_second_sizes_counterexample(tmp_path, capsys):
    # attack3 w02: missing transpose, invisible at N = 1; exit 0 before
    body = ("W = tensor('W', N, N)\n"
            "a = Layer('lin', inputs=(x,), parameters=(W,), outputs={y[i]: Sum(W[i, j] * x[j], (j, N))}, "
            "upstream={y: g}, claims={x[j]: Sum(W[j, i] * g[i], (i, N))}, at={N: 1})\n")
    assert cli.main(["derive", write(tmp_path, body)]) == 1
    out = capsys.readouterr().out
    assert "answer: DOES NOT HOLD (counterexample at sizes N = 2)" in out
    assert "exact at second sizes N = 2: DOES NOT HOLD" in out


def test_a_claim_holding_at_two_size_assignments_says_so_and_exits_0(tmp_path, capsys):
    body = ("(p, k) = indices('p k'); b = tensor('b', N)\n"
            "a = Layer('bias', inputs=(x,), parameters=(b,), outputs={y[k]: x[k] + b[k]}, upstream={y: g}, "
            "claims={b[p]: Sum(g[k] * KroneckerDelta(k, p), (k, p, N))}, at={N: 3})\n")
    assert cli.main(["derive", write(tmp_path, body)]) == 0
    out = capsys.readouterr().out
    assert "answer: holds exactly at sizes N = 3 and at sizes N = 2; general sizes not decided" in out


def test_sizes_override_a_layer_files_check_sizes(tmp_path, capsys):
    body = ("a = Layer('a', inputs=(x,), outputs={y[i]: 3 * x[i]}, upstream={y: g}, claims={x[i]: 3 * g[i]}, "
            "at={N: 2})\n")
    assert layer_command.derive_file(write(tmp_path, body), sizes={"N": 5}) is True
    assert "layer a: sizes N=5" in capsys.readouterr().out
    with pytest.raises(Exception, match=r"unknown size 'batch'; sizes are \['N'\]"):
        layer_command.derive_file(write(tmp_path, body), sizes={"batch": 3})


def test_classes_defined_lists_only_the_files_own_classes(tmp_path, capsys):
    body = ("a = Layer('a', inputs=(x,), outputs={y[i]: 3 * x[i]}, upstream={y: g}, at={N: 2})\n"
            "class Mine:\n    pass\n")
    assert cli.main(["check", write(tmp_path, body) + ":Nope"]) == 2
    assert "classes defined: ['Mine']" in capsys.readouterr().err


def test_the_proof_document_states_the_second_sizes_and_the_verdict(tmp_path):
    # attack3 4a: the PDF read "At the sizes N = 1: holds, exactly" and nothing else for w02
    from gradproof.proofs.document import render
    from gradproof.proofs.layer_proof import layer_document

    body = ("W = tensor('W', N, N)\n"
            "a = Layer('lin', inputs=(x,), parameters=(W,), outputs={y[i]: Sum(W[i, j] * x[j], (j, N))}, "
            "upstream={y: g}, claims={x[j]: Sum(W[j, i] * g[i], (i, N))}, at={N: 1})\n")
    layer, _ = layer_command.load(write(tmp_path, body))
    verdicts, reports = layer_command.run_layer(layer)
    tex = render(layer_document(layer, verdicts, reports))
    assert "At the second sizes $N = 2$ (each size changed, at least 2): DOES NOT HOLD" in tex
    assert "Answer: DOES NOT HOLD (counterexample at sizes N = 2). This claim is not stated as a theorem: it is not proved for every size." in tex
    assert "\\begin{theorem}" not in tex  # a refuted claim is never typeset as a theorem
