"""Reporters: JUnit XML, results JSON, GitLab dotenv, and the PDF report download.

Each reporter is a small function of a :class:`vibetesting_ci.models.RunResult`. Every file is
written whole or not at all (:mod:`vibetesting_ci.reports.atomic`). Nothing here imports
``requests`` at import time.
"""
