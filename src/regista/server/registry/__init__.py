"""The workspace model registry: registered models, versions, stages, aliases, tags, sources and registry storage."""
