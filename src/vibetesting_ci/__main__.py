"""``python -m vibetesting_ci``."""

from vibetesting_ci.cli import main

if __name__ == "__main__":
    main()
