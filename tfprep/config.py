"""Settings that stick: TFPREP_HOME/config.toml, a small flat file of `key = value` lines.

Each setting's value comes from, first to last: a command's flag (that one run only; the
commands apply it), the environment (TFPREP_WORKSPACE, for `workspace` only), the config file,
the default. A malformed file or a bad value is a TfprepError naming file:line, the key and
the allowed range, never a traceback.

The file is read with `tomllib` (Python 3.11+), else `tomli` when it is installed, else a tiny
reader of the flat subset tfprep writes. It is written here, line by line, so that unknown keys,
comments and the order of lines survive `tfprep config KEY VALUE` and `--unset`.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, NamedTuple

from tfprep import paths
from tfprep.errors import TfprepError, did_you_mean


class Key(NamedTuple):  # NamedTuples: a frozen dataclass costs every start-up ~1 ms to build
    name: str
    kind: type  # int, float or Path
    default: Any  # None for workspace: TFPREP_HOME/workspace, known only at run time
    lo: float | None
    hi: float | None
    help: str
    env: str | None = None

    def allowed(self) -> str:
        if self.kind is int:
            return f"a whole number from {self.lo} to {self.hi}"
        if self.kind is float:
            return f"a number from {self.lo:.2f} to {self.hi:.2f}"
        return "a folder path"


KEYS: dict[str, Key] = {k.name: k for k in (
    Key("new_per_day", int, 10, 0, 1000, "new cards a day (the plan may allow more; quiz --new overrides)"),
    Key("reviews_per_day", int, 0, 0, 100000, "most reviews of cards in review a day; 0 = no cap"),
    Key("desired_retention", float, 0.9, 0.70, 0.99, "FSRS desired retention (quiz --retention overrides)"),
    Key("leech_threshold", int, 8, 1, 100, "lapses that make a card a leech: tagged and suspended"),
    Key("workspace", Path, None, None, None, "folder for drill files (drill --workspace overrides)",
        env="TFPREP_WORKSPACE"),
)}

DEFAULT, FILE = "default", "config file"


class Setting(NamedTuple):
    key: str
    value: Any
    source: str  # "default", "config file" or "environment (NAME)"
    line: int | None = None  # its line in the config file, when it comes from there


def path() -> Path:
    return paths.config_path()


# --- reading -------------------------------------------------------------------------------------

# patterns as text: `re` compiles (and caches) each on first use, not at every start-up
_LINE_PATTERN = r"\(at line (\d+)"
_KEY_PATTERN = r"""^\s*([A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')\s*="""


def _text(file: Path) -> str | None:
    """The file's text, None when there is no file."""
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise TfprepError(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise TfprepError(f"{file}:{line}: the file is not UTF-8 text",
                          hint="fix or remove it; `tfprep config KEY VALUE` writes a fresh one") from None


def _toml_loads():
    """tomllib's loads and its error type (or tomli's); None when neither is here."""
    try:
        import tomllib as toml
    except ImportError:
        try:
            import tomli as toml  # type: ignore[no-redef]
        except ImportError:
            return None
    return toml.loads, toml.TOMLDecodeError


def _flat_loads(text: str) -> dict[str, Any]:
    """The flat subset of TOML that tfprep writes: comments, blank lines and `key = value` with an
    integer, a float, a boolean or a one-line string. Raises ValueError("... (at line N)")."""
    out: dict[str, Any] = {}
    for n, line in enumerate(text.splitlines(), 1):
        body = line.strip()
        if not body or body.startswith("#"):
            continue
        m = re.match(r"""^([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|'[^']*'|[^\s#]+)\s*(#.*)?$""", body)
        if not m:
            raise ValueError(f"expected `key = value` (at line {n})")
        key, raw = m.group(1), m.group(2)
        if key in out:
            raise ValueError(f"`{key}` is set twice (at line {n})")
        if raw[0] == '"':
            import json  # a TOML basic string is a JSON string; json is imported when one is read

            out[key] = json.loads(raw)
        elif raw[0] == "'":
            out[key] = raw[1:-1]
        elif raw in ("true", "false"):
            out[key] = raw == "true"
        elif re.fullmatch(r"[+-]?\d+(?:_\d+)*", raw):
            out[key] = int(raw.replace("_", ""))
        else:
            try:
                out[key] = float(raw.replace("_", ""))
            except ValueError:
                raise ValueError(f"invalid value {raw!r} (at line {n})") from None
    return out


def _parse(file: Path, text: str) -> dict[str, Any]:
    """The file's TOML as a dict; a syntax error is a TfprepError naming file:line."""
    toml = _toml_loads()
    errors: tuple[type[Exception], ...] = (ValueError,) if toml is None else (toml[1], ValueError)
    try:
        return _flat_loads(text) if toml is None else toml[0](text)
    except errors as exc:
        line = getattr(exc, "lineno", None)
        message = str(getattr(exc, "msg", None) or exc)
        if line is None:
            m = re.search(_LINE_PATTERN, message)
            line = int(m.group(1)) if m else text.count("\n") + 1  # "(at end of document)"
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)$", "", message)
        raise TfprepError(f"{file}:{line}: config.toml is not valid TOML: {message}",
                          hint="fix that line, or remove the file to start again from the defaults") from None


def _lines_of(text: str) -> dict[str, int]:
    """The line of each top-level `key =` (before the first [table])."""
    found: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("["):
            break
        m = re.match(_KEY_PATTERN, line)
        if m:
            found.setdefault(m.group(1).strip("\"'"), n)
    return found


def _table_line(text: str) -> int:
    return next((n for n, line in enumerate(text.splitlines(), 1) if line.lstrip().startswith("[")), 1)


def convert(key: Key, value: Any) -> Any:
    """A value read from the file (or typed) as the setting's type; ValueError if it does not fit."""
    if key.kind is int:
        if type(value) is not int or not key.lo <= value <= key.hi:
            raise ValueError
        return value
    if key.kind is float:
        if type(value) not in (int, float) or not key.lo <= value <= key.hi:
            raise ValueError
        return float(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError
    folder = Path(value).expanduser()
    return folder if folder.is_absolute() else paths.home() / folder


def _shown(value: Any) -> str:
    import json

    return json.dumps(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) \
        else type(value).__name__ if isinstance(value, (dict, list)) else str(value)


def load() -> dict[str, Setting]:
    """Every setting with where its value comes from; raises TfprepError (exit 2) naming file:line
    for a malformed file, an unknown key or a value out of range."""
    file = path()
    text = _text(file)
    raw = _parse(file, text) if text is not None else {}
    lines = _lines_of(text or "")
    for name, value in raw.items():
        if name not in KEYS:
            hint = did_you_mean(name, list(KEYS)) or f"settings: {', '.join(KEYS)}"
            if isinstance(value, dict) or name not in lines:
                raise TfprepError(f"{file}:{lines.get(name) or _table_line(text or '')}: unknown table `{name}`",
                                  hint=f"config.toml holds flat settings only: remove [{name}]; {hint}")
            raise TfprepError(f"{file}:{lines[name]}: unknown setting `{name}`",
                              hint=f"{hint} (`tfprep config --unset {name}` removes it)")
    out: dict[str, Setting] = {}
    for name, key in KEYS.items():
        env = os.environ.get(key.env) if key.env else None
        if env:
            out[name] = Setting(name, Path(env).expanduser(), f"environment ({key.env})")
        elif name in raw:
            try:
                value = convert(key, raw[name])
            except ValueError:
                raise TfprepError(f"{file}:{lines.get(name, 1)}: `{name}` must be {key.allowed()}, got "
                                  f"{_shown(raw[name])}", hint=f"tfprep config {name} VALUE, or "
                                                               f"tfprep config --unset {name}") from None
            out[name] = Setting(name, value, FILE, lines.get(name))
        else:
            default = key.default if key.default is not None else paths.home() / "workspace"
            out[name] = Setting(name, default, DEFAULT)
    return out


def get(name: str) -> Any:
    """One setting's value (environment > config file > default)."""
    return load()[name].value


# --- writing -------------------------------------------------------------------------------------

def key_of(name: str) -> Key:
    """The setting called `name`; an unknown name is a TfprepError with a "did you mean"."""
    if name not in KEYS:
        raise TfprepError(f"unknown setting `{name}`", hint=did_you_mean(name, list(KEYS))
                          or f"settings: {', '.join(KEYS)}")
    return KEYS[name]


def parse_value(name: str, text: str) -> Any:
    """A value typed on the command line, checked; TfprepError naming the key and its range."""
    key = key_of(name)
    bad = TfprepError(f"`{name}` must be {key.allowed()}, got {text!r}")
    try:
        if key.kind is int:
            value = int(text.strip())
        elif key.kind is float:
            value = float(text.strip())
        else:
            value = text
        converted = convert(key, value)
    except ValueError:
        raise bad from None
    if key.kind is Path:
        folder = Path(text).expanduser().resolve()  # typed: relative to where the command runs
        if folder.exists() and not folder.is_dir():
            raise TfprepError(f"`{name}` must be {key.allowed()}: {folder} is a file")
        return folder
    return converted


def _toml_value(value: Any) -> str:
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, str):
        import json

        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    return repr(value)


_VALUE_PATTERN = r"""^(\s*\S+?\s*=\s*)("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s#]+)(\s*#.*)?\s*$"""


def _edit(name: str, value: Any | None) -> Path:
    """Set (or, with None, remove) one top-level key of the file, leaving every other line as it is."""
    file = path()
    text = _text(file) or ""
    before = _parse(file, text)
    lines = text.splitlines()
    at = _lines_of(text).get(name)
    if value is None:
        if at is None:
            return file
        del lines[at - 1]
    else:
        new = f"{name} = {_toml_value(value)}"
        if at is not None:
            m = re.match(_VALUE_PATTERN, lines[at - 1])
            comment = m.group(3) if m and m.group(3) else ""
            lines[at - 1] = new + (" " + comment.strip() if comment else "")
        else:
            table = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), None)
            if table is None:
                lines.append(new)
            else:
                lines.insert(table, new)
    result = "\n".join(lines) + ("\n" if lines else "")
    expected = dict(before)
    if value is None:
        expected.pop(name, None)
    else:
        expected[name] = str(value) if isinstance(value, Path) else value
    if _parse(file, result) != expected:  # e.g. a multi-line string that looked like a key
        raise TfprepError(f"cannot change `{name}` in {file} safely: edit the file by hand")
    paths.home().mkdir(parents=True, exist_ok=True)
    tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(result, encoding="utf-8")
        os.replace(tmp, file)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise TfprepError(f"cannot write {file}: {exc.strerror or exc}") from None
    return file


def set_value(name: str, text: str) -> Setting:
    """`tfprep config KEY VALUE`: check the value, write it, return the setting now in force."""
    value = parse_value(name, text)
    _edit(name, value)
    return _now_in_force(name, Setting(name, value, FILE))


def unset(name: str) -> Setting | None:
    """`tfprep config --unset KEY`: back to the default (or the environment). A key tfprep does
    not know is removed too when it is in the file (None is returned then)."""
    file = path()
    if name not in KEYS and name not in _lines_of(_text(file) or ""):
        key_of(name)  # unknown and not in the file: "did you mean"
    _edit(name, None)
    if name not in KEYS:
        return None
    default = KEYS[name].default
    return _now_in_force(name, Setting(name, paths.home() / "workspace" if default is None else default, DEFAULT))


def _now_in_force(name: str, written: Setting) -> Setting:
    """The setting as it stands after a write; `written` when another line of the file is bad
    (the next command that reads the file names that line)."""
    try:
        return load()[name]
    except TfprepError:
        return written
