"""The project's tools: run each from the repository's root as ``python -m tools.NAME``.

``colab`` (the Colab cell of each chapter), ``execute_notebooks`` (``make notebooks``),
``make_exercises`` (the learner editions), ``make_pdf`` (the book as one PDF) and
``run_without_mxnet`` (``make test-no-mxnet``) read the book's sources through
:mod:`tools.sources`, the one reader of ``_config.yml``, ``_toc.yml`` and code cells.
"""
