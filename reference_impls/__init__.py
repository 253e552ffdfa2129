"""Package data: found with importlib.resources from an editable install and a wheel alike."""
