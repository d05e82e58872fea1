"""MLflow 3 GenAI traces: trace info, search, tags, assessments and OTLP span ingestion (SPEC 5.9)."""
