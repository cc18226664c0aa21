"""``python -m vibetesting_ci`` (``--version`` and ``--help`` answered before click loads)."""

from vibetesting_ci.fastpath import main

if __name__ == "__main__":
    main()
