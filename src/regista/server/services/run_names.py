"""Readable random run names ("brave-owl-123") for runs created without one, like MLflow's."""

from __future__ import annotations

import secrets

_ADJECTIVES = (
    "able", "amber", "bold", "brave", "bright", "calm", "clever", "crisp", "dapper", "eager", "fancy",
    "gentle", "glad", "grand", "happy", "hardy", "honest", "jolly", "keen", "kind", "lively", "lucky",
    "merry", "mighty", "nimble", "noble", "polite", "proud", "quick", "quiet", "rare", "shy", "silent",
    "smart", "sunny", "swift", "tidy", "upbeat", "vivid", "wise", "witty", "zealous",
)
_NOUNS = (
    "ant", "bat", "bear", "bee", "bird", "calf", "carp", "cat", "colt", "crab", "crow", "deer", "doe",
    "dove", "eel", "elk", "finch", "fish", "foal", "fox", "frog", "goat", "gull", "hare", "hawk", "hen",
    "jay", "kite", "lark", "lynx", "mole", "moth", "mule", "newt", "owl", "ox", "ram", "seal", "shark",
    "slug", "snail", "squid", "stag", "swan", "toad", "trout", "wasp", "whale", "wolf", "wren",
)


def random_run_name() -> str:
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{secrets.randbelow(1000)}"
