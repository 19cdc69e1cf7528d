"""Studies of what the trained operators learned: each reads cached runs and writes a table and a figure
(config section ``studies``; the workflow's targets in ``workflow/rules/studies.smk``; README, Studies)."""
