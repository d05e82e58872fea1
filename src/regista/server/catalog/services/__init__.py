"""Business rules of the catalog domain: names, privileges, securables, versions, files, lineage, audit."""
