"""HTTP plumbing shared by every domain: routing (the one transaction owner), parsing, responses, errors, authentication and access-log middleware."""
