"""How each layer entry of the rule table is derived and verified: one function per kind of equations.

Each function takes a ``LayerEntry`` and the sizes of the run and returns ``{rule name: RuleVerdicts}``:

* ``verify_presentations`` (the FC rules): in every layout (PyTorch's batch, seed 000's columns, seed 001's
  rows summed or averaged) the rule's closed form is the claim of a layer description, decided by the
  description engine users' layers go through (``presentations.verify_presentation``): exact at the given
  sizes and for symbolic sizes in index notation; the numeric rule, run on symbols, is compared with the
  closed form.
* ``verify_conv``: every output's scalar equation over a grid of geometries (stride, padding, dilation)
  by the local chain rule against the numeric rules run on symbols, plus the general-size index proofs.
* ``verify_pooling``, ``verify_flatten_layer``, ``verify_cross_entropy``, ``verify_objective``: concrete sizes,
  against the numeric rules run on symbols; general sizes are not attempted (the verdict says so).

For the rules whose closed form is the numeric function itself, "numeric rule = closed form" holds by
construction and the verdict says that, rather than comparing a function with itself.

The same rules also go through the engine users' layers go through (``symbolic.layers.gradients``), from
the built-in layer descriptions (``symbolic.layers.builtin``): ``description_check`` derives every
gradient of a description at the run's sizes, verifies its claims (for the FC rules, the generic entry
of the rule's closed form) and compares the numeric rule, run on the description's symbols, with the
derived gradient exactly. A failure there refutes the rule's concrete (claim) or numeric verdict.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sympy import sympify

from gradproof.numeric.rules import pooling as pool_rules
from gradproof.symbolic.engine.derive import numeric_rule_mismatch
from gradproof.symbolic.engine.rule import GradientRule, LayerEntry, RuleVerdicts, Verdict
from gradproof.symbolic.layers import builtin, conv
from gradproof.symbolic.layers.conv_general import general_proofs
from gradproof.symbolic.layers.gradients import compare_concrete, concrete_gradients, verify_claims
from gradproof.symbolic.layers.losses import cross_entropy_check, objective_check
from gradproof.symbolic.layers.pooling import pooling_grid, verify_avgpool, verify_maxpool
from gradproof.symbolic.layers.pooling import verify_flatten as verify_flatten_shape
from gradproof.symbolic.layers.presentations import verify_rule

BY_CONSTRUCTION = Verdict(True, "by construction: the closed form is the numeric function, run on symbols above")


def _not_attempted(reason: str) -> Verdict:
    return Verdict(None, f"not attempted: {reason}", attempted=False)


def _format_sizes(sizes: Mapping[str, int]) -> str:
    return ", ".join(f"{role} = {value}" for role, value in sizes.items())


def description_check(description: builtin.Builtin, sizes, variable: str, numeric_rule, operands, *,
                      gradients=None, claims=None, extra: dict | None = None, check_claim: bool = True,
                      given: dict | None = None):
    """(claim verdict or None, (holds, detail) of numeric rule == derived) for one gradient of a description.

    ``sizes`` maps the description's size symbols to ints; ``variable`` is the rule-table key of the
    gradient ("weight", "logits", ...); ``operands`` the numeric rule's operand keys, laid out as
    object arrays of the description's entries; ``extra`` further keyword arguments of the rule.
    A loss's upstream G_xi[1] is 1 (L is the loss). Exact comparison (``gradients.compare_concrete``).
    ``check_claim=False`` skips the claim (None in its place): Conv2d's claims are the conv document's.
    ``given`` fixes entries that are data (max pooling's one-hot argmax A) in the derived gradient.
    """
    layer = description.layer
    gradients = gradients or concrete_gradients(layer, dict(sizes))
    name = str(description.operands[variable].label)
    claim = None
    if check_claim and layer.claim_of(description.operands[variable]) is not None:
        claims = claims if claims is not None else verify_claims(layer, gradients)
        claim = next(verdict for verdict in claims if verdict.name == name)
    one = description.upstream_one(sizes)
    derived = [sympify(value).subs({**one, **(given or {})}) for value in gradients.derived[name]]
    result = np.asarray(numeric_rule(*builtin.symbol_arrays(description, operands, sizes), **(extra or {})),
                        dtype=object).reshape(-1)
    index = [ix for ix, _ in gradients.entries[name]]
    if len(result) != len(derived):
        return claim, (False, f"{numeric_rule.__name__}: {len(result)} entries, dL/d{name} has {len(derived)}")
    holds, detail, _ = compare_concrete(name, derived, list(result), index)
    return claim, (holds, detail)


def _sizes_of(sizes) -> str:
    return ", ".join(f"{symbol} = {value}" for symbol, value in sizes.items())


def _with_description(verdicts: RuleVerdicts, description: builtin.Builtin, sizes, claim, numeric,
                      rule_name: str) -> RuleVerdicts:
    """The rule's verdicts with the description engine's evidence folded in (a failure refutes)."""
    where = f"description {description.layer.name} at {_sizes_of(sizes)}"
    concrete = verdicts.concrete
    if claim is not None and concrete.holds is not False:
        if claim.concrete is True:
            concrete = Verdict(concrete.holds, f"{concrete.detail}; {where}: claim exact", concrete.evidence)
        else:
            concrete = Verdict(claim.concrete, f"{where}: {claim.detail}", concrete.evidence)
    holds, detail = numeric
    numeric_verdict = verdicts.numeric
    if numeric_verdict.holds is False and holds is False:
        numeric_verdict = Verdict(False, f"{numeric_verdict.detail}; it also differs from the derived gradient of "
                                  f"{where}: {detail}", numeric_verdict.evidence)
    elif numeric_verdict.holds is not False:
        if holds is True:
            numeric_verdict = Verdict(numeric_verdict.holds, f"{numeric_verdict.detail}; == the derived gradient of "
                                      f"{where}", numeric_verdict.evidence)
        else:
            numeric_verdict = Verdict(holds, f"{rule_name} vs {where}: {detail}", numeric_verdict.evidence)
    return RuleVerdicts(concrete, verdicts.general, numeric_verdict)


def _fc_rule_verdicts(rule: GradientRule, sizes: Mapping[str, int]) -> RuleVerdicts:
    """The rule in every layout, each decided by the description engine (``presentations.verify_presentation``);
    the evidence is one (``RuleCheck``, ``GeneralProof``) pair per layout, in the layouts' order."""
    pairs = [verify_rule(rule, eqs, eqs.sizes_from(sizes)) for eqs in rule.presentations]
    concrete = tuple(check for check, _ in pairs)
    general = tuple(proof for _, proof in pairs)
    failed = next((check for check in concrete if check.holds is False), None)
    undecided = next((check for check in concrete if check.holds is None), None)
    layouts = f"{len(concrete)} layout{'s' if len(concrete) > 1 else ''}"
    if failed is not None:
        concrete_verdict = Verdict(False, f"{failed.system.equations.name}: {failed.mismatch.describe()}", concrete)
    elif undecided is not None:
        concrete_verdict = Verdict(None, f"{undecided.system.equations.name}: {undecided.detail}", concrete)
    else:
        concrete_verdict = Verdict(True, f"exact at {_format_sizes(rule.canonical.sizes_from(sizes))}, {layouts}, "
                                         "by the description engine", concrete)
    if all(proof.holds for proof in general):
        general_verdict = Verdict(True, "index notation, linearity and sifting, every layout, by the description "
                                        "engine", general)
    elif failed is not None:
        general_verdict = Verdict(False, "refuted at concrete sizes (counterexample in the concrete column)", general)
    else:
        differing = ", ".join(p.equations.name for p in general if not p.holds)
        general_verdict = Verdict(None, f"not decided: the normal forms differ in {differing}", general)
    mismatch = numeric_rule_mismatch(rule, rule.canonical.sizes_from(sizes))
    numeric_verdict = (Verdict(True, f"{rule.numeric_rule.__name__} on symbols, entry by entry") if mismatch is None
                       else Verdict(False, f"{rule.numeric_rule.__name__}: {mismatch.describe()}", mismatch))
    return RuleVerdicts(concrete_verdict, general_verdict, numeric_verdict)


def verify_presentations(entry: LayerEntry, sizes: Mapping[str, int]) -> dict[str, RuleVerdicts]:
    """The FC rules, each in every layout of the seeds, and through the description engine (module docstring)."""
    verdicts = {rule.name: _fc_rule_verdicts(rule, sizes) for rule in entry.rules}
    description = builtin.for_presentation(entry.rules[0].canonical.name)
    if description is None:
        return verdicts
    canonical = entry.rules[0].canonical
    at = {description.roles[role]: value for role, value in canonical.sizes_from(sizes).items()}
    gradients = concrete_gradients(description.layer, at)
    claims = verify_claims(description.layer, gradients)
    for rule in entry.rules:
        claim, numeric = description_check(description, at, rule.wrt, rule.numeric_rule, rule.numeric_operands,
                                           gradients=gradients, claims=claims)
        verdicts[rule.name] = _with_description(verdicts[rule.name], description, at, claim, numeric,
                                                rule.numeric_rule.__name__)
    return verdicts


def _conv_concrete(rule: GradientRule, results, forward_ok: bool) -> Verdict:
    forms = tuple(form for form, gradient in conv.DERIVED_FOR.items() if gradient == rule.wrt)
    for result in results:
        for form in forms:
            if result.mismatches[form] is not None:
                index, derived, claimed = result.mismatches[form]
                return Verdict(False, f"closed form {form} at {result.geometry}, entry {index}: derived {derived}, "
                                      f"closed form {claimed}", results)
    if not forward_ok:
        return Verdict(False, "the numeric forward rule differs from the scalar equations", results)
    return Verdict(True, f"exact on {len(results)} grid configurations; closed forms: {', '.join(forms)}; "
                         "forward rule == scalar equations", results)


def verify_conv(entry: LayerEntry, sizes: Mapping[str, int]) -> dict[str, RuleVerdicts]:
    """Conv2d's dX, dW, db: one derivation over the grid, one general-size proof per gradient."""
    grid = list(conv.geometry_grid())
    results = tuple(conv.verify(geometry) for geometry in grid)
    forward_ok = all(conv.forward_matches_equations(geometry) for geometry in grid)
    proofs = {proof.subject: proof for proof in general_proofs()}
    description = builtin.conv2d(*CONV_DESCRIPTION_GEOMETRY)
    at = description.layer.concrete_sizes()
    gradients = concrete_gradients(description.layer, at)
    verdicts = {}
    for rule in entry.rules:
        plain = RuleVerdicts(_conv_concrete(rule, results, forward_ok), _conv_general(proofs[rule.wrt]), BY_CONSTRUCTION)
        operands, extra = conv_rule_operands(rule.wrt, description, at)
        _, numeric = description_check(description, at, rule.wrt, rule.numeric_rule, operands, gradients=gradients,
                                       extra=extra, check_claim=False)
        verdicts[rule.name] = _with_description(plain, description, at, None, numeric, rule.numeric_rule.__name__)
    return verdicts


CONV_DESCRIPTION_GEOMETRY = (2, 1, 2)  # stride, padding, dilation of the description-engine check: all three at once


def conv_rule_operands(wrt: str, description: builtin.Builtin, at) -> tuple[tuple[str, ...], dict]:
    """The operand keys and keyword arguments of Conv2d's numeric rule for ``wrt`` (input, weight, bias), at
    ``CONV_DESCRIPTION_GEOMETRY`` and the description's sizes ``at``."""
    stride, padding, dilation = CONV_DESCRIPTION_GEOMETRY
    geometry = {"stride": stride, "padding": padding, "dilation": dilation}

    def shape(key):
        return tuple(int(sympify(dim).subs(at)) for dim in description.operands[key].shape)

    if wrt == "input":
        return ("grad_output", "weight"), {"input_shape": shape("input"), **geometry}
    if wrt == "weight":
        return ("grad_output", "input"), {"kernel": shape("weight")[2:], **geometry}
    return ("grad_output",), {}


def _conv_general(proof) -> Verdict:
    """The general-size verdict of one Conv2d gradient: proved, refuted by an instance, or not decided."""
    if proof.holds is True:
        return Verdict(True, "index notation, symbolic stride, padding, dilation and K_h × K_w kernel", proof)
    if proof.holds is False:
        return Verdict(False, f"the closed form is {proof.reason}", proof)
    return Verdict(None, "not decided: the normal forms differ and no instance refutes the closed form", proof)


def verify_pooling(entry: LayerEntry, sizes: Mapping[str, int]) -> dict[str, RuleVerdicts]:
    """Max and average pooling over the pooling grid (derived == numeric rule, forward == equations);
    the evidence is ((shape, kernel, stride, padding), (derived ok, forward ok)) per configuration."""
    grid = list(pooling_grid())
    checks = {"maxpool2d.input": [verify_maxpool(*config) for config in grid],
              "avgpool2d.input": [verify_avgpool(*config) for config in grid]}
    verdicts = {}
    for rule in entry.rules:
        outcomes = tuple(zip(grid, checks[rule.name]))
        failed = next((config for config, ok in outcomes if not all(ok)), None)
        concrete = (Verdict(True, f"exact on {len(grid)} configurations; forward == scalar equations", outcomes)
                    if failed is None else
                    Verdict(False, f"differs at (shape, kernel, stride, padding) = {failed}", outcomes))
        general = _not_attempted("the window equations are checked at the concrete sizes of the grid")
        plain = RuleVerdicts(concrete, general, BY_CONSTRUCTION)
        description, at, numeric = _pool_description_check(rule)
        verdicts[rule.name] = _with_description(plain, description, at, None, numeric, rule.numeric_rule.__name__)
    return verdicts


POOL_DESCRIPTION_GEOMETRY = (3, 2, 1)  # kernel, stride, padding of the description-engine check


def _pool_description_check(rule: GradientRule):
    """(description, sizes, (holds, detail)): the pooling rule against the derived gradient of its built-in
    description at ``POOL_DESCRIPTION_GEOMETRY``; max pooling's one-hot A is fixed by the argmax of a
    random input (computed by the numeric forward, as in training)."""
    kernel, stride, padding = POOL_DESCRIPTION_GEOMETRY
    is_max = rule.name.startswith("max")
    description = (builtin.maxpool2d if is_max else builtin.avgpool2d)(kernel, stride, padding)
    at = description.layer.concrete_sizes()
    gradients = concrete_gradients(description.layer, at)
    shape = tuple(int(sympify(dim).subs(at)) for dim in description.operands["input"].shape)
    extra = {"input_shape": shape, "kernel": kernel, "stride": stride, "padding": padding}
    given = {}
    if is_max:
        argmax = pool_rules.maxpool_argmax(np.random.default_rng(0).standard_normal(shape), kernel, stride, padding)
        given = {entry: int((ix[4] - 1) * kernel + ix[5] - 1 == argmax[tuple(i - 1 for i in ix[:4])])
                 for ix, entry in gradients.entries["A"]}
        extra["argmax"] = argmax
    _, numeric = description_check(description, at, "input", rule.numeric_rule, ("grad_output",), gradients=gradients,
                                   extra=extra, check_claim=False, given=given)
    return description, at, numeric


FLATTEN_SHAPES = ((1, 2, 3, 2), (2, 3, 2, 2))


def verify_flatten_layer(entry: LayerEntry, sizes: Mapping[str, int]) -> dict[str, RuleVerdicts]:
    """Flatten: the derived dS is the inverse reshape of G, for two NCHW shapes."""
    outcomes = [verify_flatten_shape(shape) for shape in FLATTEN_SHAPES]
    failed = next((shape for shape, ok in zip(FLATTEN_SHAPES, outcomes) if not ok), None)
    concrete = (Verdict(True, f"exact for shapes {FLATTEN_SHAPES}") if failed is None
                else Verdict(False, f"differs for shape {failed}"))
    general = _not_attempted("a reshape; checked at the concrete shapes")
    description = builtin.FLATTEN
    at = description.layer.concrete_sizes()
    shape = tuple(int(sympify(dim).subs(at)) for dim in description.operands["input"].shape)
    verdicts = {}
    for rule in entry.rules:
        _, numeric = description_check(description, at, "input", rule.numeric_rule, ("grad_output",),
                                       extra={"input_shape": shape})
        verdicts[rule.name] = _with_description(RuleVerdicts(concrete, general, BY_CONSTRUCTION), description, at,
                                                None, numeric, rule.numeric_rule.__name__)
    return verdicts



def verify_cross_entropy(entry: LayerEntry, sizes: Mapping[str, int]) -> dict[str, RuleVerdicts]:
    """Softmax cross-entropy averaged over a batch of 3 with 3 classes: SymPy's derivative of the loss
    against (softmax - onehot) / N computed by the numeric rule on symbols."""
    check = cross_entropy_check()
    concrete = (Verdict(True, "exact, batch 3, 3 classes", check) if check["holds"]
                else Verdict(False, f"derived {check['derived']}, rule {check['closed']}", check))
    general = _not_attempted("checked at batch 3, 3 classes")
    description = builtin.CROSS_ENTROPY
    at = description.layer.concrete_sizes()
    verdicts = {}
    for rule in entry.rules:
        claim, numeric = description_check(description, at, "logits", rule.numeric_rule,
                                           ("probabilities", "one_hot"))
        verdicts[rule.name] = _with_description(RuleVerdicts(concrete, general, BY_CONSTRUCTION), description, at,
                                                claim, numeric, rule.numeric_rule.__name__)
    return verdicts


def verify_objective(entry: LayerEntry, sizes: Mapping[str, int]) -> dict[str, RuleVerdicts]:
    """Seed 004's objective (3 parameters, 2 samples, the losses unknown functions) and seed 003's step."""
    check = objective_check()
    holds = {"objective.theta": check["holds"], "sgd.step": check["update_holds"]}
    verdicts = {}
    for rule in entry.rules:
        concrete = (Verdict(True, "exact, 3 parameters, 2 samples, losses unknown functions of theta", check)
                    if holds[rule.name] else Verdict(False, f"derived {check['derived']}, rule {check['closed']}",
                                                     check))
        verdicts[rule.name] = RuleVerdicts(concrete, _not_attempted("checked for 3 parameters"), BY_CONSTRUCTION)
    return verdicts
