"""The plugin's own tests run user suites with pytester; ``sample_project/`` is such a suite
(also run from an installed wheel by tests/packaging), not part of this one."""

pytest_plugins = ["pytester"]

collect_ignore = ["sample_project"]
