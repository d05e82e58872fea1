"""Unity Catalog models: catalogs, schemas, three-level registered models and versions, privileges, lineage, audit."""
