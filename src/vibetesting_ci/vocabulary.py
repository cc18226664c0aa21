"""Fixed words, each defined once: what the API accepts and answers, and what a true/false
variable says.

Enumerations are ``StrEnum``: a member *is* its word (``ExecutionType.GUIDED == "guided"``), so
JSON, outputs and comparisons with the service's text see the same strings as before.
Standard library only and nothing to import, so any module (settings, the tests file, progress,
the emulator) can use it without cost or cycles.
"""

from enum import StrEnum


class ExecutionType(StrEnum):
    """The execution types the API knows (``--execution-type``, the tests file, the emulator)."""

    GUIDED = "guided"
    EXPLORATION = "exploration"


class Repeat(StrEnum):
    """The recurrences of a scheduled run (``--repeat``)."""

    ONCE = "once"
    DAILY = "daily"
    WEEKLY = "weekly"


class State(StrEnum):
    """The execution states the API documents (``execution_state``); the service may send
    others (``domain.models.ENDED_STATES`` and unknown words are kept as text)."""

    DONE = "done"
    RUNNING = "running"
    PROCESSING = "processing"


class Endpoint(StrEnum):
    """The External API's endpoints (the path under ``/api/external/``, without the slash)."""

    RUN_TESTS = "run-tests"
    RUN_SUITE = "run-suite"
    EXECUTION_STATUS = "execution-status"
    STOP_EXECUTION = "stop-execution"


class CISystem(StrEnum):
    """The CI systems the CLI knows (``CIAdapter.name``; the comment's forge)."""

    GENERIC = "generic"
    GITHUB = "github"
    GITLAB = "gitlab"


# The words themselves, in order, for choices and messages (plain strings: their repr is the
# word, and click never reads them as enumeration names).
EXECUTION_TYPES = tuple(word.value for word in ExecutionType)
REPEATS = tuple(word.value for word in Repeat)
# The words a true/false variable accepts (VIBETESTING_WAIT=yes, CI=true, FORCE_COLOR=0).
# In pairs, in the order error messages list them: "true/false/1/0/yes/no".
TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")
BOOL_WORDS = "/".join(word for pair in zip(TRUE_WORDS, FALSE_WORDS, strict=True) for word in pair)
