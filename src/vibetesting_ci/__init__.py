"""vibetesting-ci: run VibeTesting runs and suites from CI pipelines."""

__version__ = "0.1.0"
__all__ = ["__version__"]
