"""tfprep: spaced-repetition interview questions and graded coding drills for Transformers.

In a notebook: `tfprep.start("attention")`, `tfprep.hint("attention")` and
`tfprep.check("attention", scaled_dot_product_attention)`. They load `tfprep.notebook` when
called: importing tfprep stays light (no numpy, torch or rich).
"""

__version__ = "0.1.0"
__all__ = ["check", "hint", "start"]


def check(drill, *solution):
    """Grade your solution to `drill` (its name or number) from a notebook, like `tfprep drill`:
    the functions, classes or module you pass (default: the drill's names in the notebook) are
    written to a file with the imports and helpers they use, graded in a child process, and the
    attempt is recorded. Shows the report and returns it (`tfprep.check(...).passed`)."""
    from tfprep import notebook

    return notebook.check(drill, *solution)


def hint(drill):
    """Show the drill's next hint (recorded, as `tfprep drill NAME --hint`)."""
    from tfprep import notebook

    return notebook.hint(drill)


def start(drill):
    """Show the drill's statement and the starter code to paste into a cell."""
    from tfprep import notebook

    return notebook.start(drill)
