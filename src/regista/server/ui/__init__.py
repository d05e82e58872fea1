"""The web UI: server-rendered pages over the other domains' services (issue 9)."""
