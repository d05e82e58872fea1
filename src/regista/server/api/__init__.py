"""HTTP layer: parse, one service call, serialize."""
