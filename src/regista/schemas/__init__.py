"""Wire models only (pydantic); no server imports."""
