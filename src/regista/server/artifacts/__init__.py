"""Artifact storage: an fsspec-backed repository and artifact URI resolution."""
