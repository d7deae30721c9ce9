"""Labelled learner attempts at every exercise, recorded by each module on import
(run by tests/test_corpus.py)."""
