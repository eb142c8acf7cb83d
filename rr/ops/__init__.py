"""Operating the live database: count repair, deployment verification, backups."""
