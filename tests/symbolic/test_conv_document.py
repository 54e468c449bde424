"""The Conv2d proof document displays the objects its checks verify (DESIGN 5a): the scalar
equation and the general-size closed forms are printed from ``conv_general``'s objects, and a
refuted closed form is reported as refuted, with its counterexample (seeds 003 and 004)."""

from gradproof.proofs import conv_proof
from gradproof.proofs.document import latex, render
from gradproof.proofs.targets import run_target, target_named
from gradproof.symbolic.layers import conv_general


def _document_text():
    return render(conv_proof.conv_document(run_target(target_named("conv2d"), numeric=False)))


def test_the_document_prints_the_checked_closed_forms_and_no_placeholders():
    text = _document_text()
    for proof in conv_general.general_proofs():
        # printed with readable index names: the entry (n, c, i, j) / (o, c, p, q) / o, sums named by their range
        assert latex(conv_general.readable(proof.closed_form, conv_general.free_renaming(proof))) in text
    assert latex(conv_general.equation(conv_general.n, conv_general.o, conv_general.u, conv_general.v)) in text
    assert r"\operatorname{corr}" not in text and r"\operatorname{dilate}" not in text
    assert "REFUTED" not in text and "FAIL" not in text


def test_a_refuted_closed_form_is_reported_with_its_counterexample(monkeypatch):
    monkeypatch.setattr(conv_general, "reflect", lambda index, size: index)
    text = _document_text()
    assert "REFUTED at" in text and "The closed form is wrong" in text
