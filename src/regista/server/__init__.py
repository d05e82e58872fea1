"""The regista HTTP server: app factory, API routers, services, stores and database."""
