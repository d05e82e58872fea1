"""Permissions: levels on registered models and experiments, grants, and the authorization checks."""
