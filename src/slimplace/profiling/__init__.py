"""Profiling compression on real networks (the ``profile`` job; needs the ``profile`` extra).

Importing this package imports nothing heavy. The modules that need PyTorch
(``data``, ``slimmable``, ``nets``, ``train``, ``measure``, ``techniques``,
``pipeline``) import it themselves; ``energy``, ``family`` and ``report``
work on tables and files without it, so a family file can be read anywhere.

Entry points: :func:`slimplace.profiling.pipeline.profile_slimmable` (train a
built-in slimmable network and profile it), :func:`~slimplace.profiling.pipeline.profile_model`
(the user's own trained network), :func:`slimplace.profiling.report.write_outputs`
(tables, figures, family files), :func:`slimplace.profiling.family.load_family`.
See ``docs/profiling.md``.
"""
