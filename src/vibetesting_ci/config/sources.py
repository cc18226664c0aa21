"""Where an option's value comes from: the command line, then the ``VIBETESTING_*`` variable,
then the option table's default (the tests file's run settings sit between the variable and
the default; ``config.settings.run_settings`` applies them). A variable that is set but empty
counts as unset, except for the output paths, where empty means "write no such file" (as
``--junit-file ''`` does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vibetesting_ci.config.kinds import Kind
from vibetesting_ci.config.options import OPTIONS_BY_NAME
from vibetesting_ci.errors import InputError


def _normalised(value: Any, where: str) -> Any:
    """Option or variable text through the one text normalisation (surrogates)."""
    from vibetesting_ci.safety.text import normalise

    try:
        if isinstance(value, str):
            return normalise(value, from_os=True)
        if isinstance(value, tuple | list):
            return type(value)(
                normalise(v, from_os=True) if isinstance(v, str) else v for v in value
            )
    except ValueError as exc:  # half a surrogate pair, or a byte that is not UTF-8
        raise InputError(f"{where}: {exc}") from None
    return value


class Raw:
    """Resolves each option from the command line, then the environment, with its origin."""

    def __init__(self, cli_values: Mapping[str, Any], environ: Mapping[str, str]) -> None:
        self.cli = cli_values
        self.environ = environ

    def get(self, name: str) -> tuple[Any, str] | None:
        """The raw value and where it came from (for error messages), or None when unset.
        Text goes through :func:`vibetesting_ci.safety.text.normalise` first (InputError if it
        holds a lone surrogate or a byte that is not UTF-8)."""
        row = OPTIONS_BY_NAME[name]
        value = self.cli.get(name)
        if value is not None and value != ():
            return _normalised(value, row.flag), row.flag
        if row.env in self.environ:
            text = self.environ[row.env]
            if text.strip() or row.kind is Kind.PATH:
                return _normalised(text, row.env), row.env
        return None

    def where(self, name: str) -> str:
        """The flag or variable a set option came from (for error messages)."""
        found = self.get(name)
        return found[1] if found is not None else OPTIONS_BY_NAME[name].flag

    def value(self, name: str) -> Any:
        row = OPTIONS_BY_NAME[name]
        found = self.get(name)
        if found is None:
            return row.default
        raw, where = found
        return row.parse(raw, where)
