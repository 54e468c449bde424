"""Deterministic output: the same call gives byte-identical text whatever ran before in the process.

Summation indices (t_1, t_2, ... of ``engine.structured``; s_0, s_1, ... inside
``engine.indexed.normal_form``) are numbered afresh for each call, never by a process-wide counter.
"""

from sympy import IndexedBase, Sum, symbols

from gradproof.proofs import cli
from gradproof.proofs.document import render
from gradproof.proofs.kron_proof import kron_document
from gradproof.proofs.targets import run_target, target_named
from gradproof.symbolic.engine.derive import closed_form_in, presentation_variable
from gradproof.symbolic.engine.general import prove_general
from gradproof.symbolic.engine.indexed import normal_form
from gradproof.symbolic.layers.presentations import verify_presentation
from gradproof.symbolic.layers.table import RULES
from gradproof.symbolic.seeds.kron_identities import KRON_IDENTITIES


def _other_work():
    """Derivations that create summation indices, as other commands do before a document."""
    for rule in RULES:
        for equations in rule.presentations:
            verify_presentation(rule, equations, presentation_variable(rule, equations),
                                lambda symbols, r=rule, e=equations: closed_form_in(r, e, symbols),
                                {role: 2 for role in equations.sizes})
    for claim in KRON_IDENTITIES:
        if claim.general:
            prove_general(claim)


def test_entries_and_normal_forms_do_not_depend_on_earlier_calls():
    claim = KRON_IDENTITIES[0]
    first = prove_general(claim)
    _other_work()
    again = prove_general(claim)
    assert (str(first.left_entry), str(first.right_entry)) == (str(again.left_entry), str(again.right_entry))
    assert "t_1" in str(first.right_entry)  # numbered from 1 in each entry
    a, b = IndexedBase("a"), IndexedBase("b")
    i, k = symbols("i k", integer=True)
    product = Sum(a[i, k], (k, 1, 3)) * Sum(b[k], (k, 1, 3))
    assert str(normal_form(product, {})) == str(normal_form(product, {}))


def test_fresh_names_avoid_the_expressions_own_symbols():
    a = IndexedBase("a")
    s0, s1 = symbols("s_0 s_1", integer=True)
    expression = Sum(a[s0, s1], (s1, 1, 3)) * Sum(a[s1, s0], (s1, 1, 3))  # s_0 free
    normal = normal_form(expression, {})
    assert s0 in normal.free_symbols and len(normal.limits) == 2 and s0 not in normal.variables


def _kron_tex():
    return render(kron_document(run_target(target_named("kron"), numeric=False)))


def test_kron_document_is_byte_identical_after_other_derivations():
    before = _kron_tex()
    _other_work()
    assert _kron_tex() == before


def test_prove_kron_and_all_write_the_same_kron_tex(tmp_path):
    assert cli.main(["prove", "kron", "--out", str(tmp_path / "a")]) == 0
    assert cli.main(["all", "--out", str(tmp_path / "b"), "--no-pdf"]) == 0
    assert (tmp_path / "a" / "kron.tex").read_bytes() == (tmp_path / "b" / "kron.tex").read_bytes()
