"""GitLab ``artifacts:reports:dotenv`` variables for later jobs.

::

    VIBETESTING_RESULT=failed
    VIBETESTING_RESULT_EXECUTION_IDS=123,124
    VIBETESTING_RESULT_SCHEDULE_ID=
    VIBETESTING_RESULT_TESTS=5
    VIBETESTING_RESULT_PASSED=4
    VIBETESTING_RESULT_FAILED=1
    VIBETESTING_RESULT_FLAKY=0
    VIBETESTING_RESULT_ATTEMPTS=1
    VIBETESTING_RESULT_FAILED_TESTS=teacher%20wrong%20credentials%20[fail]
    VIBETESTING_RESULT_FAILED_TESTS_COMPLETE=true
    VIBETESTING_RESULT_REPORT_URL=https://...pdf,https://...pdf

Names: GitLab exports these keys into the environment of every later job that needs this one,
so no key may equal an input variable (``VIBETESTING_TESTS`` as a count would become the next
``vibetesting`` job's inline tests): ``VIBETESTING_RESULT`` and the ``VIBETESTING_RESULT_``
prefix are never option variables (a test derives both sets from the option table).

GitLab's rules, respected here: one ``KEY=VALUE`` per line, no empty lines or comments, no
quoting or escapes (quotes would be kept literally), values are stripped, ``$`` in a value is
expanded later in the job, the file must be smaller than 5 KiB (5120 bytes on GitLab.com and
by default), and at most 20 variables on the smallest plans (this file has 11).

Values: characters that could break a line or change meaning (whitespace, controls, quotes,
backslash, ``$``, backtick, and anything outside printable ASCII) are **percent-encoded**
(UTF-8, like a URL); ``%`` itself is left as is, so a report URL reads as it was shown.
``VIBETESTING_RESULT_REPORT_URL`` lists every execution's report link (every query value shown
as ``***``: a signed link's key stays out), comma-separated, with commas inside a link encoded
as ``%2C``; links that would push the file past the size limit are left out whole (never cut),
the others are kept.
``VIBETESTING_RESULT_FAILED_TESTS`` lists the named tests that did not pass (failed, not done
or not run: the list every report and ``--retry-failed`` use) by their JUnit names
(``domain/cases.py``), comma-separated and encoded the same way, ``%`` and ``,`` in a name included
(``%25``, ``%2C``: each item percent-decodes back to its name).
``VIBETESTING_RESULT_FAILED_TESTS_COMPLETE`` is ``true`` when that list holds every test that
did not pass, ``false`` when the service's counts leave some unnamed (a suite re-run, several
tests sharing one execution with mixed outcomes its detailed status does not attribute) or the
list would not fit whole (it is then empty: a list cut short would pass for the whole one).
``_FLAKY`` counts the tests that failed and then passed on a retry, ``_ATTEMPTS`` the runs
triggered (1 without ``--retry-failed``). No secrets: the token and login never reach any of
these values.
"""

from __future__ import annotations

import re

from vibetesting_ci.domain.report import Report
from vibetesting_ci.safety.scrub import scrub

PREFIX = "VIBETESTING_RESULT_"
#: Every key written, in order (``VIBETESTING_RESULT`` then the prefixed result variables).
KEYS = (
    "VIBETESTING_RESULT",
    *(PREFIX + name for name in ("EXECUTION_IDS", "SCHEDULE_ID", "TESTS", "PASSED", "FAILED")),
    PREFIX + "FLAKY",
    PREFIX + "ATTEMPTS",
    PREFIX + "FAILED_TESTS",
    PREFIX + "FAILED_TESTS_COMPLETE",
    PREFIX + "REPORT_URL",
)

# GitLab refuses a dotenv artifact of 5120 bytes or more; stay clearly below.
MAX_BYTES = 5000

_UNSAFE = re.compile(r"""[^\x21-\x7e]|["'\\$`]""")
# In a list of names, '%' and ',' too: the list then decodes back to the names.
_UNSAFE_IN_NAME = re.compile(r"""[^\x21-\x7e]|["'\\$`%,]""")


def _encode_char(match: re.Match[str]) -> str:
    data = match.group().encode("utf-8", errors="replace")
    return "".join(f"%{b:02X}" for b in data)


def dotenv_value(value: str) -> str:
    """``value`` made safe for one GitLab dotenv line (see the module docstring); registered
    secrets are scrubbed before the encoding, which would hide them from a later scrub."""
    return _UNSAFE.sub(_encode_char, scrub(value))


def _line(key: str, value: str) -> str:
    return f"{key}={dotenv_value(value)}\n"


_URL_KEY = PREFIX + "REPORT_URL="


def _room(lines: list[str]) -> int:
    """Bytes left under MAX_BYTES after ``lines`` and the report links' key and newline."""
    return MAX_BYTES - sum(len(line.encode()) for line in lines) - len(_URL_KEY) - 1


def render_dotenv(report: Report) -> str:
    """The dotenv file's text: ``KEY=VALUE`` lines, each ending in ``\\n``."""
    totals = report.totals
    lines = [
        _line("VIBETESTING_RESULT", report.result),
        _line(PREFIX + "EXECUTION_IDS", ",".join(str(i) for i in report.execution_ids)),
        _line(PREFIX + "SCHEDULE_ID", report.schedule_id or ""),
        _line(PREFIX + "TESTS", str(totals.tests)),
        _line(PREFIX + "PASSED", str(totals.passed)),
        _line(PREFIX + "FAILED", str(totals.failed)),
        _line(PREFIX + "FLAKY", str(report.flaky)),
        _line(PREFIX + "ATTEMPTS", str(report.runs_started)),
    ]
    # The failed tests' names (domain/cases.py, as in the JUnit), whole or not at all: a list cut
    # short would pass for the complete one.
    names = ",".join(_UNSAFE_IN_NAME.sub(_encode_char, scrub(name)) for name in report.failed.names)
    complete = report.failed.complete
    failed_line = f"{PREFIX}FAILED_TESTS={names}\n"
    complete_line = f"{PREFIX}FAILED_TESTS_COMPLETE=false\n"
    if len(failed_line.encode()) + len(complete_line.encode()) > _room(lines):
        failed_line, complete = f"{PREFIX}FAILED_TESTS=\n", False
    lines.append(failed_line)
    lines.append(_line(PREFIX + "FAILED_TESTS_COMPLETE", "true" if complete else "false"))
    # Fixed lines first; the report links get what is left of the size budget.
    budget = _room(lines)
    urls: list[str] = []
    for url in report.report_urls:
        encoded = dotenv_value(url).replace(",", "%2C")
        cost = len(encoded) + (1 if urls else 0)
        if cost <= budget:
            urls.append(encoded)
            budget -= cost
    lines.append(f"{_URL_KEY}{','.join(urls)}\n")
    return "".join(lines)
