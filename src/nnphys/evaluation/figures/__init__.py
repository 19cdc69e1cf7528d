"""Paper-quality figures from saved files only (predictions, histories, metrics; never checkpoints).

One module per kind of run: :mod:`.pinn`, :mod:`.operator`, and :mod:`.summary`
comparing every model on its problem. Each writes ``<name>.png`` and
``<name>.pdf`` into an output folder; :data:`PINN` and :data:`OPERATOR` list
the names of a run's figures so the workflow rules declare the same files.
"""

PINN = ("fields", "slices", "history")
OPERATOR = ("samples", "errors", "history")
FORMATS = ("png", "pdf")
