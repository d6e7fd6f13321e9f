# The two commands a reader needs:  `make book`  and  `make test`.
# Both create .venv from the pinned requirements.txt when it is missing or stale.

PY := .venv/bin/python

# A recipe fails when any command in it fails, a command in a pipe included, so a failure is
# never hidden. GNU make then exits with 2; its "Error N" line gives the program's own code
# (innobook: 1 a notebook or the site failed, 2 bad input).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c

# One BLAS thread per process: notebooks and specification fits already run in parallel
# processes, and multithreaded BLAS on small matrices is slower on a 2-core machine.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: book test test-fast verify bench serve preview check venv lock clean browser-deps audit publish pdf

venv:
	@bash scripts/ensure_venv.sh

book: venv
	$(PY) -m innobook build

check: venv
	$(PY) -m innobook check

# Every test, the browser ones included (Debian's Chromium, installed when missing).
test: venv browser-deps
	$(PY) -m pytest -p no:cacheprovider

test-fast: venv
	$(PY) -m pytest -p no:cacheprovider -m "not slow and not browser"

verify: venv
	$(PY) -m innobook verify

bench: venv
	$(PY) -m innobook bench

serve: venv
	$(PY) -m innobook serve

# Live-reloading site on 127.0.0.1:8000 for authors: re-executes changed notebooks, re-renders
# changed pages (PORT=0 picks a free port).
preview: venv
	$(PY) -m innobook preview --port $(or $(PORT),8000)

# Chromium, CJK fonts and pdftoppm for the browser tests (apt-get; nothing if present).
browser-deps:
	@bash scripts/install_browser_deps.sh

# Google Lighthouse on every page of both editions (English, and Chinese in zh/), mobile and
# desktop; prints a table of scores and each page's transfer size, each row marked by edition
# (EDITION=zh audits one edition only).
audit: book
	$(PY) scripts/audit_lighthouse.py $(if $(EDITION),--edition $(EDITION))

# The print edition: the whole book as one PDF (_build/pdf/book.pdf, copied into the site as
# book.pdf) printed by Debian's Chromium: cover, contents, running heads, page numbers,
# bookmarks, static charts, the exercises' solutions in an appendix. The Chinese edition is
# printed the same way, in Chinese, to _build/pdf/book-zh.pdf (served as zh/book.pdf).
pdf: book browser-deps
	$(PY) scripts/print_pdf.py

# Publish _build/html (plus a Binder environment) to the gh-pages branch of origin.
publish: book
	@bash scripts/publish_site.sh

# Recompile requirements.txt from requirements.in: every package pinned with its hashes,
# no index or find-links lines (needs pip-tools in .venv).
lock: venv
	$(PY) -m pip install --quiet pip-tools
	$(PY) -m piptools compile --quiet --strip-extras --no-header --annotation-style=line \
		--generate-hashes --allow-unsafe --no-emit-index-url --no-emit-find-links \
		-o requirements.txt requirements.in

clean:
	rm -rf _build book/generated book/_vendor
