"""Governance of the workspace registry: transition requests, comments and the activity log."""
