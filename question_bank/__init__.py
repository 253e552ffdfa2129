"""Content installed as tfprep.content.question_bank (pyproject.toml's package-dir); its folder is
tfprep.paths.content("question_bank")."""
