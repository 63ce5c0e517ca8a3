"""Enterprise strength (企业实力评价) by industry, field and nature: docs/entities.md, "Enterprise strength".

Modules: :mod:`~ipcockpit.strength.nature` (the nature of an organisation), :mod:`~ipcockpit.strength.registry`
(an enterprise registry extract), :mod:`~ipcockpit.strength.components` (the raw components, one query),
:mod:`~ipcockpit.strength.composite` (normalised, weighted, explained), :mod:`~ipcockpit.strength.ranking` (the
data functions), ``weights.yaml`` (the default weights).
"""
