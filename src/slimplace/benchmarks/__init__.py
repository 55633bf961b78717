"""Benchmark instances, built in code: the generalized assignment problems of the
OR-Library (:mod:`~slimplace.benchmarks.generalized_assignment`), the CONT continuum
of LEAF, EdgeSimPy and ECLYPSE (:mod:`~slimplace.benchmarks.cont_continuum`), the
generated continua of the scale benchmark (:mod:`~slimplace.benchmarks.generated_scale`)
and the tiny scenario of tests and examples (:mod:`~slimplace.benchmarks.tiny`).

The scripts that run and time them are in the repository's ``benchmarks/`` folder.
"""
