"""Content installed as tfprep.content.drills (pyproject.toml's package-dir); its folder is
tfprep.paths.content("drills")."""
