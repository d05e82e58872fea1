"""Traces: services."""
