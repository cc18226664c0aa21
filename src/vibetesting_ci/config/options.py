"""The option table (``OPTIONS``): the one place an option is declared. The click options
(``cli.py``), the README tables (``scripts/gen_docs.py``), both actions and the GitLab component
(``scripts/gen_actions.py``, ``scripts/gen_component.py``), the Jenkins step and the checks of
``tests/channels/`` are generated from it or checked against it. Other code reads it through
this small public surface:

* ``OPTIONS``: a tuple of :class:`~vibetesting_ci.config.kinds.Option` rows, in the order of the
  README tables (and of the request body). Each row has ``.name`` (the Python name, also the tests
  file's key), ``.kind`` (a :class:`~vibetesting_ci.config.kinds.Kind`), ``.flag``
  (``--name-with-dashes``), ``.env`` (``VIBETESTING_NAME``), ``.input`` (the action/CI-template
  input, ``name-with-dashes``), ``.default``, ``.default_text`` (the default as an action input
  writes it: ``""``, ``"true"``, ``"3600"``), ``.help``, ``.commands`` (which commands take it),
  ``.api_field``, ``.choices``, ``.secret``, ``.required``, ``.metavar``, and
  ``.parse(value, where)``.
* ``OPTIONS_BY_NAME`` / :func:`option`: a row by its name.
* ``API_COMMANDS`` / ``WAIT_COMMANDS``: the command groups rows name in ``.commands``.

Flag, variable and input names follow from the option's name; a row spells one out only where
it differs (``focus_areas`` is ``--focus-area``, repeatable). A new kind of value gets its parser
in ``config/kinds.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

from vibetesting_ci.config.kinds import MAX_COUNT, MAX_REQUEST_TIMEOUT, MAX_RETRIES, Kind, Option
from vibetesting_ci.vocabulary import EXECUTION_TYPES, REPEATS

DEFAULT_API_URL = "https://app.vibetesting.me/api/external/"
MIN_POLL_INTERVAL = 0.1

API_COMMANDS = ("run", "wait", "status", "stop", "cancel-schedule")
WAIT_COMMANDS = ("run", "wait")


OPTIONS: tuple[Option, ...] = (
    Option(
        name="api_token",
        kind=Kind.TEXT,
        help="API token from the dashboard's API section (required; prefer the variable).",
        commands=API_COMMANDS,
        secret=True,
        required=True,
        metavar="TOKEN",
    ),
    Option(
        name="api_url",
        kind=Kind.URL,
        default=DEFAULT_API_URL,
        help="Base URL of the External API.",
        commands=API_COMMANDS,
    ),
    Option(
        name="request_timeout",
        kind=Kind.FLOAT,
        default=30.0,
        help="Seconds one HTTP request may take, all of it (connect, send, the whole answer).",
        commands=API_COMMANDS,
        maximum=MAX_REQUEST_TIMEOUT,
    ),
    Option(
        name="allow_insecure_http",
        kind=Kind.BOOL,
        default=False,
        help=(
            "Allow a plain http:// --api-url to a host other than loopback "
            "(token sent unencrypted)."
        ),
        commands=API_COMMANDS,
    ),
    # What the run sends (in the order of the request body).
    Option(
        name="suite_id",
        kind=Kind.INT,
        help="Re-run this suite (POST run-suite/) instead of run-tests/.",
        commands=("run",),
        api_field="suite_id",
    ),
    Option(
        name="execution_type",
        kind=Kind.CHOICE,
        help="guided (your tests) or exploration; guided when tests are given.",
        commands=("run",),
        api_field="execution_type",
        choices=EXECUTION_TYPES,
    ),
    Option(
        name="tests_file",
        kind=Kind.LINES,
        help=(
            "YAML or JSON file: a list of {name, steps}, or a mapping with tests and run "
            "settings; or a folder of them, or a glob (repeatable; the variable takes one per "
            "line)."
        ),
        commands=("run",),
        api_field="tests",
        metavar="PATH",
    ),
    Option(
        name="tests",
        kind=Kind.TEXT,
        help="The same as --tests-file, inline (YAML or JSON text).",
        commands=("run",),
        api_field="tests",
    ),
    # Tests as code: which tests are sent, and the ${NAME} variables in their text.
    Option(
        name="tags",
        kind=Kind.LINES,
        help="Send the tests that have this tag (repeatable: any of them; the variable takes "
        "one per line).",
        commands=("run",),
        flag="--tag",
        metavar="TAG",
    ),
    Option(
        name="exclude_tags",
        kind=Kind.LINES,
        help="Leave out the tests that have this tag (repeatable; the variable takes one per "
        "line).",
        commands=("run",),
        flag="--exclude-tag",
        metavar="TAG",
    ),
    Option(
        name="grep",
        kind=Kind.TEXT,
        help="Send the tests whose name matches this case-insensitive regular expression.",
        commands=("run",),
        metavar="PATTERN",
    ),
    Option(
        name="shard",
        kind=Kind.TEXT,
        help="Send shard K of N of the selected tests (K/N, e.g. 2/4), or auto: GitLab's "
        "CI_NODE_INDEX/CI_NODE_TOTAL (parallel:).",
        commands=("run",),
        metavar="K/N",
    ),
    Option(
        name="vars",
        kind=Kind.LINES,
        help="A variable NAME=VALUE for ${NAME} in the steps, instructions, focus areas, login "
        "identifier and target URL (repeatable; the variable takes one per line).",
        commands=("run",),
        flag="--var",
        metavar="NAME=VALUE",
    ),
    Option(
        name="secret_vars",
        kind=Kind.LINES,
        help="Secret variables, one NAME=VALUE per line (environment only, like "
        "VIBETESTING_SECRET_<NAME>): masked, never shown, sent only in the fields that use them.",
        commands=("run",),
        secret=True,
        cli=False,
        metavar="NAME=VALUE",
    ),
    Option(
        name="login_identifier",
        kind=Kind.TEXT,
        help="User name or e-mail the agents log in with (sent as login.identifier).",
        commands=("run",),
        api_field="login",
    ),
    Option(
        name="login_password",
        kind=Kind.TEXT,
        help="Password the agents log in with (prefer the variable; never printed).",
        commands=("run",),
        api_field="login",
        secret=True,
    ),
    Option(
        name="target_url",
        kind=Kind.TEXT,
        help='The http(s) URL to test (a preview deployment): sent as the sentence "Test the '
        'application at URL." before the general instructions.',
        commands=("run",),
        api_field="general_instructions",
        metavar="URL",
    ),
    Option(
        name="general_instructions",
        kind=Kind.TEXT,
        help="Global instructions, constraints or known issues for the run.",
        commands=("run",),
        api_field="general_instructions",
    ),
    Option(
        name="focus_areas",
        kind=Kind.LINES,
        help="An area to focus on (repeatable; the variable takes one per line).",
        commands=("run",),
        api_field="focus_areas",
        flag="--focus-area",  # one area per flag
    ),
    Option(
        name="flows_count",
        kind=Kind.INT,
        help="Number of exploration flows.",
        commands=("run",),
        api_field="flows_count",
    ),
    Option(
        name="max_steps_per_flow",
        kind=Kind.INT,
        help="Maximum steps per flow.",
        commands=("run",),
        api_field="max_steps_per_flow",
    ),
    Option(
        name="send_report",
        kind=Kind.BOOL,
        help="Ask the service to e-mail a report when done.",
        commands=("run",),
        api_field="should_send_report",
    ),
    Option(
        name="stop_existing",
        kind=Kind.BOOL,
        help="Stop executions already running before starting.",
        commands=("run",),
        api_field="should_stop_existing",
    ),
    Option(
        name="allow_parallel",
        kind=Kind.BOOL,
        help="Let the service batch the run into parallel executions.",
        commands=("run",),
        api_field="allow_parallel",
    ),
    Option(
        name="schedule_at",
        kind=Kind.DATETIME,
        help="Schedule instead of starting now (ISO 8601, e.g. 2030-04-04T02:00:00+03:00).",
        commands=("run",),
        api_field="schedule_at",
    ),
    Option(
        name="repeat",
        kind=Kind.CHOICE,
        help="Recurrence of a scheduled run.",
        commands=("run",),
        api_field="repeat",
        choices=REPEATS,
    ),
    Option(
        name="repeat_count",
        kind=Kind.INT,
        help="Occurrences of a recurring schedule.",
        commands=("run",),
        api_field="repeat_count",
    ),
    Option(
        name="timezone",
        kind=Kind.TIMEZONE,
        help="IANA time zone for the schedule (the service's own default otherwise).",
        commands=("run",),
        api_field="timezone",
    ),
    Option(
        name="dry_run",
        kind=Kind.BOOL,
        default=False,
        help="Validate, print the request that would be sent (secrets as ***), send nothing.",
        commands=("run",),
    ),
    # Waiting and outputs.
    Option(
        name="wait",
        kind=Kind.BOOL,
        default=True,
        help="Wait for the executions to finish (a scheduled run never waits).",
        commands=("run",),
    ),
    Option(
        name="timeout",
        kind=Kind.FLOAT,
        default=3600.0,
        help="Seconds to wait for all executions before giving up.",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="poll_interval",
        kind=Kind.FLOAT,
        default=10.0,
        help="Seconds between status checks as an execution nears its end (>= 0.1).",
        commands=WAIT_COMMANDS,
        minimum=MIN_POLL_INTERVAL,
    ),
    Option(
        name="max_poll_interval",
        kind=Kind.FLOAT,
        default=60.0,
        help="Longest pause between status checks while the end is far.",
        commands=WAIT_COMMANDS,
        minimum=MIN_POLL_INTERVAL,
    ),
    Option(
        name="fail_on_timeout",
        kind=Kind.BOOL,
        default=True,
        help="Exit 4 on timeout (--no-fail-on-timeout: exit 0).",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="allow_empty",
        kind=Kind.BOOL,
        default=False,
        help="Pass an execution the service reports done with no test (default: exit 1).",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="stop_on_timeout",
        kind=Kind.BOOL,
        default=True,
        help="Stop unfinished executions on timeout.",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="stop_on_cancel",
        kind=Kind.BOOL,
        default=True,
        help="Stop unfinished executions on SIGINT/SIGTERM (job cancelled).",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="junit_file",
        kind=Kind.PATH,
        default="vibetesting-junit.xml",
        help="JUnit XML to write; empty: none.",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="report_file",
        kind=Kind.PATH,
        default="vibetesting-report.pdf",
        help="PDF report to download; empty: none; several executions: NAME-<id>.pdf.",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="results_file",
        kind=Kind.PATH,
        default="vibetesting-results.json",
        help="Results JSON to write; empty: none.",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="dotenv_file",
        kind=Kind.PATH,
        default="",
        help="GitLab dotenv report to write (artifacts:reports:dotenv); default: none.",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="require_report",
        kind=Kind.BOOL,
        default=False,
        help="Fail (exit 3) when a PDF report cannot be downloaded (default: a warning).",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="max_report_size",
        kind=Kind.INT,
        default=512,
        help="Largest PDF report to accept, in MiB.",
        commands=WAIT_COMMANDS,
        metavar="MIB",
    ),
    Option(
        name="max_failures",
        kind=Kind.COUNT,
        help=(
            "Pass (exit 0) with at most N tests failed or not done in the final counts; never "
            "turns a timeout, cancel, API error or unreadable answer into a pass."
        ),
        commands=WAIT_COMMANDS,
        maximum=MAX_COUNT,
    ),
    Option(
        name="min_pass_rate",
        kind=Kind.PERCENT,
        help=(
            "Pass (exit 0) when at least P percent of the tests passed in the final counts "
            "(with --max-failures: both must hold)."
        ),
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="retry_failed",
        kind=Kind.COUNT,
        default=0,
        help=(
            f"Retry failed tests up to N times (at most {MAX_RETRIES}), each a new billed run, "
            "within the same --timeout; fails then passes: flaky (exit 0)."
        ),
        commands=("run",),
        maximum=MAX_RETRIES,
    ),
    Option(
        name="retry_failed_whole",
        kind=Kind.BOOL,
        default=False,
        help=(
            "Where failed tests cannot be told apart (a suite, one execution of several tests, "
            "exploration), retry by rerunning the whole run (billed as a full run)."
        ),
        commands=("run",),
    ),
    Option(
        name="comment",
        kind=Kind.BOOL,
        default=False,
        help=(
            "Post the result as one comment on the pull/merge request, edited in place on "
            "later runs (GitHub: github-token; GitLab: GITLAB_TOKEN). Never fails the step."
        ),
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="github_token",
        kind=Kind.TEXT,
        help="GitHub token for --comment (default: GITHUB_TOKEN); needs pull-requests: write.",
        commands=WAIT_COMMANDS,
        secret=True,
        metavar="TOKEN",
        input_default="${{ github.token }}",
    ),
)

OPTIONS_BY_NAME: Mapping[str, Option] = {option.name: option for option in OPTIONS}

# Tests as code (issue 23): the options that pick the tests a run sends and fill in their text,
# without being a field of the request themselves (their own table in the README).
TESTS_AS_CODE = ("tags", "exclude_tags", "grep", "shard", "vars", "secret_vars")


def option(name: str) -> Option:
    """The row of the option table called ``name`` (KeyError for an unknown name)."""
    return OPTIONS_BY_NAME[name]
