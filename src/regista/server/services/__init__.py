"""Business rules: one module per resource; every function takes a Context first."""
