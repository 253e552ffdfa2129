"""Drill grading: the parent-side runner and the child-side pytest plugin and check helpers.

Only `runner` is imported by the CLI; `plugin` and `checks` run inside the child process that
executes a hidden suite, and are the only modules here allowed to import numpy.
"""
