"""Putting a registered model to work outside the server: batch and streaming scoring, inference notebooks.

Nothing here imports the server (contract `inference-standalone`): the CLI runs it on a user's machine, and
the web UI can reuse the notebook builder. mlflow, pyarrow and pyspark are imported inside the functions that
need them (`pip install regista[predict]` / `regista[spark]`), never at import time.
"""
