"""How the `qc` command talks to people: every mistake is one line on stderr and exit 2, never a traceback;
help shows what to type, not Python types; tables stay readable when the output is a log file.

The usage errors of the command-line parser (a missing argument, a value out of range) are caught here,
around the whole command group, so they read like the pipeline's own errors (`UserError`).
"""
from __future__ import annotations

import os
import re
import sys
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperArgument, TyperGroup, TyperOption

try:  # typer vendors click from 0.2x on; older releases use click itself
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover
    from click import exceptions as click_errors

# Set to see the traceback of an unexpected error (for a bug report).
DEBUG_VARIABLE = "QC_DEBUG"

# The parser's wording (pydantic's, in recent typer) → a user's. First match wins.
_FRIENDLY = (
    (re.compile(r"Input should be greater than or equal to (\S+)"), r"must be at least \1"),
    (re.compile(r"Input should be greater than (\S+)"), r"must be more than \1"),
    (re.compile(r"Input should be less than or equal to (\S+)"), r"must be at most \1"),
    (re.compile(r"Input should be less than (\S+)"), r"must be less than \1"),
    (re.compile(r"Input should be a valid integer.*"), "must be a whole number"),
    (re.compile(r"Input should be a valid number.*"), "must be a number"),
    (re.compile(r"Input should be a valid boolean.*"), "must be true or false"),
    (re.compile(r"(\S+) is not in the range (.*)\."), r"\1 is outside \2"),
)


def friendly(message: str) -> str:
    for pattern, replacement in _FRIENDLY:
        if pattern.search(message):
            return pattern.sub(replacement, message)
    return message


def usage_line(error: Exception, command_path: str | None) -> str:
    """One line for a parser error, naming the option and how to get help."""
    see = f" (see `{command_path} --help`)" if command_path else ""
    if isinstance(error, click_errors.MissingParameter):
        return f"{error.format_message()}{see}"
    if isinstance(error, click_errors.BadParameter) and error.param is not None:
        name = error.param_hint if isinstance(error.param_hint, str) else None
        if name is None:
            opts = getattr(error.param, "opts", None) or [error.param.name or "value"]
            name = opts[-1] if opts[-1].startswith("-") else opts[-1].upper()
        return f"{name.strip(chr(39))}: {friendly(error.message)}{see}"
    if isinstance(error, click_errors.ClickException):
        return f"{friendly(error.format_message())}{see}"
    return str(error)


def _list_metavar(param: Any) -> str:
    try:
        shown = param.bare_type()  # "list[Path]"
    except Exception:  # pragma: no cover - typer without it
        shown = str(getattr(param, "type", ""))
    return "PATH" if "path" in shown.lower() else "TEXT"


def tidy_help(command: Any) -> None:
    """Flags show no type (help said <bool>) and lists a word (help said <list[Path]>)."""
    for param in getattr(command, "params", []):
        if isinstance(param, TyperOption) and param.metavar is None:
            if param.is_flag or param.count:
                param.metavar = ""
            elif param.multiple or param.nargs != 1:
                param.metavar = _list_metavar(param)
        elif isinstance(param, TyperArgument) and param.nargs != 1:
            shown = _list_metavar(param)
            # An argument's help column ignores its metavar, so its display is set on the instance.
            param.display_type_rich = lambda ctx, shown=shown: shown
    if not getattr(command, "_qc_tidy_help", False):
        command._qc_tidy_help = True
        plain = command.get_help_option

        def get_help_option(ctx, plain=plain):  # --help is made per call, outside `params`
            option = plain(ctx)
            if option is not None and option.metavar is None:
                option.metavar = ""
            return option

        command.get_help_option = get_help_option
    for sub in getattr(command, "commands", {}).values():
        tidy_help(sub)


class QcGroup(TyperGroup):
    """The command group: parser errors as one line and exit 2; help tidied."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # noqa: D102
        tidy_help(self)
        stderr = Console(stderr=True, soft_wrap=True, highlight=False, emoji=False)
        try:
            result = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                  standalone_mode=False, **extra)
        except click_errors.NoArgsIsHelpError:  # the help is already printed
            sys.exit(0)
        except click_errors.ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            stderr.print(f"[red]error:[/] {escape(usage_line(exc, ctx.command_path if ctx else None))}")
            sys.exit(2)
        except typer.Abort:
            stderr.print("aborted")
            sys.exit(130)
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)


def unexpected(exc: BaseException) -> str:
    """The one line for an error that is not the user's (a bug): what it was, and how to see more."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return (f"unexpected {type(exc).__name__}{': ' + text if text else ''} "
            f"(a bug: run again with {DEBUG_VARIABLE}=1 for the details and report it)")


def debugging() -> bool:
    return os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")


def os_error_line(exc: OSError) -> str:
    where = exc.filename if exc.filename is not None else ""
    reason = exc.strerror or str(exc)
    return f"{where}: {reason}" if where else reason
