"""``python -m simulator.cli``: the ``provsim`` command without its console script."""

from simulator.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
