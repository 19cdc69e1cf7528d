"""Paper-quality figures from saved files only (predictions, histories, metrics; never checkpoints).

One module per kind of run: :mod:`.pinn`, :mod:`.operator`, and :mod:`.summary`
comparing every model on its problem; one per study: :mod:`.uq` (a predictive
distribution against the truth) and :mod:`.optimizers` (runs trained with other
optimizers). Each writes ``<name>.png`` and ``<name>.pdf`` into an output folder;
:data:`PINN`, :data:`OPERATOR`, :data:`UQ` and :data:`OPTIMIZERS` list the names
of the figures so the workflow rules declare the same files.
"""

PINN = ("fields", "slices", "history")
OPERATOR = ("samples", "errors", "history")
UQ = ("reliability", "fields")
OPTIMIZERS = ("training",)
FORMATS = ("png", "pdf")
