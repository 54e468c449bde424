"""The layer proof document (issue 16 item 2) in the built-in documents' style: portrait, a notation section, the
layer as a Definition, one Theorem per claim proved for every size (claim first, derivation as its proof), a refuted
claim never inside a theorem, names ending in digits as x^(1) (never x_{1 i}, which reads as an entry), the
zero padding of a convolution as a barred tensor, the numeric checks as one table; every display fits a portrait
page (no overfull box), for the six examples and built-in layers through the same code."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradproof.proofs import layer_command
from gradproof.proofs.compile import compile_pdf, overfull_boxes
from gradproof.proofs.document import render, theorem_numbers
from gradproof.proofs.layer_proof import layer_document
from gradproof.symbolic.layers.builtin import builtin_named

EXAMPLES = sorted(str(p) for p in (Path(__file__).parents[2] / "examples").glob("*.py"))


def _document(name: str):
    if name.endswith(".py"):
        layer, _ = layer_command.load(name)
    else:
        layer = builtin_named(name).layer
    verdicts, reports = layer_command.run_layer(layer)
    return layer, verdicts, reports, layer_document(layer, verdicts, reports)


def test_every_example_and_a_convolution_fit_a_portrait_page(tmp_path):
    for name in [*EXAMPLES, "conv2d_s2_p1_d2", "maxpool2d_k2_s2_p0"]:
        *_, document = _document(name)
        assert document.landscape is False
        tex = tmp_path / f"{Path(name).stem}.tex"
        tex.write_text(render(document))
        compiled = compile_pdf(tex)
        assert overfull_boxes(compiled.with_suffix(".tex")) == [], name


def test_bilinear_states_its_claims_as_theorems_after_the_definition():
    layer, verdicts, reports, document = _document(next(p for p in EXAMPLES if p.endswith("bilinear.py")))
    numbers = theorem_numbers(document)
    kinds = sorted(numbers.values(), key=lambda pair: pair[1])
    assert [kind for kind, _ in kinds] == ["definition"] + ["theorem"] * 4
    assert document.sections[0].title == "Notation"
    tex = render(document)
    assert "x^{(1)}" in tex and "{x_{1}}_" not in tex  # x1's entry, never read as x_{1 i}
    assert tex.index("[claimed closed form]") < tex.index("\\begin{proof}")  # the claim first, then its proof
    assert tex.count(" \\\\\n") >= len(reports) and "\\begin{longtable}" in tex
    assert "Verdict:" not in tex  # folded into the theorem's proof


def test_a_convolutions_zero_padding_prints_as_a_barred_tensor():
    *_, document = _document("conv2d_s2_p1_d2")
    tex = render(document)
    assert "\\bar{X}" in tex and "A bar marks zero padding" in tex
    assert "n_{H} \\geq" not in tex  # the padding's range condition, a page wide, is not printed


@pytest.mark.parametrize("wrong", ["2 * G[k]"])
def test_a_refuted_claim_is_stated_as_a_claim_not_a_theorem(tmp_path, wrong):
    source = Path(next(p for p in EXAMPLES if p.endswith("bilinear.py"))).read_text()
    path = tmp_path / "wrong.py"
    path.write_text(source.replace("b[k]: G[k]}", f"b[k]: {wrong}}}"))
    *_, document = _document(str(path))
    tex = render(document)
    assert tex.count("\\begin{theorem}") == 3  # x1, x2, W; b is refuted
    assert "(claimed: does not hold)" in tex and "This claim is not stated as a theorem" in tex
    # said up front, not only on the last page (read6: the first pages looked like the correct document's)
    assert "Of 4 claims: 3 proved for every size, 1 refuted." in tex


def test_the_numeric_section_describes_only_the_rows_it_has():
    # read6: the paragraph promised class rows and kink rows a prove run without a class does not have
    *_, reports, document = _document(next(p for p in EXAMPLES if p.endswith("bilinear.py")))
    tex = render(document)
    assert "the class's backward" not in tex
    assert "the rows of this run: generated backward vs finite differences of the generated forward; the claimed " \
           "closed form vs the derived gradient." in tex


def test_a_probabilistic_second_check_is_not_called_exact(capsys):
    # read6: "holds exactly at ... and at sizes C = 3, ..." where the second check was Schwartz-Zippel
    from gradproof.proofs import cli

    cli.main(["derive", next(p for p in EXAMPLES if p.endswith("depthwise_conv2d.py"))])
    answers = [line for line in capsys.readouterr().out.splitlines() if "general sizes not decided" in line]
    assert answers and all("with probability (Schwartz-Zippel, bound above) at sizes" in a for a in answers
                           if "probabilistic" in a or "with probability" in a)
    assert any("with probability" in a for a in answers)
