"""The web UI's page routers (one module per page family) and the helpers every page uses."""
