"""The engine wing: from data and notebook templates to the published site.

It validates parameters and data, executes the notebooks that changed with papermill
(content-hash cache, parallel processes), publishes them into ``book/generated/`` and
renders the book with Jupyter Book behind an atomic swap; it also serves, previews,
verifies and benchmarks. It knows nothing of economics: it never imports
:mod:`innobook.analysis` (a contract checked by import-linter in the tests).
"""
