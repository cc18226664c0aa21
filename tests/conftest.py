"""The whole suite: markers by folder and the Hypothesis profile.

- ``tests/unit/``: in-process (``unit``); ``tests/e2e/``: the real CLI or a real server on
  loopback (``e2e``; the fault matrix under ``e2e/matrix/`` is also ``matrix``);
  ``tests/channels/``: the actions, the GitLab component, the Jenkins step, the README
  (``channels``). Their fixtures are in each folder's conftest, the shared helpers in
  ``tests/support/``.
- Hypothesis runs the ``unit`` profile unless ``HYPOTHESIS_PROFILE=thorough`` (``make test``,
  ``.ci/run``): ``tests/support/properties.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import properties

properties.load()

# -- markers by folder (issue 22): pytest -m unit | e2e | channels | matrix ----------------------

_MARKED_FOLDERS = {"unit": "unit", "e2e": "e2e", "channels": "channels", "matrix": "matrix"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        try:
            parts = item.path.resolve().relative_to(here).parts[:-1]
        except ValueError:
            continue
        for part in parts:
            if part in _MARKED_FOLDERS:
                item.add_marker(_MARKED_FOLDERS[part])
