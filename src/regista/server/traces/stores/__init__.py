"""Traces: stores."""
