"""The MLflow filter grammar shared by every search: parser, LIKE translation, order_by, page cursors and paginate()."""
