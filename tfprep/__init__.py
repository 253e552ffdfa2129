"""tfprep: spaced-repetition interview questions and graded coding drills for Transformers."""

__version__ = "0.1.0"
