"""The plugin's own tests run user suites with pytester (loaded in tests/conftest.py);
``sample_project/`` is such a suite (also run from an installed wheel by tests/packaging), not part
of this one."""

collect_ignore = ["sample_project"]
