"""The `regista` command line: thin commands over the server's public entry points."""
