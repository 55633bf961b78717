"""Energy model v2 (DESIGN.md, "The model"): network equipment baseload and marginal
energy per bit, device radio energy per request, embodied carbon, and the split of
power into what a plan controls and what is drawn whatever the plan.

One concept per module: :mod:`~slimplace.energy.radio` (device radio power models),
:mod:`~slimplace.energy.network` (link baseload and where network energy is drawn),
:mod:`~slimplace.energy.routesum` (per-link quantities summed over routes),
:mod:`~slimplace.energy.embodied` (embodied carbon per hour),
:mod:`~slimplace.energy.accounting` (fixed and plan-dependent power of servers and links).
"""
