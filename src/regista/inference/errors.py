"""InferenceError: a failure the user can act on (missing model, alias, file, bad format), shown as one line."""

from __future__ import annotations


class InferenceError(Exception):
    """A failure of a predict or notebook command, worded for the user; the CLI prints it without a traceback."""
