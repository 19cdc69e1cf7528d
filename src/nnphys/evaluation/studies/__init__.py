"""Studies of what trained operators learned, each a table and a figure from saved results (README, Studies)."""
