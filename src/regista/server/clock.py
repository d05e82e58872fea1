"""The server's clock: wall time in milliseconds since the epoch, as MLflow stores every timestamp."""

import time


def now_ms() -> int:
    return int(time.time() * 1000)
