"""Search: the shared filter-string parser, page tokens, and per-resource translation to SQL."""
