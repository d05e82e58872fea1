"""Serving rules: endpoint configs, permissions, the worker supervisor and routing."""
