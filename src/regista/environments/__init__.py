"""Model environments: a virtual environment built from a model's own requirements (requirements.py), cached
by hash and built once however many ask (builder.py), and removed when unused for long (pruning.py).

Shared by model serving (the supervisor runs workers in them) and `regista predict --env-manager`; it imports
neither the server nor mlflow (contract `environments-standalone`), and reads mlflow's files only as files.
"""
