# The two quick-start commands of README.md. Both create .venv, install gradproof into it and
# install TeX (for the PDF proofs) with apt-get when latexmk is missing and we are root.
PYTHON ?= python3
VENV ?= .venv
OUT ?= out
TEX_PACKAGES = texlive-latex-base texlive-latex-recommended latexmk lmodern poppler-utils

.PHONY: report test lint train install install-test wheel-check tex clean

report: install tex  ## derive, prove and check everything; writes $(OUT)/report.md and PDFs
	$(VENV)/bin/gradproof all --out $(OUT)

# -n auto --dist loadfile (pytest-xdist): one worker per core, each test file on one worker, so a file's
# module-scoped fixtures (a built PDF, a verified run) are computed once; about 2x faster on 2 cores.
test: install-test tex lint  ## lint (ruff), then run the test suite (pytest, doctests included)
	$(VENV)/bin/python -m pytest -n auto --dist loadfile

lint: install-test  ## ruff, configured in pyproject.toml
	$(VENV)/bin/ruff check .

train: $(VENV)/bin/python  ## train the CNN on scikit-learn's digits with gradproof's layers
	$(VENV)/bin/pip install --quiet ".[train]"
	$(VENV)/bin/gradproof train digits --out train-out

# Editable installs: the command, the tests and the benchmarks all run this checkout's code, imported
# as gradproof.numeric, gradproof.symbolic and gradproof.proofs.
install: $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e .

# The test extras include PyTorch (the outside oracle; torch==2.13.0 is the CPU build on these machines).
install-test: $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[test,torch]"

# Build the wheel, install it into a fresh virtualenv and import every subpackage from it, from a
# folder with no gradproof sources; fail if it put numeric/, symbolic/ or proofs/ at the top level.
WHEEL_VENV ?= /tmp/gradproof-wheel-venv
wheel-check: $(VENV)/bin/python
	rm -rf $(WHEEL_VENV) build dist
	$(VENV)/bin/pip wheel --quiet --no-deps -w dist .
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/pip install --quiet dist/gradproof-*.whl
	cd / && $(WHEEL_VENV)/bin/python -c "$$WHEEL_IMPORT_CHECK"
	rm -rf $(WHEEL_VENV) build dist

define WHEEL_IMPORT_CHECK
import importlib, pkgutil, sysconfig, pathlib
import gradproof.numeric, gradproof.symbolic, gradproof.proofs
site = pathlib.Path(sysconfig.get_paths()["purelib"])
stray = [name for name in ("numeric", "symbolic", "proofs") if (site / name).exists()]
assert not stray, f"top-level packages in site-packages: {stray}"
names = [info.name for package in (gradproof.numeric, gradproof.symbolic, gradproof.proofs)
         for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
for name in names:
    module = importlib.import_module(name)
    assert str(site) in module.__file__, f"{name} imported from {module.__file__}, not from the wheel"
print(f"wheel-check: {len(names)} modules import from the installed wheel; no top-level numeric/symbolic/proofs")
endef
export WHEEL_IMPORT_CHECK

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

tex:
	@if command -v latexmk >/dev/null 2>&1 && command -v pdflatex >/dev/null 2>&1 && kpsewhich lmodern.sty >/dev/null 2>&1 \
			&& command -v pdftotext >/dev/null 2>&1; then \
		echo "TeX: found latexmk, pdflatex, lmodern and pdftotext (poppler-utils, the tests read the PDFs)"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update && apt-get install -y --no-install-recommends $(TEX_PACKAGES); \
	else \
		echo "TeX not found: install it with: sudo apt-get install -y --no-install-recommends $(TEX_PACKAGES)"; \
		echo "(without TeX, gradproof writes the .tex files and says how to compile them)"; \
	fi

clean:
	rm -rf $(VENV) $(OUT) train-out build *.egg-info .pytest_cache .hypothesis
