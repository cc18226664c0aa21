"""The fault matrix machinery, shared by ``scripts/fault_matrix.py`` and the test suite.

- ``faultkit.scenarios``: the table (:class:`Scenario`, ``SCENARIOS``, ``BY_NAME``);
- ``faultkit.run``: one scenario through the real CLI (:func:`run_scenario`, :class:`Outcome`);
- ``faultkit.matrix``: many at once, each once (:class:`Matrix`);
- ``faultkit.proxy``: a forward proxy on loopback; ``faultkit.tls``: a throw-away CA;
- ``faultkit.common``: the secrets, a clean environment, ``wait_until``, the leak count.

It lives beside the script that owns it (``scripts/`` is the script's own import path; pytest
gets it from ``pythonpath`` in ``pyproject.toml``), so nothing imports ``tests/`` and nothing
patches ``sys.path``. It is not part of the wheel. Needs ``trustme`` (the test extras) for TLS
rows; it never imports pytest.
"""

from faultkit.common import PASSWORD, SECRETS, TOKEN, clean_env, wait_until
from faultkit.matrix import Matrix, wanted_scenarios
from faultkit.run import Outcome, pid1_available, run_scenario
from faultkit.scenarios import BY_NAME, SCENARIOS, Scenario

__all__ = [
    "BY_NAME",
    "PASSWORD",
    "SCENARIOS",
    "SECRETS",
    "TOKEN",
    "Matrix",
    "Outcome",
    "Scenario",
    "clean_env",
    "pid1_available",
    "run_scenario",
    "wait_until",
    "wanted_scenarios",
]
