"""Identity: users, groups, service principals, tokens and authentication."""
