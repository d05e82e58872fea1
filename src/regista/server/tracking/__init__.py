"""Tracking: experiments, runs, metrics, params, tags, datasets and logged models."""
