"""The query messages of the web UI's pages that take the fast route (http/routing.py)."""
