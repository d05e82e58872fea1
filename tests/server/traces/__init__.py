"""Tests of the traces domain."""
