"""Scenarios: the domain values and their files.

- :mod:`~slimplace.scenario.model`: the immutable domain values (SI units);
- :mod:`~slimplace.scenario.io`: read and write scenario files (``load_scenario``,
  ``save_scenario``, ...), built from the modules below, one concept each:
  :mod:`~slimplace.scenario.yaml_text` (text and YAML),
  :mod:`~slimplace.scenario.includes` (``{file: ...}`` items, read safely),
  :mod:`~slimplace.scenario.document` (a document checked against its schema, shared
  with job files), :mod:`~slimplace.scenario.schema` (the file's fields and units),
  :mod:`~slimplace.scenario.resolve` (schema to domain, catalog look-up),
  :mod:`~slimplace.scenario.dump` (domain to file);
- :mod:`~slimplace.scenario.build`: build a scenario in Python with catalog names,
  checked like a file (``build_scenario``);
- :mod:`~slimplace.scenario.validate`: the checks a scenario must pass.
"""
