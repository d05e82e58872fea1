"""Traces: schemas."""
