"""tfprep's shipped content: the drills, the question banks and the reference implementations.

They live at the repository's top level (drills/, question_bank/, reference_impls/) and install
here, as tfprep.content.NAME (pyproject.toml's package-dir), so that a wheel adds no top-level
name but tfprep. tfprep.paths.content(NAME) is the folder of each.
"""
