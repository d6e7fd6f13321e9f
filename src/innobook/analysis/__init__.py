"""The analysis wing: the book's computations, grouped by what they study.

* :mod:`~innobook.analysis.rnd`: R&D series by vintage, growth and intensity against peers;
* :mod:`~innobook.analysis.lighthouse`: the WEF lighthouse network and China's count;
* :mod:`~innobook.analysis.cities`: city profiles and provincial comparisons;
* :mod:`~innobook.analysis.claims`: the claims ledger and the computations behind its verdicts;
* :mod:`~innobook.analysis.competition`: the competition-innovation inverted U, its shape
  tests, the specification curve and the step-by-step model.
* :mod:`~innobook.analysis.facts`: the article's argument part by part: rare earths by edition
  of the source, high-tech industry by province, and single sourced facts by kind of document.

Modules here are pure functions and result objects over pandas data frames. They use the
floor (:mod:`innobook.data`, :mod:`innobook.charts`, :mod:`innobook.report`) and never the
engine (:mod:`innobook.pipeline`), papermill or Sphinx: a contract checked in the tests.
"""
