"""Domain events: the outbox written in each transaction, and (later) its dispatcher and channels."""
