"""What the web UI's pages need beyond the domains' services: reading a model's files for display."""
