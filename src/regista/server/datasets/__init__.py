"""MLflow 3 evaluation datasets (/api/3.0/mlflow/datasets...): datasets, tags, experiment links, records."""
