"""How each layer entry of the rule table is derived and verified: one function per kind of equations.

Each function takes a ``LayerEntry`` and the sizes of the run and returns ``{rule name: RuleVerdicts}``. Every
gradient rule is decided by the description engine users' layers go through
(``symbolic.layers.gradients``: chain rule entry by entry, claims exact at sizes, index notation for every size),
from the built-in layer descriptions (``symbolic.layers.builtin``):

* ``verify_presentations`` (the FC rules): in every layout (PyTorch's batch, seed 000's columns, seed 001's
  rows summed or averaged) the rule's closed form is the claim of a layer description
  (``presentations.verify_presentation``): exact at the given sizes and for symbolic sizes; the numeric rule,
  run on symbols, is compared with the closed form and with the derived gradient (``description_check``).
* ``verify_conv``: ``builtin.conv2d``'s claims at each of ``CONV_GEOMETRIES`` (stride, padding, dilation):
  concrete = exact at each geometry's sizes; general = the engine's proof at each geometry AND
  ``conv_general``'s proof at symbolic stride, padding, dilation and kernel (``both_general``: either
  refutes); numeric = each numeric rule on the description's symbols == the derived gradient. Extra check,
  labelled as such: ``conv``'s own symengine equations (seed 004's matrices are built from them) over the
  208 geometries of ``conv.geometry_grid``.
* ``verify_pooling``: the same for max and average pooling at ``POOL_GEOMETRIES`` (kernel, stride, padding);
  a run combines the general verdict with network.pdf's proofs (``proofs.statements._general_by_rule``,
  through ``pool_general``); extra check: ``pooling.pooling_grid``'s 25 configurations (batch 2, kernel 4,
  padding 2, the numeric forward).
* ``verify_cross_entropy``: ``builtin.CROSS_ENTROPY``'s claim (P - T)/N, exact at N = K = 3 and for every N, K.
* ``verify_flatten_layer``: ``builtin.FLATTEN``'s claim, exact at its sizes and for every size (the index
  algebra finished by ``indicators.sift_in_range``, an exact rule for a flat index inside its sum's range).
* ``verify_objective``: seed 004's objective: ``builtin.OBJECTIVE``'s claims (a Linear layer's squared error
  per sample), exact at its sizes and for every l, D_in, D_out, AND the generic form (losses xi_i(theta)
  unknown functions of theta, which a description cannot state) by SymPy at 3 parameters and 2 samples against
  the numeric rule on symbols; seed 003's step (a definition, not a gradient) by SymPy at 3 parameters.

A failure anywhere refutes: a claim refuted at one geometry makes the concrete verdict False (and the general
one, ``gradients.verify_claims`` refutes its proof); a numeric rule differing from a derived gradient makes the
numeric verdict False; a failing extra check refutes the concrete and numeric verdicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from sympy import sympify

from gradproof.numeric.rules import pooling as pool_rules
from gradproof.symbolic.engine.derive import numeric_rule_mismatch
from gradproof.symbolic.engine.rule import GradientRule, LayerEntry, RuleVerdicts, Verdict
from gradproof.symbolic.layers import builtin, conv
from gradproof.symbolic.layers.conv_general import general_proofs
from gradproof.symbolic.layers.gradients import compare_concrete, concrete_gradients, general_verdict, verify_claims
from gradproof.symbolic.layers.losses import objective_check
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


# --- the built-in descriptions decided at several geometries (Conv2d, pooling) --------------------------

@dataclass(frozen=True)
class EngineCheck:
    """One built-in description decided by the description engine at one geometry.

    ``geometry`` is (stride, padding, dilation) for Conv2d, (kernel, stride, padding) for pooling; ``sizes``
    the description's sizes (symbol -> int) the claims were written out at; ``claims`` maps each claimed
    variable's name (X, W, b) to its ``gradients.ClaimVerdict`` (exact at ``sizes``, and a ``GeneralProof``
    for every size at this geometry); ``numeric`` maps each rule name to (holds, detail) of the numeric rule,
    run on the description's symbols, against the derived gradient (exact)."""

    geometry: tuple
    description: builtin.Builtin
    sizes: dict
    claims: dict
    numeric: dict


def _sizes_named(description: builtin.Builtin, overrides: Mapping[str, int]) -> dict:
    """The description's sizes ``layer.at`` with ``overrides`` (size name -> int) applied."""
    named = {str(symbol): symbol for symbol in description.layer.size_symbols()}
    unknown = sorted(set(overrides) - set(named))
    if unknown:
        raise KeyError(f"{description.layer.name}: no size {unknown}; sizes are {sorted(named)}")
    return description.layer.concrete_sizes({named[name]: value for name, value in overrides.items()})


def _engine_check(description: builtin.Builtin, geometry: tuple, overrides, rules, rule_arguments) -> EngineCheck:
    """``description`` written out at its sizes with ``overrides``; every claim verified (``verify_claims``);
    every rule's numeric function compared with the derived gradient (``description_check``);
    ``rule_arguments(rule, description, at, gradients, geometry)`` gives (operands, keyword arguments, given entries)."""
    at = _sizes_named(description, overrides)
    gradients = concrete_gradients(description.layer, at)
    claims = {verdict.name: verdict for verdict in verify_claims(description.layer, gradients)}
    numeric = {}
    for rule in rules:
        operands, extra, given = rule_arguments(rule, description, at, gradients, geometry)
        _, numeric[rule.name] = description_check(description, at, rule.wrt, rule.numeric_rule, operands,
                                                  gradients=gradients, extra=extra, check_claim=False, given=given)
    return EngineCheck(geometry, description, at, claims, numeric)


def _geometries_text(label: str, checks) -> str:
    """"(s, P, d) = (1, 0, 1), (2, 1, 2) at N = 1, C = 2, ... (K_h = 3 at (1, 0, 1))": each geometry and the
    sizes it was written out at (the first geometry's sizes, then what differs)."""
    first = {str(k): v for k, v in checks[0].sizes.items()}
    differing = []
    for check in checks[1:]:
        other = {str(k): v for k, v in check.sizes.items()}
        changed = ", ".join(f"{name} = {value}" for name, value in other.items() if first.get(name) != value)
        if changed:
            differing.append(f"{changed} at {check.geometry}")
    geometries = ", ".join(str(check.geometry) for check in checks)
    return (f"{label} = {geometries}, at {', '.join(f'{k} = {v}' for k, v in first.items())} for {checks[0].geometry}"
            + (f" ({'; '.join(differing)})" if differing else ""))


def _engine_concrete(claim: str, checks, label: str, extra: str = "") -> Verdict:
    """The rule's concrete verdict from the description engine's claim ``claim`` at every check's geometry:
    False at the first geometry refuting it, None if one is not decided, else True (``extra`` appended)."""
    for check in checks:
        verdict = check.claims[claim]
        if verdict.concrete is not True:
            sizes = ", ".join(f"{k} = {v}" for k, v in check.sizes.items())
            word = "refuted" if verdict.concrete is False else "not decided"
            return Verdict(verdict.concrete, f"{word} by the description engine at {label} = {check.geometry}, "
                                             f"{sizes}: {verdict.detail}", checks)
    return Verdict(True, f"exact on {len(checks)} geometries of the description engine, {_geometries_text(label, checks)}"
                   + extra, checks)


def engine_general(claim: str, checks, label: str) -> Verdict:
    """The description engine's general-size verdict of ``claim``: at each check's geometry a ``GeneralProof``
    for every size (index notation); True if all hold, False if one is refuted, else None."""
    return _general_of([(check.geometry, check.claims[claim].general) for check in checks], label)


def _general_of(proofs, label: str) -> Verdict:
    """[(geometry, GeneralProof)] -> one verdict: True if every proof holds, False if one is refuted, else None."""
    geometries = ", ".join(str(geometry) for geometry, _ in proofs)
    refuted = next(((geometry, proof) for geometry, proof in proofs if proof.holds is False), None)
    if refuted is not None:
        return Verdict(False, f"refuted at {label} = {refuted[0]}: {refuted[1].reason}", tuple(proofs))
    undecided = next(((geometry, proof) for geometry, proof in proofs if proof.holds is not True), None)
    if undecided is not None:
        return Verdict(None, f"not decided at {label} = {undecided[0]}: {undecided[1].reason}", tuple(proofs))
    return Verdict(True, f"every size at {label} = {geometries} (the description engine's index notation)",
                   tuple(proofs))


def _engine_numeric(rule: GradientRule, checks, label: str) -> Verdict:
    """The numeric rule, run on each description's symbols, == the derived gradient at every geometry."""
    for check in checks:
        holds, detail = check.numeric[rule.name]
        if holds is not True:
            return Verdict(holds, f"{rule.numeric_rule.__name__} vs the derived gradient of description "
                                  f"{check.description.layer.name}: {detail}", checks)
    names = ", ".join(check.description.layer.name for check in checks)
    return Verdict(True, f"{rule.numeric_rule.__name__} on symbols == the derived gradient of description {names}, "
                         "exact", checks)


def both_general(first: Verdict, second: Verdict, first_name: str, second_name: str, evidence=None) -> Verdict:
    """Two general-size verdicts of one rule combined: True only if both hold; False if either is refuted
    (its reason given); otherwise not decided. ``evidence`` (default: ``first.evidence``) is kept."""
    evidence = first.evidence if evidence is None else evidence
    for verdict, name in ((first, first_name), (second, second_name)):
        if verdict.holds is False:
            return Verdict(False, f"{name}: {verdict.detail}", evidence)
    if first.holds is True and second.holds is True:
        return Verdict(True, f"{first_name}: {first.detail}; and {second_name}: {second.detail}", evidence)
    undecided = [(name, verdict) for verdict, name in ((first, first_name), (second, second_name))
                 if verdict.holds is not True]
    return Verdict(None, "not decided: " + "; ".join(f"{name}: {verdict.detail}" for name, verdict in undecided),
                   evidence)


# --- Conv2d -----------------------------------------------------------------------------------------

CONV_GEOMETRIES: tuple[tuple[tuple[int, int, int], dict], ...] = (
    ((1, 0, 1), {"K_h": 3, "n_H": 3, "O": 1}),  # a 3 x 2 kernel on a 3 x 3 image: a flipped kernel shows
    ((2, 1, 2), {}),  # stride, padding and dilation at once, C = O = 2 (n_W = 3: the last column read only padded)
    ((2, 2, 1), {"C": 1, "n_H": 3}),  # stride != dilation (a claim swapping them is refuted here), padding 2
)
"""(stride, padding, dilation) of the description-engine checks of Conv2d, with the sizes changed from
``builtin.conv2d``'s (N = 1, C = 2, O = 2, n_H = 4, n_W = 3, K_h = 2, K_w = 2): stride 1-2, padding 0-2,
dilation 1-2, K_h != K_w at the first, n_H != n_W at the other two. Three small geometries: the written-out
padded entries cost about 1 s a geometry."""

CONV_LABEL = "(s, P, d)"


@dataclass(frozen=True)
class ConvEvidence:
    """The evidence of Conv2d's concrete verdict: the description engine's checks (``engine``, one per
    ``CONV_GEOMETRIES``) and the extra check on the seeds' own symengine equations (``grid``: one
    ``conv.ConvVerification`` per geometry of ``conv.geometry_grid``; ``forward_ok``: the numeric forward rule
    == those equations on every grid geometry). conv2d.pdf displays the grid (``conv_proof._grid_section``,
    which iterates over the evidence: iterating and ``len`` give the grid's results)."""

    engine: tuple
    grid: tuple
    forward_ok: bool

    def __iter__(self):  # the grid's results, as conv2d.pdf reads them
        return iter(self.grid)

    def __len__(self):
        return len(self.grid)


def conv_rule_operands(wrt: str, description: builtin.Builtin, at, geometry: tuple[int, int, int]):
    """The operand keys and keyword arguments of Conv2d's numeric rule for ``wrt`` (input, weight, bias) at
    ``geometry`` = (stride, padding, dilation) and the description's sizes ``at``."""
    stride, padding, dilation = geometry
    keywords = {"stride": stride, "padding": padding, "dilation": dilation}

    def shape(key):
        return tuple(int(sympify(dim).subs(at)) for dim in description.operands[key].shape)

    if wrt == "input":
        return ("grad_output", "weight"), {"input_shape": shape("input"), **keywords}
    if wrt == "weight":
        return ("grad_output", "input"), {"kernel": shape("weight")[2:], **keywords}
    return ("grad_output",), {}


def conv_engine_checks(rules) -> tuple[EngineCheck, ...]:
    """``builtin.conv2d`` decided at every ``CONV_GEOMETRIES`` entry (claims, and ``rules``' numeric functions)."""
    def arguments(rule, description, at, gradients, geometry):
        operands, extra = conv_rule_operands(rule.wrt, description, at, geometry)
        return operands, extra, None

    return tuple(_engine_check(builtin.conv2d(*geometry), geometry, overrides, rules, arguments)
                 for geometry, overrides in CONV_GEOMETRIES)


def _grid_failure(rule: GradientRule, results, forward_ok: bool) -> str | None:
    """The first failure of the extra check for ``rule`` (the seeds' equations over ``conv.geometry_grid``)."""
    forms = tuple(form for form, gradient in conv.DERIVED_FOR.items() if gradient == rule.wrt)
    for result in results:
        for form in forms:
            if result.mismatches[form] is not None:
                index, derived, claimed = result.mismatches[form]
                return (f"closed form {form} at {result.geometry}, entry {index}: derived {derived}, "
                        f"numeric rule {claimed}")
    return None if forward_ok else "the numeric forward rule differs from the seeds' scalar equations"


def _conv_general(proof) -> Verdict:
    """conv_general's verdict of one Conv2d gradient: symbolic stride, padding, dilation and kernel."""
    if proof.holds is True:
        return Verdict(True, "index notation, symbolic stride, padding, dilation and K_h × K_w kernel", proof)
    if proof.holds is False:
        return Verdict(False, f"the closed form is {proof.reason}", proof)
    return Verdict(None, "not decided: the normal forms differ and no instance refutes the closed form", proof)


def verify_conv(entry: LayerEntry, sizes: Mapping[str, int]) -> dict[str, RuleVerdicts]:
    """Conv2d's dX, dW, db decided by the description engine at ``CONV_GEOMETRIES``.

    concrete: ``builtin.conv2d``'s claims exact at each geometry's sizes; extra check: the seeds' own symengine
    equations (``conv``, which seed 004's matrices are built from) differentiated on the 208 geometries of
    ``conv.geometry_grid`` == the numeric rules (a failure refutes the concrete and the numeric verdict).
    general: the engine's ``GeneralProof`` at each geometry (every size there) and ``conv_general``'s
    proof at symbolic stride, padding, dilation and kernel (displayed in conv2d.pdf): holds only if both hold,
    a refutation from either refutes (``both_general``). numeric: each numeric rule, run on the description's
    symbols, == the derived gradient at each geometry.
    """
    checks = conv_engine_checks(entry.rules)
    grid = tuple(conv.verify(geometry) for geometry in conv.geometry_grid())
    forward_ok = all(conv.forward_matches_equations(geometry) for geometry in conv.geometry_grid())
    evidence = ConvEvidence(checks, grid, forward_ok)
    proofs = {proof.subject: proof for proof in general_proofs()}
    verdicts = {}
    for rule in entry.rules:
        claim = str(checks[0].description.operands[rule.wrt].label)
        failure = _grid_failure(rule, grid, forward_ok)
        extra = (f"; extra check: the seeds' scalar equations (symengine) on {len(grid)} grid configurations == "
                 "the numeric rules, forward rule == those equations")
        concrete = _engine_concrete(claim, checks, CONV_LABEL, extra)
        numeric = _engine_numeric(rule, checks, CONV_LABEL)
        if failure is not None:
            concrete = Verdict(False, f"extra check (the seeds' equations on the grid): {failure}", evidence)
            if numeric.holds is not False:
                numeric = Verdict(False, f"extra check (the seeds' equations on the grid): {failure}", checks)
        concrete = Verdict(concrete.holds, concrete.detail, evidence)
        general = both_general(_conv_general(proofs[rule.wrt]), engine_general(claim, checks, CONV_LABEL),
                               "conv_general (conv2d.pdf)", "description engine")
        verdicts[rule.name] = RuleVerdicts(concrete, general, numeric)
    return verdicts


# --- pooling ----------------------------------------------------------------------------------------

POOL_GEOMETRIES: tuple[tuple[tuple[int, int, int], dict], ...] = (
    ((2, 2, 0), {}),  # 4 x 5 image, 2 channels: the rows tile, the last column is left out (the floor)
    ((2, 1, 0), {"C": 1, "n_W": 3}),  # stride 1, overlapping windows: interior entries in four windows
    ((3, 3, 1), {"C": 1}),  # stride 3, padding 1, the last column left out
)
"""(kernel, stride, padding) of the description-engine checks of pooling, with the sizes changed from
``builtin._pool``'s (N = 1, C = 2, n_H = 4, n_W = 5): kernel 2-3, stride 1-3, padding 0-1, overlapping and
non-tiling windows. Three geometries (about 1 s each for max and average together); overlapping windows with
padding are in the extra check (``pooling.pooling_grid``: kernel 2 stride 1 padding 1, kernel 3 stride 2
padding 1, ...)."""

POOL_LABEL = "(k, s, P)"


@dataclass(frozen=True)
class PoolingEvidence:
    """The evidence of a pooling rule's concrete verdict: the description engine's checks (``engine``, one per
    ``POOL_GEOMETRIES`` entry) and the extra check ``grid``: ((N, C, n_H, n_W), kernel, stride, padding),
    (derived == numeric rule, numeric forward == equations) per configuration of ``pooling.pooling_grid``, on
    ``symbolic.layers.pooling``'s own symengine equations. Iterating gives the grid's pairs (network.pdf
    describes those configurations)."""

    engine: tuple
    grid: tuple

    def __iter__(self):
        return iter(self.grid)


def _pool_arguments(rule, description, at, gradients, geometry):
    """Operands, keyword arguments and given entries of a pooling rule at the description's geometry; max
    pooling's one-hot A is fixed by the argmax of a random input (computed by the numeric forward, as in
    training)."""
    kernel, stride, padding = geometry
    shape = tuple(int(sympify(dim).subs(at)) for dim in description.operands["input"].shape)
    extra = {"input_shape": shape, "kernel": kernel, "stride": stride, "padding": padding}
    given = {}
    if rule.name.startswith("max"):
        argmax = pool_rules.maxpool_argmax(np.random.default_rng(0).standard_normal(shape), kernel, stride, padding)
        given = {entry: int((ix[4] - 1) * kernel + ix[5] - 1 == argmax[tuple(i - 1 for i in ix[:4])])
                 for ix, entry in gradients.entries["A"]}
        extra["argmax"] = argmax
    return ("grad_output",), extra, given


def pool_engine_checks(rule: GradientRule) -> tuple[EngineCheck, ...]:
    """The rule's pooling description (max or average) decided at every ``POOL_GEOMETRIES`` entry."""
    make = builtin.maxpool2d if rule.name.startswith("max") else builtin.avgpool2d
    return tuple(_engine_check(make(*geometry), geometry, overrides, (rule,), _pool_arguments)
                 for geometry, overrides in POOL_GEOMETRIES)


def pool_general(rule: GradientRule) -> Verdict:
    """The description engine's general-size verdict of a pooling rule's claim at every ``POOL_GEOMETRIES``
    entry, without the concrete checks (``gradients.general_verdict``, about 0.05 s a geometry): what
    ``proofs.statements._general_by_rule`` combines with network.pdf's proofs. A run's concrete check
    (``verify_pooling``) refutes a wrong claim; this never does (``general_verdict`` alone is never False)."""
    make = builtin.maxpool2d if rule.name.startswith("max") else builtin.avgpool2d
    proofs = []
    for geometry, _ in POOL_GEOMETRIES:
        layer = make(*geometry).layer
        proofs.append((geometry, general_verdict(layer, "X", layer.inputs[0])))
    return _general_of(proofs, POOL_LABEL)


def verify_pooling(entry: LayerEntry, sizes: Mapping[str, int]) -> dict[str, RuleVerdicts]:
    """Max and average pooling decided by the description engine at ``POOL_GEOMETRIES``: the claim exact at
    each geometry's sizes (concrete), a ``GeneralProof`` for every size at each geometry (general; a run
    combines it with network.pdf's proofs, ``proofs.statements._general_by_rule``), and the numeric rule on the
    description's symbols == the derived gradient (numeric).

    Extra check (``pooling.pooling_grid``, 25 configurations): ``symbolic.layers.pooling``'s own symengine
    equations differentiated == the numeric rule, and the numeric forward == those equations. It covers what
    the three engine geometries do not: batch 2, kernel 4, padding 2, 7 x 6 and 6 x 8 images, and the numeric
    forward rule, overlapping windows with padding. A failure there refutes the concrete and the numeric verdict."""
    grid = list(pooling_grid())
    outcomes = {"maxpool2d.input": tuple(zip(grid, (verify_maxpool(*config) for config in grid))),
                "avgpool2d.input": tuple(zip(grid, (verify_avgpool(*config) for config in grid)))}
    verdicts = {}
    for rule in entry.rules:
        checks = pool_engine_checks(rule)
        evidence = PoolingEvidence(checks, outcomes[rule.name])
        extra = f"; extra check: the pooling module's scalar equations on {len(grid)} configurations == the numeric rule"
        concrete = _engine_concrete("X", checks, POOL_LABEL, extra)
        numeric = _engine_numeric(rule, checks, POOL_LABEL)
        failed = next((config for config, ok in evidence.grid if not all(ok)), None)
        if failed is not None:
            text = f"extra check: differs at (shape, kernel, stride, padding) = {failed}"
            concrete = Verdict(False, text)
            numeric = numeric if numeric.holds is False else Verdict(False, text, checks)
        verdicts[rule.name] = RuleVerdicts(Verdict(concrete.holds, concrete.detail, evidence),
                                           engine_general("X", checks, POOL_LABEL), numeric)
    return verdicts


FLATTEN_SHAPES = ((1, 2, 3, 2), (2, 3, 2, 2))

def verify_flatten_layer(entry: LayerEntry, sizes: Mapping[str, int]) -> dict[str, RuleVerdicts]:
    """Flatten decided by the description engine from ``builtin.FLATTEN``'s claim dX[n, c, h, w] =
    G[n, (c - 1) n_H n_W + (h - 1) n_W + w]: exact at its sizes (concrete), for every size by the index algebra
    finished by ``indicators.sift_in_range`` (general, in the engine's ``general_verdict``), and the numeric rule on the description's
    symbols == the derived gradient (numeric). Extra check: ``pooling.verify_flatten``'s own symengine
    equations at ``FLATTEN_SHAPES`` (derived == inverse reshape, numeric forward == equations); a failure
    there refutes the concrete and numeric verdicts. The concrete evidence carries every shape checked."""
    description = builtin.FLATTEN
    at = description.layer.concrete_sizes()
    shape = tuple(int(sympify(dim).subs(at)) for dim in description.operands["input"].shape)
    gradients = concrete_gradients(description.layer, at)
    claims = verify_claims(description.layer, gradients)
    outcomes = [verify_flatten_shape(extra_shape) for extra_shape in FLATTEN_SHAPES]
    failed = next((extra_shape for extra_shape, ok in zip(FLATTEN_SHAPES, outcomes) if not ok), None)
    where = f"description {description.layer.name} at {_sizes_of(at)}"
    verdicts = {}
    for rule in entry.rules:
        claim, (holds, detail) = description_check(description, at, "input", rule.numeric_rule, ("grad_output",),
                                                   gradients=gradients, claims=claims, extra={"input_shape": shape})
        evidence = {"shapes": (shape, *FLATTEN_SHAPES), "claim": claim}
        concrete = Verdict(claim.concrete, f"{'exact' if claim.concrete else claim.detail}, {where}, by the "
                           f"description engine; extra check: the inverse reshape at shapes {FLATTEN_SHAPES}",
                           evidence)
        numeric = Verdict(holds, f"{rule.numeric_rule.__name__} on symbols == the derived gradient of {where}"
                          if holds else f"{rule.numeric_rule.__name__} vs {where}: {detail}")
        if failed is not None:
            concrete = Verdict(False, f"extra check: the inverse reshape differs for shape {failed}", evidence)
            numeric = numeric if numeric.holds is False else Verdict(False, concrete.detail)
        proof = claim.general  # the engine finishes it by indicators.finish_by_flat_index_sift
        general = (Verdict(True, "every N, C, n_H, n_W: index notation, sifting over the flat index "
                                 "(indicators.sift_in_range)", proof) if proof.holds is True
                   else Verdict(proof.holds, proof.reason if proof.holds is False else f"not decided: {proof.reason}",
                                proof))
        verdicts[rule.name] = RuleVerdicts(concrete, general, numeric)
    return verdicts


def verify_cross_entropy(entry: LayerEntry, sizes: Mapping[str, int]) -> dict[str, RuleVerdicts]:
    """Softmax cross-entropy decided by the description engine from ``builtin.CROSS_ENTROPY``'s claim
    dL/dZ_pq = (P_pq - T_pq)/N: exact at its sizes (batch N = 3, K = 3 classes; concrete), its
    ``GeneralProof`` for every N and K (general; a run combines it with network.pdf's proof,
    ``proofs.statements._general_by_rule``), and the numeric rule on the description's symbols (P the
    softmax of Z, T one-hot) == the derived gradient (numeric)."""
    description = builtin.CROSS_ENTROPY
    at = description.layer.concrete_sizes()
    gradients = concrete_gradients(description.layer, at)
    claims = verify_claims(description.layer, gradients)
    where = f"description {description.layer.name} at {_sizes_of(at)}"
    verdicts = {}
    for rule in entry.rules:
        claim, (holds, detail) = description_check(description, at, "logits", rule.numeric_rule,
                                                   ("probabilities", "one_hot"), gradients=gradients, claims=claims)
        concrete = Verdict(claim.concrete, f"{'exact' if claim.concrete else claim.detail}, {where}, by the "
                                           "description engine", claim)
        general = _claim_general(claim, CROSS_ENTROPY_EVERY)
        numeric = Verdict(holds, f"{rule.numeric_rule.__name__} on symbols == the derived gradient of {where}"
                          if holds else f"{rule.numeric_rule.__name__} vs {where}: {detail}")
        verdicts[rule.name] = RuleVerdicts(concrete, general, numeric)
    return verdicts


def cross_entropy_general() -> Verdict:
    """The description engine's general-size verdict of ``builtin.CROSS_ENTROPY``'s claim alone (about 0.02 s):
    what ``proofs.statements._general_by_rule`` combines with network.pdf's proof."""
    layer = builtin.CROSS_ENTROPY.layer
    proof = general_verdict(layer, "Z", layer.inputs[0])
    if proof.holds is True:
        return Verdict(True, f"{CROSS_ENTROPY_EVERY}, by the description engine's index notation", proof)
    return Verdict(None, f"not decided: {proof.reason}", proof)


CROSS_ENTROPY_EVERY = "every batch size N and number of classes K"


def objective_general() -> Verdict:
    """The description engine's general-size verdict of ``builtin.OBJECTIVE``'s claims dW, db alone: what
    ``proofs.statements._general_by_rule`` combines with network.pdf's proofs of seed 004 (1), (2)."""
    layer = builtin.OBJECTIVE.layer
    proofs = [general_verdict(layer, name, variable) for name, variable in (("W", layer.parameters[0]),
                                                                           ("b", layer.parameters[1]))]
    undecided = next((proof for proof in proofs if proof.holds is not True), None)
    if undecided is None:
        return Verdict(True, f"{OBJECTIVE_EVERY}, by the description engine's index notation", tuple(proofs))
    return Verdict(None, f"not decided: {undecided.reason}", tuple(proofs))


OBJECTIVE_EVERY = "every l, D_in, D_out (per-sample loss a Linear layer's squared error)"


def _claim_general(claim, every: str) -> Verdict:
    """A ``ClaimVerdict``'s general-size verdict as the rule table's: proved for ``every`` size, refuted, or not
    decided (the engine's reason)."""
    proof = claim.general
    if proof.holds is True:
        return Verdict(True, f"{every}, by the description engine's index notation", proof)
    return Verdict(proof.holds, proof.reason if proof.holds is False else f"not decided: {proof.reason}", proof)


def verify_objective(entry: LayerEntry, sizes: Mapping[str, int]) -> dict[str, RuleVerdicts]:
    """Seed 004's objective and seed 003's step.

    objective.theta: the generic rule df/dtheta = theta / C + mean data gradient, SymPy at 3 parameters and 2
    samples with the losses unknown functions of theta (``losses.objective_check``; the numeric rule on symbols),
    AND the description engine on ``builtin.OBJECTIVE``, the instance whose per-sample loss is a Linear layer's
    squared error: its claims dW, db exact at its sizes (concrete) and proved for every l, D_in, D_out (general).
    Either refutes. sgd.step (M_new = M_old - mu df/dM) is a definition, not a gradient: SymPy at 3 parameters."""
    check = objective_check()
    description = builtin.OBJECTIVE
    at = description.layer.concrete_sizes()
    claims = verify_claims(description.layer, concrete_gradients(description.layer, at))
    where = f"description {description.layer.name} at {_sizes_of(at)}"
    engine_concrete = [claim for claim in claims if claim.concrete is not True]
    engine_general = [claim for claim in claims if claim.general.holds is not True]
    verdicts = {}
    for rule in entry.rules:
        generic = "exact, 3 parameters, 2 samples, losses unknown functions of theta"
        if rule.name == "sgd.step":
            concrete = (Verdict(True, generic, check) if check["update_holds"]
                        else Verdict(False, f"derived {check['derived']}, rule {check['closed']}", check))
            verdicts[rule.name] = RuleVerdicts(concrete, _not_attempted("checked for 3 parameters"), BY_CONSTRUCTION)
            continue
        if not check["holds"]:
            concrete = Verdict(False, f"derived {check['derived']}, rule {check['closed']}", check)
        elif engine_concrete:
            failed = engine_concrete[0]
            concrete = Verdict(failed.concrete, f"{where}: d f/d {failed.name}: {failed.detail}", check)
        else:
            concrete = Verdict(True, f"{generic}; and {where}: dW, db exact, by the description engine", check)
        if concrete.holds is False:
            general = Verdict(False, "refuted at concrete sizes (counterexample in the concrete column)")
        elif engine_general:
            general = Verdict(None, f"not decided: {where}: {engine_general[0].general.reason}")
        else:
            general = Verdict(True, f"{OBJECTIVE_EVERY}, by the description engine's index notation",
                              tuple(claim.general for claim in claims))
        verdicts[rule.name] = RuleVerdicts(concrete, general, BY_CONSTRUCTION)
    return verdicts
