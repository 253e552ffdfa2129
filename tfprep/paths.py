"""Where tfprep keeps state (TFPREP_HOME) and where its shipped content lives."""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

DB_NAME = "progress.db"


def home() -> Path:
    """All state lives here: TFPREP_HOME if set, else the platform's user data dir."""
    env = os.environ.get("TFPREP_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("tfprep", appauthor=False))


def db_path() -> Path:
    return home() / DB_NAME


def workspace() -> Path:
    """Default folder for drill files; TFPREP_WORKSPACE overrides it."""
    env = os.environ.get("TFPREP_WORKSPACE")
    return Path(env).expanduser() if env else home() / "workspace"


def cache_dir() -> Path:
    return home() / "cache"


def content(package: str) -> Path:
    """Folder of a shipped content package (question_bank, drills, reference_impls)."""
    return Path(str(resources.files(package)))


def bank_dir() -> Path:
    return content("question_bank")


def drills_dir() -> Path:
    return content("drills")
