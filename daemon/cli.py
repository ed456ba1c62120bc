"""The `afterword` command: argument parsing and one function per subcommand, no logic.

Exit status: 0 ok, 1 runtime failure, 2 bad usage or bad config. Errors are one clear
line (or a list of problems), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from afterword.daemon import __version__
from afterword.daemon import config as config_module
from afterword.daemon.errors import AfterwordError
from afterword.daemon.runtime import journal

log = logging.getLogger("afterword")


def _load(args: argparse.Namespace) -> config_module.Config:
    path = Path(args.config) if args.config else config_module.default_path()
    return config_module.load(path)


def _app(args: argparse.Namespace, exclusive: bool = False):  # type: ignore[no-untyped-def]
    """The configured App; `exclusive`: it syncs or drafts, alone (runtime/lock.py)."""
    from afterword.daemon.runtime.app import App

    return App(_load(args), exclusive=exclusive)


@contextmanager
def _opened(args: argparse.Namespace, exclusive: bool = False) -> Iterator[Any]:
    """The app of a one-shot command, closed however the command ends."""
    app = _app(args, exclusive)
    try:
        yield app
    finally:
        app.close()


def cmd_run(args: argparse.Namespace) -> int:
    """`afterword run`: the daemon; `--once`: exactly one cycle."""
    if not args.once:
        from afterword.daemon.runtime.service import Service

        path = Path(args.config) if args.config else config_module.default_path()
        config = config_module.load(path)
        journal.setup("debug" if args.verbose else config.daemon.log_level, daemon=True)
        return Service(config, path).run()
    app = _app(args, exclusive=True)
    try:
        report = app.cycle.run()
    finally:
        app.close()
    drafted = sum(len(a.drafted) for a in report.accounts)
    closed = sum(len(a.closed) for a in report.accounts)
    print(f"cycle done: {drafted} draft(s) written, {closed} draft(s) closed"
          + ("" if report.ok else f", {sum(len(a.errors) for a in report.accounts)} error(s)"))
    return 0 if report.ok else 1


def cmd_status(args: argparse.Namespace) -> int:
    """`afterword status [--json]`."""
    from afterword.daemon.commands.status import render_table, status_data

    with _opened(args) as app:
        now = app.clock()
        data = status_data(app.config, app.store, now)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(render_table(data, app.config, now))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """`afterword demo`: a throwaway calendar and Maildir, one real cycle, show the drafts."""
    from afterword.daemon.commands.demo import run_demo

    return run_demo(Path(args.dir) if args.dir else None)


def cmd_auth(args: argparse.Namespace) -> int:
    """`afterword auth ACCOUNT`: sign in (or import credentials) for one account."""
    from afterword.daemon.runtime.app import App
    from afterword.providers.base import AuthOptions

    app = App(_load(args), exclusive=True)
    try:
        provider = app.cycle.provider(app.config.account(args.account))
        message = provider.authorize(AuthOptions(
            open_browser=not args.no_browser, from_file=args.from_file, port=args.port))
        app.store.clear_account_error(args.account)
    finally:
        app.close()
    print(message)
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    """`afterword preview [EVENT_ID]`: what would be drafted; writes nothing."""
    from afterword.daemon.commands.preview import run_preview
    from afterword.daemon.runtime.app import utc_now

    return run_preview(_load(args), args.event_id, sys.stdout, utc_now, raw=args.raw)


def cmd_check(args: argparse.Namespace) -> int:
    """`afterword check`: config, templates, credentials."""
    from afterword.daemon.commands.check import run_check
    from afterword.daemon.runtime.app import utc_now

    return run_check(_load(args), sys.stdout, utc_now)


def cmd_done(args: argparse.Namespace) -> int:
    """`afterword done KEY`: no more reminders about this draft (or names-needed interview)."""
    from afterword.daemon.commands.done_snooze import done

    with _opened(args) as app:
        print(done(app.store, args.key, app.clock()))
    return 0


def cmd_snooze(args: argparse.Namespace) -> int:
    """`afterword snooze KEY DURATION`: no reminder about it before DURATION from now."""
    from afterword.daemon.commands.done_snooze import snooze

    with _opened(args) as app:
        print(snooze(app.store, args.key, args.duration, app.clock(), app.config.me.timezone))
    return 0


def cmd_service(args: argparse.Namespace) -> int:
    """`afterword service install`: write the systemd user unit, print the systemctl lines."""
    from afterword.daemon.commands.service_install import install_lines

    print("\n".join(install_lines(Path(args.config) if args.config else None)))
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    """`afterword explain EVENT_ID`: the rule that matched or the skip, then every attendee;
    for a recurring series' id or UID, its occurrences in the window."""
    from afterword.daemon.commands.explain import explain, find_event, skipped_blocks
    from afterword.daemon.commands.list_events import series_lines, window_events

    with _opened(args) as app:
        blocks = skipped_blocks(app.cycle.store, args.event_id)  # a runaway series first
        series: list[str] = []
        # A stored interview's own id is explained at once; anything else may be a series
        # (a unique prefix of an id still reaches find_event below).
        if not blocks and not any(app.store.interview(a.name, args.event_id)
                                  for a in app.config.accounts):
            problems: list[str] = []
            series = series_lines(app.config, window_events(
                app.config, app.cycle, app.clock(), problems), args.event_id)
        if series:
            blocks = ["\n".join(series)]
        elif not blocks:
            found = find_event(app.config, app.cycle, args.event_id)
            blocks = ["\n".join(explain(app.config, app.cycle, f)) for f in found]
    print("\n\n".join(blocks))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """`afterword list [--all]`: the events in the window, their ids and verdicts."""
    from afterword.daemon.commands.list_events import list_data, list_lines, window_events

    app = _app(args)
    problems: list[str] = []
    try:
        listed = window_events(app.config, app.cycle, app.clock(), problems)
    finally:
        app.close()
    if args.json:
        print(json.dumps(list_data(listed, args.all), indent=2, ensure_ascii=False))
    else:
        print("\n".join(list_lines(app.config, listed, args.all)))
    for problem in problems:
        print(f"afterword: {problem}", file=sys.stderr)
    return 1 if problems else 0


def cmd_fix(args: argparse.Namespace) -> int:
    """`afterword fix EVENT_ID --company X --role Y` (`--clear`): correct company and role."""
    from afterword.daemon.commands.fix import fix

    with _opened(args) as app:
        print(fix(app.cycle, args.event_id, args.company, args.role, args.clear, app.clock()))
    return 0


def cmd_add_interviewer(args: argparse.Namespace) -> int:
    """`afterword add-interviewer EVENT_ID "Name <address>"`."""
    from afterword.daemon.commands.add_interviewer import add_interviewer

    with _opened(args) as app:
        interview = add_interviewer(app.cycle, args.event_id, args.interviewer, app.clock())
    print(f"added {args.interviewer.strip()} to {interview.title!r}: now {interview.status.value}"
          f"; the next cycle drafts a note to them once the interview is over")
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    """`afterword note EVENT_ID TEXT [--for WHO] | --show | --clear`."""
    from afterword.daemon.commands.note import run_note

    app = _app(args)
    try:
        print("\n".join(run_note(app.cycle, args.event_id, sys.stdin.read() if args.text == "-"
                                 else args.text, args.who, args.show, args.clear, app.clock())))
    finally:
        app.close()
    return 0


def cmd_redraft(args: argparse.Namespace) -> int:
    """`afterword redraft KEY|EVENT_ID`: rewrite the unedited drafts after a correction."""
    from afterword.daemon.commands.redraft import redraft

    with _opened(args, exclusive=True) as app:  # it writes to the mailboxes, like a cycle
        outcomes = redraft(app.cycle, args.target)
    for outcome in outcomes:
        print(outcome.line())
    if not outcomes:
        print("no drafts to rewrite")
    return 0


def cmd_letter(args: argparse.Namespace) -> int:
    """`afterword letter EVENT_ID [--out DIR] [--card]`: one PDF per interviewer."""
    from afterword.daemon.commands.letter import letters

    with _opened(args) as app:
        for path in letters(app.cycle, args.event_id, Path(args.out), args.card, app.clock()):
            print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    # The shared options work before or after the subcommand. The subcommands' copies
    # default to SUPPRESS so they never overwrite a value given before the subcommand.
    def shared(parser: argparse.ArgumentParser, default: object) -> None:
        parser.add_argument("--config", metavar="PATH", default=default,
                            help="config file (default: $XDG_CONFIG_HOME/afterword/config.toml)")
        parser.add_argument("-v", "--verbose", action="store_true", default=default,
                            help="log more detail")

    common = argparse.ArgumentParser(add_help=False)
    shared(common, argparse.SUPPRESS)
    parser = argparse.ArgumentParser(
        prog="afterword",
        description="Drafts a thank-you note to each interviewer after every interview.",
    )
    shared(parser, None)
    parser.add_argument("--version", action="version", version=f"afterword {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("run", parents=[common], help="the daemon (or exactly one cycle)")
    p.add_argument("--once", action="store_true", help="run one cycle and exit")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("status", parents=[common],
                       help="interviews, drafts and their states, accounts needing attention")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("auth", parents=[common], help="sign in to an account's provider")
    p.add_argument("account", metavar="ACCOUNT", help="the account's name in the config")
    p.add_argument("--no-browser", action="store_true",
                   help="never open a browser; print the URL to open elsewhere")
    p.add_argument("--from-file", metavar="FILE",
                   help="import credentials made elsewhere instead of signing in")
    p.add_argument("--port", type=int, default=0, metavar="N",
                   help="loopback port for the sign-in redirect (fixed, for ssh -L; "
                        "default: any free port)")
    p.set_defaults(func=cmd_auth)

    p = sub.add_parser("preview", parents=[common],
                       help="show what would be drafted (headers and bodies); writes nothing")
    p.add_argument("event_id", metavar="EVENT_ID", nargs="?",
                   help="one interview (default: every interview due or coming up)")
    p.add_argument("--raw", action="store_true", help="the exact MIME bytes of each draft")
    p.set_defaults(func=cmd_preview)

    p = sub.add_parser("check", parents=[common],
                       help="check the config, render every template, look for credentials")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("done", parents=[common],
                       help="stop reminders about a draft (or a names-needed interview)")
    p.add_argument("key", metavar="KEY", help="the draft key shown by `afterword status`")
    p.set_defaults(func=cmd_done)

    p = sub.add_parser("snooze", parents=[common], help="no reminder about KEY for a while")
    p.add_argument("key", metavar="KEY", help="the draft key shown by `afterword status`")
    p.add_argument("duration", metavar="DURATION", help='e.g. "4h", "1d"')
    p.set_defaults(func=cmd_snooze)

    p = sub.add_parser("service", parents=[common], help="the systemd user service")
    p.add_argument("action", choices=["install"],
                   help="install: write ~/.config/systemd/user/afterword.service")
    p.set_defaults(func=cmd_service)

    p = sub.add_parser("explain", parents=[common],
                       help="why an event is or is not an interview, and who gets a note")
    p.add_argument("event_id", metavar="EVENT_ID",
                   help="an event's id (`afterword list`), or a recurring series' id or UID")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("list", parents=[common],
                       help="the events in the window with their ids and verdicts")
    p.add_argument("--all", action="store_true",
                   help="every event, with why it is not an interview (default: interviews)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("fix", parents=[common],
                       help="correct an interview's company and role for its notes")
    p.add_argument("event_id", metavar="EVENT_ID")
    p.add_argument("--company", metavar="NAME", help='the company ("" for none)')
    p.add_argument("--role", metavar="TITLE", help='the role applied for ("" for none)')
    p.add_argument("--clear", action="store_true",
                   help="undo the fix: back to what the invite says")
    p.set_defaults(func=cmd_fix)

    p = sub.add_parser("add-interviewer", parents=[common],
                       help="name an interviewer by hand: \"Jane Doe <jane@acme.com>\"")
    p.add_argument("event_id", metavar="EVENT_ID")
    p.add_argument("interviewer", metavar="\"NAME <ADDRESS>\"")
    p.set_defaults(func=cmd_add_interviewer)

    p = sub.add_parser("note", parents=[common], help="what you remember of an interview")
    p.add_argument("event_id", metavar="EVENT_ID", help='an id, a unique prefix, or "last"')
    p.add_argument("text", metavar="TEXT", nargs="?", help='"Jane: what stood out" (- stdin)')
    p.add_argument("--for", dest="who", default="", metavar="NAME|ADDRESS",
                   help="all of TEXT is about this interviewer")
    p.add_argument("--show", action="store_true", help="the notes its drafts use")
    p.add_argument("--clear", action="store_true", help="forget yours (--for: theirs only)")
    p.set_defaults(func=cmd_note)

    p = sub.add_parser("redraft", parents=[common],
                       help="rewrite the drafts you have not edited, after a correction")
    p.add_argument("target", metavar="KEY|EVENT_ID")
    p.set_defaults(func=cmd_redraft)

    p = sub.add_parser("letter", parents=[common], help="a printable letter (PDF) per "
                       "interviewer, or (--card) a short A6 one to copy out by hand")
    p.add_argument("event_id", metavar="EVENT_ID")
    p.add_argument("--out", metavar="DIR", default=".", help="where to write (default: .)")
    p.add_argument("--card", action="store_true", help="a short card instead of a letter")
    p.set_defaults(func=cmd_letter)

    p = sub.add_parser("demo", parents=[common],
                       help="a throwaway local calendar + Maildir, one real cycle")
    p.add_argument("--dir", help="where to put the demo files (default: a new temp folder)")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `afterword` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    journal.setup("debug" if getattr(args, "verbose", False) else "warning")
    try:
        status: int = args.func(args)
    except AfterwordError as err:
        print(f"afterword: {err}", file=sys.stderr)
        return err.exit_status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `afterword status | head`: the reader left; say nothing, like other Unix tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as err:  # a bug: still one line, the traceback only when asked for
        if getattr(args, "verbose", False):
            raise
        print(f"afterword: internal error: {type(err).__name__}: {err} "
              "(run again with --verbose for the traceback, and please report it)",
              file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
