"""Competition and innovation: the inverted U of Aghion et al. (2005) and its tests.

* :mod:`.inverted_u`: quadratic fits (Poisson, NB2, OLS) with fixed effects and clustered errors;
* :mod:`.shape_tests`: turning-point intervals (delta, Fieller) and the Lind-Mehlum test;
* :mod:`.spec_curve`: the specification curve over reasonable modelling choices;
* :mod:`.binscatter`: binned scatter plots of partialled outcomes;
* :mod:`.abbgh_model`: the step-by-step innovation model behind the inverted U.
"""
