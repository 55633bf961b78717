"""Optimizers: the exact MILP on HiGHS, its LP bound, heuristics that scale, a
decomposition by region, and the diagnosis of infeasible scenarios.

Layers, each importing only those below it:

1. base: :mod:`~slimplace.optim.costs` (the objective), :mod:`~slimplace.optim.formulation`
   (the model), :mod:`~slimplace.optim.highs` (the solver adapter), :mod:`~slimplace.optim.lp`
   (LP relaxation with link-row cuts), :mod:`~slimplace.optim.extract` (results to plans),
   and array helpers (:mod:`~slimplace.optim.segments`, :mod:`~slimplace.optim.arcs`,
   :mod:`~slimplace.optim.regret`, :mod:`~slimplace.optim.repair`);
2. search: :mod:`~slimplace.optim.search_state`, :mod:`~slimplace.optim.construction`,
   :mod:`~slimplace.optim.local_search`, and ``greedy`` (:mod:`~slimplace.optim.greedy`);
3. column generation (:mod:`~slimplace.optim.colgen`);
4. ``milp``, ``lp-bound``, ``lp-round`` (:mod:`~slimplace.optim.milp`,
   :mod:`~slimplace.optim.lp_bound`, :mod:`~slimplace.optim.relax_round`);
5. ``decomposed`` (:mod:`~slimplace.optim.decompose`).

The registry of methods by name is built above this package, in :mod:`slimplace.methods`.
Import from the modules: this package imports nothing, so ``greedy`` (numpy only) works
without the optional HiGHS binding.
"""
