"""Content installed as tfprep.content.reference_impls (pyproject.toml's package-dir); its folder is
tfprep.paths.content("reference_impls")."""
