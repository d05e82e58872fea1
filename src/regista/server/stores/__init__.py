"""SQL only: one module per resource; never commits."""
