"""Where tfprep keeps state (TFPREP_HOME) and where its shipped content lives."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

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
    """Default folder for drill files: TFPREP_WORKSPACE, else `workspace` in config.toml, else
    TFPREP_HOME/workspace (a --workspace flag, where a command has one, comes before all three)."""
    from tfprep import config

    return Path(config.get("workspace"))


def config_path() -> Path:
    """The learner's settings (tfprep config): TFPREP_HOME/config.toml."""
    return home() / "config.toml"


def user_bank_dir() -> Path:
    """The learner's own banks: every *.yaml here is a bank like the shipped ones."""
    return home() / "banks"


def cache_dir() -> Path:
    return home() / "cache"


def content(package: str) -> Path:
    """Folder of a shipped content package (question_bank, drills, reference_impls; installed as
    tfprep.content.NAME): where the import system finds it (no import of it, and not
    importlib.resources' readers, ~5 ms at every start-up), else importlib.resources (a zipped
    install, say)."""
    import importlib.util

    name = f"tfprep.content.{package}"
    spec = importlib.util.find_spec(name)
    if spec is not None and spec.origin and Path(spec.origin).is_file():
        return Path(spec.origin).parent
    from importlib import resources

    return Path(str(resources.files(name)))


def bank_dir() -> Path:
    return content("question_bank")


def drills_dir() -> Path:
    return content("drills")


def drill_exists(name: str) -> bool:
    """Whether a drill of that name is playable (its folder exists); reads no YAML and imports
    no tfprep.drills, for the quiz's "Practise it" line (as tfprep.drills.exists too)."""
    return (drills_dir() / name / "drill.yaml").is_file()


def keep_as_bak(path: Path, now=None) -> Path:
    """Keep `path` beside it as NAME.YYYY-MM-DDTHH-MM-SS.bak (-2, -3... when that second is taken;
    `now`, a datetime, default the present); never overwrites anything. Returns the kept path."""
    from datetime import datetime

    stamp = (now or datetime.now()).astimezone().strftime("%Y-%m-%dT%H-%M-%S")
    return keep_beside(path, lambda n: f"{path.name}.{stamp}{'' if n == 1 else f'-{n}'}.bak")


def keep_beside(path: Path, name: Callable[[int], str], *, link: bool = True) -> Path:
    """Keep `path` under the first free name beside it (`name(1)`, `name(2)`, ...) and return that
    path: a hard link where `link` and the file system allow (atomic, no copy), else an exclusive
    copy. Never overwrites anything."""
    import shutil

    from tfprep.errors import TfprepError

    for n in range(1, 10_000):
        candidate = path.with_name(name(n))
        try:
            if link:
                try:
                    os.link(path, candidate)
                    return candidate
                except FileExistsError:
                    raise
                except OSError:
                    pass  # no hard links here: copy instead
            with open(path, "rb") as src, open(candidate, "xb") as dst:
                shutil.copyfileobj(src, dst)
            return candidate
        except FileExistsError:
            continue
    raise TfprepError(f"no free name beside {path} to keep it under")
