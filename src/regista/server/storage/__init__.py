"""The artifact store itself: the fsspec repository, the store-URI normaliser and the checks on locations outside the store."""
