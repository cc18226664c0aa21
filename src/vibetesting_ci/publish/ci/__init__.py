"""CI adapters: one per CI system, detected from the environment.

The CLI talks to the adapter only through :class:`~vibetesting_ci.publish.ci.base.CIAdapter`.
"""

from __future__ import annotations

from collections.abc import Mapping

from vibetesting_ci.publish.ci.base import CIAdapter, GenericAdapter

__all__ = ["CIAdapter", "GenericAdapter", "detect"]


def detect(environ: Mapping[str, str]) -> CIAdapter:
    """Pick the adapter for the CI system named by ``environ`` (generic when none)."""
    if environ.get("GITHUB_ACTIONS", "").lower() == "true":
        from vibetesting_ci.publish.ci.github import GitHubAdapter

        return GitHubAdapter(environ)
    if environ.get("GITLAB_CI", "").lower() == "true":
        from vibetesting_ci.publish.ci.gitlab import GitLabAdapter

        return GitLabAdapter(environ)
    return GenericAdapter(environ)
