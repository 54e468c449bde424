"""The ``gradproof`` command: a thin layer over the Python API (symbolic, proofs, numeric).

Exit codes, and only these meanings:

* 0: everything asked for was verified (a claim holds);
* 1: something does not hold (a refuted rule or claim, printed with its counterexample; a failed
  finite-difference check) or a PDF asked for could not be built;
* 2: bad input (unknown target, bad --sizes or --shape, an expression that cannot be parsed or whose
  operands do not conform, unwritable --out, a missing optional dependency).

Any other exception is a bug in gradproof: it is not caught, and Python prints its traceback.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
from pathlib import Path

from gradproof.proofs import builtin_command, layer_command
from gradproof.proofs.compile import (
    TEX_INSTALL_HINT,
    LatexError,
    OutputError,
    compile_pdf,
    publish,
    staging_directory,
    tex_available,
)
from gradproof.proofs.document import render
from gradproof.proofs.report import run_all, write_proof
from gradproof.proofs.targets import SIZE_ROLES, TARGET_NAMES, TARGETS, target_named
from gradproof.symbolic.engine.equations import sizes_text
from gradproof.symbolic.engine.errors import InvalidInput, NotSupported
from gradproof.symbolic.layers.builtin import BUILTIN_NAMES

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def parse_sizes(text: str) -> dict[str, int]:
    """'batch=2,in=3' -> {'batch': 2, 'in': 3}; raises argparse.ArgumentTypeError on bad input."""
    sizes = named_sizes(text)
    for role in sizes:
        if role not in SIZE_ROLES:
            raise argparse.ArgumentTypeError(f"unknown size {role!r}; sizes are {', '.join(SIZE_ROLES)}")
    return sizes


def named_sizes(text: str) -> dict[str, int]:
    """--sizes of derive/prove: 'N=3,D=2' -> {'N': 3, 'D': 2}, each NAME=INT with INT >= 1. Which names are
    valid depends on the target: a built-in target's roles (``parse_sizes``), a layer file's size names
    (``layer_command``, which names the valid ones)."""
    sizes = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = (part.strip() for part in item.partition("="))
        if not name.isidentifier():
            raise argparse.ArgumentTypeError(f"expected NAME=INT such as batch=2 or N=3, got {item!r}")
        if not value.isdigit() or int(value) < 1:
            raise argparse.ArgumentTypeError(f"size {name} must be an integer >= 1, got {value!r}")
        if name in sizes:
            raise argparse.ArgumentTypeError(f"expected each size once, got {name} twice in {text!r}")
        sizes[name] = int(value)
    return sizes


def _target_sizes(sizes: dict[str, int]) -> dict[str, int]:
    """The --sizes of a built-in target (fc, kron, conv2d, network): roles only."""
    try:
        return parse_sizes(",".join(f"{name}={value}" for name, value in sizes.items()))
    except argparse.ArgumentTypeError as error:
        raise InvalidInput(f"--sizes: {error}") from None


def target_name(text: str) -> str:
    """Validate a target name or a layer file (FILE.py[:Class]); an unknown one lists the valid targets."""
    if text not in TARGET_NAMES and not layer_command.is_layer_file(text) and not builtin_command.is_builtin(text):
        path = text.partition(":")[0]
        if path.endswith(".py"):
            raise argparse.ArgumentTypeError(f"layer file {path!r}: expected an existing Python file, got no such file")
        raise argparse.ArgumentTypeError(f"unknown target {text!r}; valid targets: {', '.join(TARGET_NAMES)}, "
                                         f"a built-in layer ({', '.join(BUILTIN_NAMES)}), "
                                         "or a layer file FILE.py[:Class]")
    return text


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)) for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _targets(names: list[str]):
    return [target_named(name) for name in (names or TARGET_NAMES)]


def command_list(args) -> int:
    for target in TARGETS:
        print(f"{target.name}: {target.description}")
        for name, seed_ref in target.listing():
            print(f"  {name:32s} {seed_ref}")
    print("built-in layers (descriptions; gradproof derive|check|prove NAME, as for a layer file):")
    print("  " + ", ".join(BUILTIN_NAMES))
    return EXIT_OK


def command_derive(args) -> int:
    if layer_command.is_layer_file(args.target):
        return EXIT_OK if layer_command.derive_file(args.target, sizes=args.sizes or None) else EXIT_FAILED
    if builtin_command.is_builtin(args.target):
        return EXIT_OK if builtin_command.derive_builtin(args.target, sizes=args.sizes or None) else EXIT_FAILED
    target = target_named(args.target)
    sizes = {**target.default_sizes, **_target_sizes(args.sizes)}
    derivation = target.derive(sizes)
    rows = []
    for result in derivation.rules:
        rows.extend(_derive_rows(result))
    print(f"sizes: {sizes_text(sizes)}")
    print(_table(rows, ("rule or identity", "layout or source", "statement", "concrete sizes", "general sizes")))
    for label, holds, detail in derivation.extras:
        print(f"{label}: {'holds' if holds else 'FAILS'} ({detail})")
    return EXIT_OK if derivation.ok else EXIT_FAILED


def _verdict(ok) -> str:
    return "-" if ok is None else ("holds" if ok else "FAILS")


def _derive_rows(result) -> list[tuple[str, ...]]:
    """Table rows for one rule (one row per layer of evidence) or one identity, from the run's result."""
    if not hasattr(result, "verdicts"):
        return [(result.name, result.seed_ref, result.statement, result.concrete_text, result.general_text)]
    verdicts = result.verdicts
    return [
        (result.name, "scalar equations", result.rule.summary, result.concrete_text, result.general_text),
        (result.name, "numeric rule", result.rule.numeric_rule.__name__,
         f"{_verdict(verdicts.numeric.holds)} ({verdicts.numeric.detail})", "-"),
    ]


def command_prove(args) -> int:
    files = [name for name in args.targets if layer_command.is_layer_file(name) or builtin_command.is_builtin(name)]
    if files:
        if len(files) != len(args.targets):
            raise InvalidInput(f"prove: give either layer files (or built-in layers) or targets, got {args.targets}")
        results = [builtin_command.prove_builtin(name, args.out, args.pdf, write_document, sizes=args.sizes or None)
                   if builtin_command.is_builtin(name) else layer_command.prove_file(name, args.out, args.pdf,
                                                                                     write_document,
                                                                                     sizes=args.sizes or None)
                   for name in files]
        return EXIT_OK if all(results) else EXIT_FAILED
    staging = staging_directory(args.out)
    keep, failed = [], False
    try:
        for target in _targets(args.targets):
            sizes = {**target.default_sizes, **_target_sizes(args.sizes)}
            tex, pdf, error = write_proof(target, staging, sizes, args.pdf)
            keep += [name for name in (tex, pdf) if name]
            if args.pdf and not pdf:
                failed = True
                print(f"{target.name}: PDF not built: {error}", file=sys.stderr)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # whole or nothing: no staging directory left behind
        raise
    for path in publish(staging, args.out, tuple(keep)):
        print(f"wrote {path}")
    if not args.pdf:
        print("compile with --pdf" + ("" if tex_available() else f" ({TEX_INSTALL_HINT})"))
    return EXIT_FAILED if failed else EXIT_OK


def command_check(args) -> int:
    if args.against == "torch":
        from gradproof.proofs.torch_oracle import INSTALL_HINT, against_torch

        if importlib.util.find_spec("torch") is None:
            print(f"gradproof: {INSTALL_HINT}", file=sys.stderr)
            return EXIT_BAD_INPUT
        reports = against_torch(args.seed)
    elif any(layer_command.is_layer_file(name) or builtin_command.is_builtin(name) for name in args.targets):
        if not all(layer_command.is_layer_file(name) or builtin_command.is_builtin(name) for name in args.targets):
            raise InvalidInput(f"check: give either layer files (or built-in layers) or targets, got {args.targets}")
        method = None if args.method == "central" else args.method
        results = [builtin_command.check_builtin(name, args.seed, method) if builtin_command.is_builtin(name)
                   else layer_command.check_file(name, args.seed, method) for name in args.targets]
        return EXIT_OK if all(results) else EXIT_FAILED
    else:
        reports = [report for target in _targets(args.targets) for report in target.check(args.seed, args.method)]
    print(_table([report.row() for report in reports],
                 ("check", "method", "evals", "max abs", "max rel", "worst entry", "status")))
    return EXIT_OK if all(report.passed for report in reports) else EXIT_FAILED


def command_all(args) -> int:
    outcome = run_all(args.out, sizes_override=args.sizes, want_pdf=not args.no_pdf, seed=args.seed,
                      progress=lambda message: print(message, flush=True))
    for path in outcome.files:
        print(f"wrote {path}")
    missing = [o for o in outcome.targets if not args.no_pdf and not o.pdf]
    for error in dict.fromkeys(o.pdf_error for o in missing):  # each distinct reason once
        names = ", ".join(o.target.name for o in missing if o.pdf_error == error)
        print(f"PDF not built for {names}: {error}", file=sys.stderr)
    if all(o.derivation.ok and o.checks_ok for o in outcome.targets):
        print("all verified" + (", but some PDFs were not built (see above)" if missing else ""))
    else:
        print("FAILURES: see report.md")
    return EXIT_OK if outcome.ok else EXIT_FAILED


def command_train(args) -> int:
    from gradproof.proofs.training import progress_bar, train_digits

    history, seconds, files = train_digits(
        args.out, epochs=args.epochs, seed=args.seed, batch_size=args.batch_size, lr=args.lr,
        regularization=args.regularization, progress=progress_bar(),
    )
    for path in files:
        print(f"wrote {path}")
    print(f"final test accuracy: {history.test_accuracy[-1]:.2%} ({seconds:.1f} s, {args.epochs} epochs, seed {args.seed})")
    return EXIT_OK


def command_verify(args) -> int:
    """verify: exit 0 if the claim holds, 1 with a counterexample if not, 2 for bad or unsupported input."""
    from gradproof.proofs import verify

    _check_verify_arguments(args)
    operands = verify.parse_shapes(args.shape)
    scalars = verify.parse_scalars(args.scalar, operands)
    verify.check_sizes(operands, args.sizes, required=args.claim is not None)
    if args.out:
        staging_directory(args.out).rmdir()  # fail early, before any work, if --out is unwritable
    try:
        if args.claim is not None:
            holds, document = _verify_gradient(args, operands, scalars)
        else:
            holds, document = _verify_identity(args, operands, scalars)
    except NotSupported as error:  # valid input the engine cannot evaluate: not decided, which does not pass
        print(f"gradproof: not decided: not supported by the checker: {error}", file=sys.stderr)
        return EXIT_FAILED
    if args.out:
        for path in write_document(document, args.out, "claim", args.pdf):
            print(f"wrote {path}")
    return EXIT_OK if holds else EXIT_FAILED


def _check_verify_arguments(args) -> None:
    if (args.claim is None) == (args.equals is None):
        given = "both" if args.claim is not None else "neither"
        raise InvalidInput(f"give exactly one of --claim GRADIENT (with --wrt) or --equals RHS; got {given}")
    if args.claim is not None and not args.wrt:
        raise InvalidInput("--claim needs --wrt NAME, the operand the gradient is taken with respect to; got no --wrt")
    if args.equals is not None and args.wrt:
        raise InvalidInput(f"--wrt {args.wrt}: expected only with --claim (a gradient); --equals states an identity")
    if args.pdf and not args.out:
        raise InvalidInput("--pdf needs --out DIR, where claim.tex and claim.pdf are written; got no --out")


def _verify_gradient(args, operands, scalars):
    from gradproof.proofs import verify

    claim = verify.gradient_claim(args.expression, args.claim, operands, args.wrt, scalars)
    verdict, fd_report, general = verify.run_gradient(claim, args.sizes or {})
    if verdict.holds:
        print(f"HOLDS at sizes {sizes_text(verdict.sizes)}: {verify.evidence_text(verdict)}")
    else:
        print(f"DOES NOT HOLD at sizes {sizes_text(verdict.sizes)} (exact)")
        print("counterexample: " + verify.counterexample_text(verdict.counterexample))
    print("\n".join(verify.finite_difference_lines(fd_report)))
    print("general sizes: " + verify.general_text(general))
    return verdict.holds, verify.gradient_document(verdict, fd_report, general) if args.out else None


def _verify_identity(args, operands, scalars):
    from gradproof.proofs import verify

    claim = verify.identity_claim(args.expression, args.equals, operands, scalars)
    results = verify.run_identity(claim, args.sizes)
    refuted = next((r for r in results if not r.holds), None)
    if refuted is None:
        print(verify.identity_holds_text(results))
    else:
        print("DOES NOT HOLD: " + verify.mismatch_text(refuted))
    return refuted is None, verify.identity_document(claim, results) if args.out else None


def command_grad(args) -> int:
    """grad: derive, check, then show; exit 1 if a check fails (nothing shown as the answer), 2 for bad input."""
    from gradproof.proofs import grad_command

    if args.out:
        staging_directory(args.out).rmdir()  # fail early, before any work, if --out is unwritable
    return grad_command.run(args, write_document)


def write_document(document, out: Path, stem: str, pdf: bool) -> list[Path]:
    """Render (and compile) a document in a staging directory; publish it whole or not at all."""
    staging = staging_directory(out)
    try:
        keep = [f"{stem}.tex"]
        (staging / keep[0]).write_text(render(document), encoding="utf-8")
        if pdf:
            keep.append(compile_pdf(staging / keep[0]).name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return publish(staging, out, tuple(keep))


def _dimension_sizes(text: str) -> dict[str, int]:
    """--sizes of verify: 'm=3,n=4' -> {'m': 3, 'n': 4}; each name once, each size an integer >= 1."""
    sizes = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = (part.strip() for part in item.partition("="))
        if not name.isidentifier() or not value.isdigit() or int(value) < 1:
            raise argparse.ArgumentTypeError(f"expected NAME=INT (INT >= 1) such as m=3, got {item!r}")
        if name in sizes:
            raise argparse.ArgumentTypeError(f"expected each dimension once, got {name} twice in {text!r}")
        sizes[name] = int(value)
    return sizes


def _positive(kind):
    def parse(text):
        value = kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


LAYER_FILE_NOTE = ("   A layer file FILE.py[:NumPyClass] (see examples/) is Python: loading it runs that file's own code, as pytest runs a test file.")

EPILOG = {
    "list": "example: gradproof list",
    "derive": "example: gradproof derive fc --sizes batch=2,in=4,out=3   or: gradproof derive examples/bilinear.py"
              "   or a built-in layer: gradproof derive linear." + LAYER_FILE_NOTE,
    "prove": "example: gradproof prove fc --out proofs-out --pdf   or: gradproof prove examples/bilinear.py --out DIR "
             "--pdf." + LAYER_FILE_NOTE,
    "check": "example: gradproof check fc --method complex   (or: gradproof check --against torch)   or: gradproof "
             "check examples/bilinear.py:Bilinear (a layer file: complex step where its functions allow, unless "
             "--method richardson/complex)." + LAYER_FILE_NOTE,
    "all": "example: gradproof all --out out/",
    "train": "example: gradproof train digits --epochs 25 --seed 0 --out train-out",
    "verify": ('example: gradproof verify --shape W=m,n --shape x=n,1 --shape b=m,1 --shape t=m,1 --sizes m=3,n=4 '
               '--wrt W --claim "2*(W*x+b-t)*x.T" "(W*x+b-t).T*(W*x+b-t)"'),
    "grad": ('examples: gradproof grad --shape X=n,n --wrt X "logdet(X)";  gradproof grad --shape A=m,n --shape x=n,1 '
             '--shape b=m,1 --scalar lam --wrt x "norm2(A*x-b)**2 + lam*norm2(x)**2";  --hessian for the second '
             'derivative; a matrix-valued expression gives its vec-Jacobian'),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradproof",
        description="Derive, prove and cross-check neural-network layer gradients.",
        epilog="example: gradproof all --out out/   (then open out/report.md and out/fc.pdf)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name, help_text, function):
        sub = commands.add_parser(name, help=help_text, description=help_text, epilog=EPILOG[name])
        sub.set_defaults(function=function)
        return sub

    sizes_help = f"sizes as role=int, comma separated; roles: {', '.join(SIZE_ROLES)}"
    add("list", "list the targets and their rules", command_list)
    derive = add("derive", "derive a target's gradients from scalar equations and verify them", command_derive)
    derive.add_argument("target", type=target_name,
                        help=f"one of: {', '.join(TARGET_NAMES)}, or a layer file FILE.py (runs its Python)")
    layer_sizes_help = sizes_help + "; for a layer file its own size names, e.g. N=3,D=2"
    derive.add_argument("--sizes", type=named_sizes, default={}, help=layer_sizes_help)
    prove = add("prove", "write LaTeX proofs (and PDFs with --pdf)", command_prove)
    prove.add_argument("targets", nargs="*", type=target_name, metavar="TARGET",
                       help=f"targets (default: all): {', '.join(TARGET_NAMES)}, or layer files FILE.py[:Class] (runs their Python)")
    prove.add_argument("--out", type=Path, default=Path("proofs-out"), help="output directory")
    prove.add_argument("--pdf", action="store_true", help="compile each proof with latexmk")
    prove.add_argument("--sizes", type=named_sizes, default={}, help=layer_sizes_help)
    check = add("check", "finite-difference cross-checks of the numeric layers", command_check)
    check.add_argument("targets", nargs="*", type=target_name, metavar="TARGET",
                       help=f"targets (default: all): {', '.join(TARGET_NAMES)}, or layer files FILE.py[:Class] (runs their Python)")
    check.add_argument("--seed", type=int, default=0, help="random seed of the test points")
    check.add_argument("--method", choices=["central", "richardson", "complex"], default="central",
                       help="numeric derivative: central differences (default), 4th-order Richardson, complex step")
    check.add_argument("--against", choices=["torch"], help="compare with PyTorch autograd instead (optional extra)")
    run = add("all", "derive, prove and check everything; write DIR/report.md and the PDFs", command_all)
    run.add_argument("--out", type=Path, required=True, help="output directory")
    run.add_argument("--sizes", type=parse_sizes, default={}, help=sizes_help)
    run.add_argument("--no-pdf", action="store_true", help="write .tex only, do not compile")
    run.add_argument("--seed", type=int, default=0, help="random seed of the numeric checks")
    fit = add("train", "train the CNN (conv-ReLU-pool x2, FC) on scikit-learn's 8x8 digits with numeric/ only",
              command_train)
    fit.add_argument("dataset", choices=["digits"], help="the data set: digits (ships with scikit-learn)")
    fit.add_argument("--epochs", type=_positive(int), default=25)
    fit.add_argument("--seed", type=int, default=0, help="seeds the split, the initial weights and the batches")
    fit.add_argument("--batch-size", type=_positive(int), default=32)
    fit.add_argument("--lr", type=_positive(float), default=0.05, help="initial learning rate (cosine decay)")
    fit.add_argument("--regularization", type=_positive(float), default=1000.0, help="C of (1/2C)||theta||^2")
    fit.add_argument("--out", type=Path, default=Path("train-out"), help="where the .npz and the .png go")
    claim = add("verify", "check a gradient claim (--claim, --wrt) or an identity (--equals), exactly", command_verify)
    claim.add_argument("expression", help="the scalar objective, or the left side of an identity; names: the "
                       "operands, scalars and dimensions; + - * @ / **, .T, tr det inv log exp sqrt vec vec_r kron eye; "
                       "nothing else (write --claim=-... for a value starting with -)")
    claim.add_argument("--shape", action="append", default=[], metavar="NAME=ROWS,COLS", help="declare an operand")
    claim.add_argument("--scalar", action="append", default=[], metavar="NAME", help="declare a scalar parameter")
    claim.add_argument("--sizes", type=_dimension_sizes, default=None, help="dimension sizes, e.g. m=3,n=4")
    claim.add_argument("--wrt", help="the operand of the gradient")
    claim.add_argument("--claim", help="the claimed gradient, with the shape of --wrt")
    claim.add_argument("--equals", help="the right side of an identity claim")
    claim.add_argument("--out", type=Path, help="write claim.tex (a proof or a refutation) into this directory")
    claim.add_argument("--pdf", action="store_true", help="with --out: compile claim.tex")
    derive_grad = add("grad", "derive a gradient, vec-Jacobian or Hessian by differentials; checked before shown",
                      command_grad)
    derive_grad.add_argument("expression", help="a scalar (gradient, --hessian) or matrix (vec-Jacobian) expression in "
                             "verify's language, plus entrywise sin cos tan arcsin arccos arctan exp log sqrt tanh "
                             "sigmoid abs sign relu, hadamard hdiv hpow sum norm1 norm2 logdet diag ones")
    derive_grad.add_argument("--shape", action="append", default=[], metavar="NAME=ROWS,COLS", help="declare an operand")
    derive_grad.add_argument("--scalar", action="append", default=[], metavar="NAME", help="declare a scalar parameter")
    derive_grad.add_argument("--sizes", type=_dimension_sizes, default=None,
                             help="sizes of the checks, e.g. n=3 (default: distinct small sizes)")
    derive_grad.add_argument("--wrt", help="the operand to differentiate by")
    derive_grad.add_argument("--hessian", action="store_true", help="the Hessian (second derivative) of a scalar")
    derive_grad.add_argument("--json", action="store_true", help='one JSON object: "result", "steps", "checks", ...')
    derive_grad.add_argument("--out", type=Path, help="write grad.tex (the derivation as a proof) into this directory")
    derive_grad.add_argument("--pdf", action="store_true", help="with --out: compile grad.tex")
    return parser


EXPRESSION_OPTIONS = ("--claim", "--equals")
"""Options whose value is an expression: a value starting with a minus sign (-inv(X).T) is the value, not an option."""


def _expression_values_joined(argv: list[str]) -> list[str]:
    """``--claim -A`` as ``--claim=-A``: argparse reads a value starting with '-' as an option and answered
    "expected one argument" for a claimed gradient with a leading minus (Cookbook (63): -X^-T A^T X^-T)."""
    joined, skip = [], False
    for n, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        following = argv[n + 1] if n + 1 < len(argv) else ""
        if arg in EXPRESSION_OPTIONS and following.startswith("-") and not following.startswith("--"):
            joined.append(f"{arg}={following}")
            skip = True
        else:
            joined.append(arg)
    return joined


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_expression_values_joined(list(sys.argv[1:] if argv is None else argv)))
    try:
        return args.function(args)
    except (OutputError, InvalidInput) as error:
        print(f"gradproof: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except LatexError as error:
        print(f"gradproof: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # the reader closed stdout (gradproof ... | head): stop quietly, no traceback
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
