"""General-size proofs: the one result type and the one prover.

A statement about matrices of every size is proved entry by entry: a generic entry (symbolic
indices i_1, j_1, ... ranging over symbolic sizes) of each side is written in index notation,
carried through the displayed steps, and both are put in one normal form (``indexed.normal_form``:
linearity, sifting, interchange of finite sums). Equal normal forms prove the statement for
every size. Three verdicts, as everywhere in gradproof:

* ``holds is True``: the normal forms agree (exactly, up to renaming of bound summation indices),
  or a chain of named rules (``method == NAMED_RULES``) turns the left side into the right side;
* ``holds is None``: not decided; ``reason`` says why (the normal forms differ, the index algebra
  has no rule for a determinant, the two sides index their entries differently). Differing normal
  forms are never a refutation on their own: the normal form is canonical only up to the rules it
  knows, so two forms of one function can differ;
* ``holds is False``: only from ``refute``, with a concrete counterexample (sizes, entry, values)
  found by an exact check at concrete sizes; ``prove_general`` never answers False by itself.

Anything with a method ``general_statement() -> GeneralProof`` (an undecided proof whose generic
entries are filled in) can be proved by ``prove_general``: identity claims
(``engine.identities``), gradient claims (``symbolic.claims``), a rule in one presentation
(``engine.derive``) and Jacobian claims (``seeds.vector_form``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sympy import Symbol

from gradproof.symbolic.engine.errors import OutsideIndexAlgebra
from gradproof.symbolic.engine.indexed import NORMAL_FORM, equivalent, normal_form

CHAIN_RULE = "chain rule"
UPSTREAM = "upstream gradient"
DIFFERENTIATE = "differentiate the scalar equation"

INDEX_NOTATION = "index notation"
NAMED_RULES = "named rules"
NORMAL_FORMS_DIFFER = ("not decided: the normal forms of the two sides differ, and differing normal forms do not "
                       "refute a claim (only a concrete counterexample does)")
RULES_DO_NOT_REACH = "not decided: the named rules do not turn the left side into the right side"


class InconsistentVerdicts(RuntimeError):
    """A general-size proof and a concrete counterexample for one claim: a bug in gradproof."""


@dataclass(frozen=True)
class GeneralProof:
    """A general-size argument: generic entries of two sides, their steps, normal forms, verdict.

    ``left_steps``/``right_steps`` are ``(expression, justification)`` pairs leading from
    ``left_entry``/``right_entry`` to the expression compared; ``left_normal``/``right_normal``
    are the normal forms of those last expressions. ``rows``/``cols`` are the generic indices,
    ``slots`` their sizes, ``ranges`` maps each index to (1, size), ``rules`` names the entry rules.
    """

    subject: object
    holds: bool | None = None
    reason: str = ""
    left: object = None
    right: object = None
    rows: tuple = ()
    cols: tuple = ()
    slots: tuple = ((), ())
    ranges: dict = field(default_factory=dict)
    left_entry: object = None
    right_entry: object = None
    left_steps: tuple = ()
    right_steps: tuple = ()
    left_normal: object = None
    right_normal: object = None
    rules: tuple[str, ...] = ()
    wrt: str | None = None
    method: str = INDEX_NOTATION
    normal_forms_agree: bool | None = None  # set by provers that also test instances (Conv2d)
    instances: tuple = ()  # (concrete sizes, first mismatch or None): the right side evaluated against an oracle

    @property
    def refuting_instance(self):
        """The first (sizes, mismatch) among ``instances`` where the right side is wrong, or None."""
        return next(((where, found) for where, found in self.instances if found is not None), None)

    def _step(self, justification: str):
        return next(expression for expression, why in self.left_steps if why == justification)

    # Names of the derivation proofs of engine.derive, kept for proofs/fc_proof.py.
    entry = property(lambda self: self.left_entry.variables[0], doc="the variable's generic entry")
    chain = property(lambda self: self._step(CHAIN_RULE))
    with_upstream = property(lambda self: self._step(UPSTREAM))
    differentiated = property(lambda self: self._step(DIFFERENTIATE))
    collapsed = property(lambda self: self.left_steps[-1][0])
    closed_form = property(lambda self: self.right)
    closed_entry = property(lambda self: self.right_entry)
    closed_collapsed = property(lambda self: self.right_steps[-1][0])
    variable = property(lambda self: self.wrt)
    equations = property(lambda self: self.subject.equations, doc="the presentation a rule was proved in")


def generic_indices(slots: tuple[tuple, tuple], names: tuple[str, str] = ("i", "j")):
    """(row indices, column indices, ranges): i_1, i_2, ... over the row slots, j_1, ... over the
    column slots, each ranging from 1 to its slot's size."""
    rows = tuple(Symbol(f"{names[0]}_{n + 1}", integer=True) for n in range(len(slots[0])))
    cols = tuple(Symbol(f"{names[1]}_{n + 1}", integer=True) for n in range(len(slots[1])))
    ranges = {index: (1, size) for index, size in zip(rows + cols, slots[0] + slots[1])}
    return rows, cols, ranges


def _last(entry, steps):
    return steps[-1][0] if steps else entry


def decide(statement: GeneralProof) -> GeneralProof:
    """Compare the normal forms of the last expression of each side; record the verdict.

    Equal normal forms (``indexed.equivalent``: exactly, up to renaming of bound indices) prove
    the statement; different ones leave it not decided (``NORMAL_FORMS_DIFFER``), never refuted.
    Sides without displayed steps get one: their normal form, justified by ``NORMAL_FORM``.
    A ``NAMED_RULES`` statement holds when its last left step is the right side, structurally.
    """
    if statement.method == NAMED_RULES:
        reached = _last(statement.left_entry, statement.left_steps) == statement.right_entry
        return dataclasses.replace(statement, holds=True if reached else None,
                                   reason="" if reached else RULES_DO_NOT_REACH)
    left_normal = normal_form(_last(statement.left_entry, statement.left_steps), statement.ranges)
    right_normal = normal_form(_last(statement.right_entry, statement.right_steps), statement.ranges)
    agree = equivalent(left_normal, right_normal)
    return dataclasses.replace(
        statement,
        holds=True if agree else None,
        reason="" if agree else NORMAL_FORMS_DIFFER,
        left_normal=left_normal,
        right_normal=right_normal,
        left_steps=statement.left_steps or ((left_normal, NORMAL_FORM),),
        right_steps=statement.right_steps or ((right_normal, NORMAL_FORM),),
    )


def prove_general(claim) -> GeneralProof:
    """Prove ``claim`` for general sizes, or say why no index-notation argument applies.

    ``claim.general_statement()`` writes the generic entries; it raises ``OutsideIndexAlgebra``
    where the algebra has no rule, which gives the verdict "not decided" with that reason.
    """
    try:
        statement = claim.general_statement()
    except OutsideIndexAlgebra as error:
        return GeneralProof(claim, None, f"not decided: no index-notation argument: {error}")
    return decide(statement)


def refute(proof: GeneralProof, counterexample) -> GeneralProof:
    """The general verdict once an exact check at concrete sizes has found ``counterexample``.

    ``counterexample`` is None (nothing found: ``proof`` unchanged) or an object with ``describe()``
    (sizes, entry, values) or a string; the verdict becomes False, "refuted at sizes ...". A
    counterexample to a proved statement is a contradiction, a bug: ``InconsistentVerdicts``.
    """
    if counterexample is None:
        return proof
    text = counterexample if isinstance(counterexample, str) else counterexample.describe()
    if proof.holds is True:
        raise InconsistentVerdicts(f"{proof.subject}: proved for every size, yet refuted: {text}")
    return dataclasses.replace(proof, holds=False, reason=f"refuted by a concrete counterexample: {text}")
