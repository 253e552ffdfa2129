"""tfprep in a notebook: `tfprep.check`, `tfprep.hint` and `tfprep.start` (Jupyter, IPython).

`check("attention", scaled_dot_product_attention)` turns what was passed (functions, classes or
module objects) back into a Python file, TFPREP_HOME/notebook/MODULE.py, and grades that file
with the same hidden suite, in the same child process, as `tfprep drill attention`: the
learner's code never runs in the kernel. The attempt is recorded like any other.

How the file is put together (`collect`):

- a module object: its whole source file, as is;
- a function or class: its source (`inspect.getsource`; for a class defined in a notebook cell,
  where inspect cannot find it, the cell's text, found through its methods' code objects and
  linecache, parsed with ast);
- then, for every global name that source uses (found with `symtable`, so parameters and local
  variables that happen to share a notebook name are not mistaken for it), the value that name
  has in the function's globals (the notebook's namespace) right now: a module becomes an
  import line (`import numpy as np`, `from torch import nn`); a function or class defined in the
  same namespace (or in a .py file of the current folder) is copied the same way, its own
  helpers first; one from a library becomes `from MODULE import NAME`; a literal constant
  (number, string, tuple, list, dict of those) becomes `NAME = repr`; anything else (an array,
  a random generator) is left out with a note saying so.

Reading the values the code will see, rather than replaying the import cells of the history,
keeps what the notebook has now (not cells run, edited or failed since), and brings in only what
the solution uses: a NumPy drill's file gets no `import torch` from an unrelated cell.
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import inspect
import linecache
import math
import os
import symtable
import sys
import textwrap
import types
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path

from tfprep import drills, paths, store
from tfprep.errors import ExitStatus, TfprepError
from tfprep.grading.runner import Report

FOLDER = "notebook"  # under TFPREP_HOME
LITERAL_CAP = 10_000  # characters of repr beyond which a constant is not copied
_CO_FUTURE_ANNOTATIONS = 0x1000000  # __future__.annotations.compiler_flag


class NotebookError(TfprepError):
    """A learner-facing error; IPython shows its message and hint instead of a traceback."""

    def __str__(self) -> str:
        return self.message + (f"\n{self.hint}" if self.hint else "")

    def _render_traceback_(self) -> list[str]:
        return [f"tfprep: {self.message}"] + ([self.hint] if self.hint else [])


def _friendly(fn):
    """Any TfprepError raised below becomes a NotebookError (no traceback through tfprep)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except NotebookError:
            raise
        except TfprepError as exc:
            raise NotebookError(exc.message, exc.status, exc.hint) from None

    return wrapper


# --- collecting the source ------------------------------------------------------------------

@dataclass
class Collected:
    """The parts of the file to grade, in the order they are written."""
    modules: list[str] = field(default_factory=list)  # whole sources of module objects passed
    imports: list[str] = field(default_factory=list)
    constants: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)  # definitions, each after the helpers it needs
    aliases: list[str] = field(default_factory=list)  # `required_name = given_name`
    names: list[str] = field(default_factory=list)  # top-level names the passed objects give
    notes: list[str] = field(default_factory=list)
    future_annotations: bool = False

    def text(self, header: str = "") -> str:
        parts = [header.rstrip("\n")] if header else []
        if self.future_annotations and not self.modules:
            parts.append("from __future__ import annotations")
        parts += [m.rstrip("\n") for m in self.modules]
        if self.imports:
            parts.append("\n".join(self.imports))
        if self.constants:
            parts.append("\n".join(self.constants))
        parts += [b.rstrip("\n") for b in self.blocks]
        if self.aliases:
            parts.append("\n".join(self.aliases))
        return "\n\n\n".join(parts) + "\n"


def _underlying(obj):
    """The Python function behind a wrapper: Triton's JITFunction or Autotuner (`.fn`), or a
    decorator that used functools.wraps (`__wrapped__`)."""
    for _ in range(8):
        if inspect.isfunction(obj) or inspect.isclass(obj):
            break
        inner = getattr(obj, "fn", None)
        if inner is None:
            break
        obj = inner
    return inspect.unwrap(obj) if inspect.isfunction(obj) else obj


def _definable(obj) -> bool:
    obj = _underlying(obj)
    return inspect.isfunction(obj) or inspect.isclass(obj)


def _describe(obj) -> str:
    return f"{type(obj).__name__} {getattr(obj, '__name__', '')}".strip()


def _globals_of(obj) -> dict:
    """The namespace the object's code looks its global names up in."""
    obj = _underlying(obj)
    if inspect.isfunction(obj):
        return obj.__globals__
    for fn in _methods(obj):
        return fn.__globals__
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    return vars(module) if module is not None else {}


def _methods(cls) -> list:
    """The functions defined in the class body itself (methods, static and class methods, properties)."""
    found = []
    for value in vars(cls).values():
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            found += [f for f in (value.fget, value.fset, value.fdel) if f is not None]
            continue
        if inspect.isfunction(value):
            found.append(value)
    return [inspect.unwrap(f) for f in found if f.__qualname__.startswith(cls.__qualname__ + ".")]


def _definition_in(filename: str, line: int, name: str, kinds) -> str | None:
    """The text of the def/class statement called `name` that covers `line` in the file or cell
    (read through linecache, which holds IPython's cells), decorators included."""
    lines = linecache.getlines(filename)
    if not lines:
        return None
    try:
        tree = ast.parse("".join(lines))
    except (SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, kinds) and node.name == name:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            if first <= line <= node.end_lineno:
                return "".join(lines[first - 1:node.end_lineno])
    return None


def _source(obj) -> str:
    """The dedented source of a top-level function or class."""
    inner = _underlying(obj)
    name = getattr(inner, "__name__", "?")
    if inspect.isfunction(inner) and name == "<lambda>":
        raise NotebookError("a lambda cannot be graded: define the function with `def`")
    qualname = getattr(inner, "__qualname__", "")
    if "<locals>" in qualname:
        raise NotebookError(f"{name} is defined inside another function: define it at the top level of a cell")
    if "." in qualname:
        raise NotebookError(f"{qualname} is defined inside a class: pass the class {qualname.split('.')[0]}")
    try:
        text = inspect.getsource(inner)
    except (OSError, TypeError):
        text = None
        if inspect.isclass(inner):  # a class of a notebook cell: inspect looks for a file the cell has not
            for fn in _methods(inner):
                text = _definition_in(fn.__code__.co_filename, fn.__code__.co_firstlineno, name, (ast.ClassDef,))
                if text:
                    break
        else:
            code = inner.__code__
            text = _definition_in(code.co_filename, code.co_firstlineno, name,
                                  (ast.FunctionDef, ast.AsyncFunctionDef))
    if not text:
        what = "class" if inspect.isclass(inner) else "function"
        raise NotebookError(f"cannot find the source of the {what} {name}",
                            hint="define it in a notebook cell or a .py file (a class needs at least one method "
                                 "for its cell to be found), or pass the module it is in")
    return textwrap.dedent(text)


def free_names(source: str) -> list[str]:
    """The global names `source` reads (in any function, class body, decorator or default) that
    it does not define at its own top level, in first-seen order."""
    top = symtable.symtable(source, "<solution>", "exec")
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    names: list[str] = []

    def visit(table) -> None:
        for sym in table.get_symbols():
            if sym.is_global() and (sym.is_referenced() or sym.is_declared_global()):
                names.append(sym.get_name())
        for child in table.get_children():
            visit(child)

    visit(top)
    return [n for n in dict.fromkeys(names) if n not in bound]


def import_line(name: str, module: types.ModuleType) -> str:
    """The import statement that binds `name` to `module`."""
    real = module.__name__
    if real == name:
        return f"import {real}"
    parent, _, last = real.rpartition(".")
    if parent and last == name:
        return f"from {parent} import {name}"
    return f"import {real} as {name}"


def _literal(value) -> str | None:
    """Source text that rebuilds `value` exactly, for plain constants only."""
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value}")'
    if isinstance(value, (bool, int, float, complex, str, bytes, type(None), tuple, list, dict, set, frozenset)):
        try:
            text = repr(value)
            if len(text) <= LITERAL_CAP:
                back = ast.literal_eval(text)
                if back == value and type(back) is type(value):
                    return text
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
            return None
    return None


def _under(file: Path, folder: Path) -> bool:
    try:
        file.relative_to(folder)
        return True
    except ValueError:
        return False


def _in_library(file: Path) -> bool:
    """Whether a file belongs to the standard library or an installed package."""
    import sysconfig

    if {"site-packages", "dist-packages"} & set(file.parts):
        return True
    dirs = {v for k, v in sysconfig.get_paths().items() if k in ("stdlib", "platstdlib", "purelib", "platlib")}
    return any(_under(file, Path(d).resolve()) for d in dirs if d)


def _local_file(module_name: str | None) -> bool:
    """Whether the module is a .py file of the current folder (the notebook's), not a library."""
    file = getattr(sys.modules.get(module_name or ""), "__file__", None)
    if not file:
        return False
    file = Path(file).resolve()
    return _under(file, Path.cwd().resolve()) and not _in_library(file)


def _is_users(value, g: dict) -> bool:
    """Whether `value` (a function or class) is the learner's own code, to be copied rather than
    imported: defined in the same namespace, in the notebook (`__main__`), or in a .py file of the
    current folder that is not an installed library."""
    inner = _underlying(value)
    if inspect.isfunction(inner) and inner.__globals__ is g:
        return True
    module_name = getattr(inner, "__module__", None)
    if module_name is None:
        return False
    return module_name == "__main__" or module_name == g.get("__name__") or _local_file(module_name)


def _import_of(value, name: str, g: dict) -> str | None:
    """`from MODULE import NAME` for a library object, or None when no import is found."""
    qual = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    module_name = getattr(value, "__module__", None)
    if isinstance(qual, str) and isinstance(module_name, str) and "." not in qual:
        module = sys.modules.get(module_name)
        if module is not None and getattr(module, qual, None) is value:
            return f"from {module_name} import {qual}" + (f" as {name}" if qual != name else "")
    for module in list(g.values()):  # a module the notebook imported that holds it (numpy's ufuncs)
        if isinstance(module, types.ModuleType) and getattr(module, name, None) is value:
            return f"from {module.__name__} import {name}"
    return None


class _Collector:
    def __init__(self) -> None:
        self.out = Collected()
        self._done: set[int] = set()  # id() of the objects copied
        self._claimed: dict[str, int] = {}  # top-level name -> id() of what the file binds it to
        self._noted: set[str] = set()

    def note(self, text: str) -> None:
        if text not in self._noted:
            self._noted.add(text)
            self.out.notes.append(text)

    def add(self, obj) -> None:
        """One object the learner passed."""
        if isinstance(obj, types.ModuleType):
            self._module(obj)
            return
        if not _definable(obj):
            hint = None
            if type(obj).__module__ == "__main__":  # an instance of a class of the notebook
                hint = f"pass the class {type(obj).__name__} itself, not an instance of it"
            raise NotebookError(f"cannot grade a {_describe(obj)}: pass functions, classes or a module", hint=hint)
        self._define(obj)
        self.out.names.append(_underlying(obj).__name__)

    def _module(self, module: types.ModuleType) -> None:
        try:
            text = inspect.getsource(module)
        except (OSError, TypeError):
            raise NotebookError(f"cannot find the source file of the module {module.__name__}",
                                hint="pass its functions or classes instead") from None
        self.out.modules.append(text)
        self.out.names += [n for n in vars(module) if not n.startswith("__")]
        for name, value in vars(module).items():
            self._claimed.setdefault(name, id(value))

    def _define(self, obj) -> None:
        inner = _underlying(obj)
        if id(inner) in self._done:
            return
        self._done.add(id(inner))
        name = inner.__name__
        self._claimed.setdefault(name, id(inner))
        source = _source(obj)
        code = getattr(inner, "__code__", None) or next((f.__code__ for f in _methods(inner)), None)
        if code is not None and code.co_flags & _CO_FUTURE_ANNOTATIONS:
            self.out.future_annotations = True
        g = _globals_of(obj)
        try:
            needed = free_names(source)
        except SyntaxError as exc:
            raise NotebookError(f"the source of {name} does not parse: {exc}") from None
        for dep in needed:
            self._dependency(dep, g)
        self.out.blocks.append(source)

    def _dependency(self, name: str, g: dict) -> None:
        missing = object()
        value = g.get(name, missing)
        if value is missing:
            if not hasattr(builtins, name) and name not in self._claimed:
                self.note(f"{name} is used but not defined in the notebook: grading will fail with a NameError")
            return
        if getattr(builtins, name, missing) is value:
            return
        if name in self._claimed:
            if self._claimed[name] != id(value) and id(_underlying(value)) != self._claimed[name]:
                self.note(f"{name} names two different things in what was passed: the file keeps the first")
            return
        self._claimed[name] = id(value)
        if isinstance(value, types.ModuleType):
            if value.__name__ == "__main__" or getattr(value, "__spec__", None) is None and not hasattr(value, "__file__"):
                self.note(f"{name} is a module made in the notebook: it is not copied")
                return
            if _local_file(value.__name__):
                self.note(f"{name} is a module of this folder, which the grader cannot import: write "
                          f"`from {value.__name__} import ...` instead (what is imported so is copied)")
            self._add_import(import_line(name, value))
            return
        if _definable(value):
            if _is_users(value, g):
                self._define(value)
                real = _underlying(value).__name__
                if real != name:
                    self.out.aliases.append(f"{name} = {real}")
                return
            line = _import_of(value, name, g)
            if line:
                self._add_import(line)
                return
            self.note(f"{name} ({_describe(value)}) is not copied: no import for it was found")
            return
        text = _literal(value)
        if text is not None:
            self.out.constants.append(f"{name} = {text}")
            return
        line = _import_of(value, name, g)
        if line:
            self._add_import(line)
            return
        self.note(f"{name} (a {type(value).__name__} made in the notebook) is not copied: "
                  "create it inside your function or class")

    def _add_import(self, line: str) -> None:
        if line not in self.out.imports:
            self.out.imports.append(line)


def collect(objects, required: list[str] | tuple[str, ...] = (), drill: str = "NAME") -> Collected:
    """The file to grade from what was passed; `required` names the functions or classes the drill
    `drill` needs: one missing from what was passed is an error naming it. A single object passed
    under another name, for a drill that needs a single name, is bound to that name too."""
    collector = _Collector()
    for obj in objects:
        collector.add(obj)
    out = collector.out
    given = list(dict.fromkeys(out.names))
    missing = [n for n in required if n not in given]
    extra = [n for n in given if n not in required and not out.modules]
    if len(missing) == 1 and len(required) == 1 and len(extra) == 1:
        out.aliases.append(f"{missing[0]} = {extra[0]}")
        missing = []
    if missing:
        got = f" (got {', '.join(given)})" if given else ""
        raise NotebookError(f"drill '{drill}' needs {_and(missing)}: not passed{got}",
                            hint=f"pass {'it' if len(missing) == 1 else 'them'} too, under these names: "
                                 f'tfprep.check("{drill}", {", ".join(required)})')
    return out


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# --- the notebook's side ----------------------------------------------------------------------

class CheckedReport(Report):
    """The Report of `tfprep.check` (`.passed`, `.checks`, `.problem`, `.to_dict()`...), plus the
    schedule's verdict (`.review`) and the graded file (`.source_file`); its repr is one line,
    since the full report is already in the cell's output."""

    review = None
    source_file: Path | None = None

    @classmethod
    def of(cls, report: Report, review, source_file: Path) -> "CheckedReport":
        new = cls(**{f.name: getattr(report, f.name) for f in fields(report)})
        new.review, new.source_file = review, source_file
        return new

    def __repr__(self) -> str:
        verdict = "passed" if self.passed else "failed"
        return f"<tfprep report {self.drill}: {verdict}, {self.checks_passed}/{len(self.checks)} checks>"

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(repr(self))


@contextlib.contextmanager
def _rendering():
    """A rich Console made here and now, for the cell's output (HTML in Jupyter, text elsewhere);
    tfprep.console's functions draw on it meanwhile. Buffered: one output block per call."""
    from rich.console import Console

    from tfprep import console

    # force_jupyter=None: rich tells a Jupyter kernel (ZMQ shell, Colab...) itself and then
    # sends each buffered block as a display_data of text/html and text/plain
    out = Console(highlight=False, no_color=bool(os.environ.get("NO_COLOR")) or None, force_jupyter=None)
    before = console.out
    console.out = out
    try:
        with out:
            yield out
    finally:
        console.out = before


def _namespace() -> dict:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell.user_ns if shell is not None else vars(sys.modules["__main__"])


def _load(name: str) -> drills.Drill:
    return drills.load(drills.resolve(str(name)))


def private_file(drill: drills.Drill) -> Path:
    return paths.home() / FOLDER / f"{drill.module}.py"


def write_solution(drill: drills.Drill, text: str, now: datetime) -> tuple[Path, Path | None]:
    """Write the file to grade; a different older one is kept under a unique backup name first.
    Returns (the file, the backup or None)."""
    target = private_file(drill)
    kept = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_file():
            if target.read_bytes() != text.encode("utf-8"):
                kept = drills.backup(target, now)
        elif target.exists():
            raise NotebookError(f"{target} is in the way: it is not a file", hint="move it elsewhere")
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)  # never half-written; the backup holds the old one
    except OSError as exc:
        raise NotebookError(f"cannot write {target}: {exc.strerror or exc}",
                            hint="set TFPREP_HOME to a folder you can write to") from None
    return target, kept


def _header(drill: drills.Drill) -> str:
    return (f'# Written by tfprep.check("{drill.name}") from your notebook: what you passed, the helpers it\n'
            f"# calls and the imports it uses. tfprep grades this file (in a child process, never in the kernel).")


@_friendly
def check(name: str, *solution) -> CheckedReport:
    """Grade a solution from the notebook and record the attempt; returns its Report.

    `solution`: the functions, classes or module the drill asks for (default: the drill's names,
    looked up in the notebook's namespace)."""
    drill = _load(name)
    if not solution:
        ns = _namespace()
        absent = [n for n in drill.functions if n not in ns]
        if absent:
            raise NotebookError(f"drill '{drill.name}' needs {_and(absent)}: not defined in the notebook",
                                hint=f'define {"it" if len(absent) == 1 else "them"} in a cell, or pass '
                                     f'{"it" if len(absent) == 1 else "them"}: '
                                     f'tfprep.check("{drill.name}", {", ".join(drill.functions)})')
        solution = tuple(ns[n] for n in drill.functions)
    collected = collect(solution, drill.functions, drill.name)
    target, kept = write_solution(drill, collected.text(_header(drill)), datetime.now(timezone.utc))
    report = drills.grade(drill, target)
    conn = store.connect()
    try:
        review = drills.record_attempt(conn, report, datetime.now(timezone.utc))
    finally:
        conn.close()
    from rich.text import Text

    from tfprep import console

    with _rendering() as out:
        for note in collected.notes:
            out.print(Text(f"Note: {note}.", style="yellow"))
        console.report(report, [f"Your previous file is kept as {kept}."] if kept else None)
        console.drill_review(review)
    return CheckedReport.of(report, review, target)


@_friendly
def hint(name: str) -> None:
    """Show the drill's next hint (recorded, as `tfprep drill NAME --hint`), and the earlier ones."""
    drill = _load(name)
    conn = store.connect()
    try:
        index, revealed = drills.next_hint(drill, conn, datetime.now(timezone.utc))
    finally:
        conn.close()
    from tfprep import console

    with _rendering():
        console.hints(revealed, index, len(drill.hints))


@_friendly
def start(name: str) -> None:
    """Show the drill's statement and its starter code to paste into a cell (a fresh start, recorded
    as `tfprep drill NAME` records one)."""
    drill = _load(name)
    try:
        code = drill.starter.read_text(encoding="utf-8")
    except OSError as exc:
        raise NotebookError(f"cannot read the starter of '{drill.name}': {exc.strerror or exc}",
                            ExitStatus.USAGE) from None
    conn = store.connect()
    try:
        drills.record_event(conn, drill.name, "start", datetime.now(timezone.utc))
    finally:
        conn.close()
    from rich.markdown import Markdown
    from rich.panel import Panel
    from rich.syntax import Syntax
    from rich.text import Text

    with _rendering() as out:
        out.print(Panel(Markdown(drill.statement.strip()), title=Text.assemble((drill.title, "bold"),
                        f" · {drill.name} · {drill.tier}"), title_align="left", border_style="blue"))
        out.print(Text("Starter code: paste it into a cell and write the missing parts.", style="bold"))
        out.print(Syntax(code.rstrip("\n"), "python", background_color="default", word_wrap=True))
        out.print(Text(f'Then grade it: tfprep.check("{drill.name}", {", ".join(drill.functions)})'
                       f'   (tfprep.hint("{drill.name}") for a hint)'))
