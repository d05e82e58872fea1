"""Traces: api."""
