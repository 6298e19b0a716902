"""Scenarios that codex-harvest runs: each module's ``record(output_path, **kwargs)``
drives the real Python SDK and writes what it delivers, one JSON event per line.

The driver passes ``codex_path`` (the codex binary), ``model`` (a model slug the
pinned codex knows), ``outputs`` (every declared output path, ``output_path``
first) and the scenario's kwargs from ``config/harvest.toml``. Scenarios read like
ordinary SDK use: the driver points codex at its scripted model through
``CODEX_HOME``, so nothing here knows about it.
"""
