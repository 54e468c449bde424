# The two quick-start commands of README.md. Both create .venv, install gradproof into it and
# install TeX (for the PDF proofs) with apt-get when latexmk is missing and we are root.
PYTHON ?= python3
VENV ?= .venv
OUT ?= out
TEX_PACKAGES = texlive-latex-base texlive-latex-recommended latexmk

.PHONY: report test train install install-test tex clean

report: install tex  ## derive, prove and check everything; writes $(OUT)/report.md and PDFs
	$(VENV)/bin/gradproof all --out $(OUT)

test: install-test tex  ## run the test suite
	$(VENV)/bin/python -m pytest

train: $(VENV)/bin/python  ## train the CNN on scikit-learn's digits with gradproof's layers
	$(VENV)/bin/pip install --quiet ".[train]"
	$(VENV)/bin/gradproof train digits --out train-out

install: $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet .

install-test: $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet ".[test]"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

tex:
	@if command -v latexmk >/dev/null 2>&1 && command -v pdflatex >/dev/null 2>&1; then \
		echo "TeX: found latexmk and pdflatex"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update && apt-get install -y --no-install-recommends $(TEX_PACKAGES); \
	else \
		echo "TeX not found: install it with: sudo apt-get install -y --no-install-recommends $(TEX_PACKAGES)"; \
		echo "(without TeX, gradproof writes the .tex files and says how to compile them)"; \
	fi

clean:
	rm -rf $(VENV) $(OUT) train-out build *.egg-info .pytest_cache .hypothesis
