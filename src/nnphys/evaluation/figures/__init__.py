"""Paper-quality figures from saved files only (predictions, histories, metrics; never checkpoints).

One module per kind of run: :mod:`.pinn`, :mod:`.operator`, and :mod:`.summary`
comparing every model on its problem. Each writes ``<name>.png`` and
``<name>.pdf`` into an output folder; :data:`PINN`, :data:`OPERATOR` and
:data:`SUMMARY` list the names so the workflow rules declare the same files.
"""

PINN = ("fields", "slices", "history")
OPERATOR = ("samples", "errors", "history")
SUMMARY = ("summary",)
FORMATS = ("png", "pdf")
