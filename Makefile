# The two commands a reader needs:  `make book`  and  `make test`.
# Both create .venv from the pinned requirements.txt when it is missing or stale.

PY := .venv/bin/python

# One BLAS thread per process: notebooks and specification fits already run in parallel
# processes, and multithreaded BLAS on small matrices is slower on a 2-core machine.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: book test test-fast verify bench serve check venv lock clean

venv:
	@bash scripts/ensure_venv.sh

book: venv
	$(PY) -m innobook build

check: venv
	$(PY) -m innobook check

test: venv
	$(PY) -m pytest -p no:cacheprovider

test-fast: venv
	$(PY) -m pytest -p no:cacheprovider -m "not slow and not browser"

verify: venv
	$(PY) -m innobook verify

bench: venv
	$(PY) -m innobook bench

serve: venv
	$(PY) -m innobook serve

# Recompile requirements.txt from requirements.in (needs pip-tools in .venv).
lock: venv
	$(PY) -m pip install --quiet pip-tools
	$(PY) -m piptools compile --quiet --strip-extras --no-header --annotation-style=line \
		-o requirements.txt requirements.in

clean:
	rm -rf _build book/generated book/_vendor
