"""`afterword check`: the config, every template, and every account's credentials.

The config is already valid when this runs (loading it reports every problem, exit 2).
Each template (the packaged ones, those in drafts.templates_dir and those named by
drafts.template and [[drafts.rules]]) is rendered against sample interviews and also read
for variables no interview provides, so a mistake in a branch the samples do not take is
still found. Each account's provider runs its offline check(), and accounts that sign in
must have credentials stored. Exit 0 when all is well, 1 when anything is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from afterword.daemon.config import Config
from afterword.daemon.drafting.compose import Templates, note_context
from afterword.daemon.drafting.templating import describe_error, template_file
from afterword.daemon.errors import AfterwordError, SecretsUnavailable, TemplateError
from afterword.daemon.model import Interview, Interviewer
from afterword.daemon.runtime import paths
from afterword.daemon.runtime.secrets import open_secrets
from afterword.providers import provider_class, provider_spec
from afterword.providers.base import ProviderContext

_TOP_LEVEL = ("interviewer", "interview", "me", "vars", "vary", "job", "ask",
              # Jinja's own: the template itself, loops, macros
              "self", "loop", "super", "caller", "varargs", "kwargs")


def sample_interviews(now: datetime) -> list[tuple[Interview, Interviewer]]:
    """Personas that take a template's branches: a full panel, and a bare guessed name."""
    start = now - timedelta(hours=3)
    jane = Interviewer("Jane Doe", "jane.doe@example.com", "Jane", "Doe", role="Engineering "
                       "Manager", notes="the data pipeline migration")
    raman = Interviewer("Priya Raman", "priya@example.com", "Priya", "Raman", title="Dr.")
    guessed = Interviewer("J Smith", "j.smith@example.org", "J", "Smith", needs_check=True)
    panel = Interview("sample", "sample-panel", "Interview: Data Engineer at Acme", start,
                      start + timedelta(hours=1), (jane, raman), company="Acme",
                      role="Data Engineer", location="Acme HQ",
                      video_link="https://meet.example.com/abc", notes="the team's roadmap")
    bare = Interview("sample", "sample-bare", "Chat", start - timedelta(days=2),
                     start - timedelta(days=2, hours=-1), (guessed,))
    return [(panel, jane), (panel, raman), (bare, guessed)]


def template_names(config: Config, templates: Templates) -> dict[str, str]:
    """Every template to check → where it is used (for the report)."""
    names = {name: "" for name in templates.names()}
    names[template_file(config.drafts.template)[:-3]] = "drafts.template"
    for i, rule in enumerate(config.drafts.rules):
        name = template_file(rule.template)[:-3]
        names[name] = names.get(name) or f"drafts.rules[{i}]"
    return names


def check_template(config: Config, templates: Templates, name: str, now: datetime) -> list[str]:
    """Problems of one template, each `template NAME.j2, line N: ...`."""
    filename = template_file(name)
    if templates.source_path(name) is None:
        where = ", ".join(str(f) for f in templates.folders)
        return [f"template {filename}: not found (looked in {where})"]
    problems = []
    try:
        problems += unknown_variables(templates, filename, config, now)
    except Exception as err:  # a syntax error, or a file that cannot be read
        return [describe_error(err, filename)]
    for interview, person in sample_interviews(now):
        try:
            templates.render(name, note_context(config, interview, person, now))
        except TemplateError as err:
            message = str(err)
            # The static pass already named this line: say it once.
            if not any(message.split(":")[0] == p.split(":")[0] for p in problems):
                problems.append(message)
    return problems


def unknown_variables(templates: Templates, filename: str, config: Config,
                      now: datetime) -> list[str]:
    """Variables the template reads that no note provides (found without rendering)."""
    from jinja2 import meta, nodes

    env = templates.text_env
    source, path, _ = env.loader.get_source(env, filename)
    ast = env.parse(source, filename, path)
    interview, person = sample_interviews(now)[0]
    sample = note_context(config, interview, person, now)
    problems = []
    # Names set anywhere (even in one branch) count as the template's own.
    assigned = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    undeclared = (meta.find_undeclared_variables(ast) - set(_TOP_LEVEL) - set(env.globals)
                  - assigned)
    names: Iterator[Any] = ast.find_all(nodes.Name)
    for node in names:
        if node.ctx == "load" and node.name in undeclared:
            problems.append(f"template {filename}, line {node.lineno}: "
                            f"undefined variable '{node.name}'")
            undeclared.discard(node.name)
    for node in ast.find_all(nodes.Getattr):
        owner = node.node
        if (isinstance(owner, nodes.Name)
                and owner.name in ("interviewer", "interview", "me", "job", "ask")
                and node.attr not in sample[owner.name]):
            problems.append(f"template {filename}, line {node.lineno}: "
                            f"undefined variable '{owner.name}.{node.attr}'")
    problems += _unset_vars(ast, filename, config)
    return problems


def _unset_vars(ast: Any, filename: str, config: Config) -> list[str]:
    """`vars.NAME` used without `is defined` but missing from [drafts.vars]."""
    from jinja2 import nodes

    def vars_attr(node: Any) -> str | None:
        if (isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name)
                and node.node.name == "vars"):
            return str(node.attr)
        return None

    guarded = {vars_attr(t.node) for t in ast.find_all(nodes.Test) if t.name == "defined"}
    problems = []
    for node in ast.find_all(nodes.Getattr):
        name = vars_attr(node)
        if (name and name not in config.drafts.vars and name not in guarded
                and name not in ("get", "items", "keys", "values")):
            problems.append(f"template {filename}, line {node.lineno}: undefined variable "
                            f"'vars.{name}' (add it to [drafts.vars])")
            guarded.add(name)  # once per name
    return problems


def check_accounts(config: Config, state_dir: Path,
                   clock: Callable[[], datetime]) -> list[str]:
    """Each account's offline check and, for those that sign in, stored credentials."""
    problems: list[str] = []
    secrets = open_secrets(config.secrets.backend, state_dir)
    secrets_broken = False
    for account in config.accounts:
        mine = tuple(dict.fromkeys([*config.me.emails, *filter(None, [account.address])]))
        found: list[str] = []
        try:
            cls = provider_class(account.provider)
            provider = cls(account, ProviderContext(config.me.timezone, mine, secrets, clock))
            found = [f"account {account.name}: {p}" for p in provider.check()]
        except SecretsUnavailable:
            pass  # reported once below, for the store
        except AfterwordError as err:
            found = [f"account {account.name}: {err}"]
        problems += found
        # The provider's own check usually covers sign-in; say "not signed in" only once.
        if not provider_spec(account.provider).signs_in or secrets_broken or found:
            continue
        try:
            if secrets.get(account.name) is None:
                problems.append(f"account {account.name}: not signed in; run "
                                f"`afterword auth {account.name}`")
        except SecretsUnavailable as err:
            secrets_broken = True  # one line for the store, not one per account
            problems.append(f"credentials: {err}")
    return problems


def run_check(config: Config, out: TextIO, clock: Callable[[], datetime],
              state_dir: Path | None = None) -> int:
    """Check everything, print one line per finding; 0 if all is well, else 1."""
    now = clock()
    problems: list[str] = []
    print(f"config: {config.path or 'ok'}: ok", file=out)
    templates = Templates(config.drafts.templates_dir)
    folder = config.drafts.templates_dir
    if folder is not None and not folder.is_dir():
        problems.append(f"drafts.templates_dir: {folder} is not a folder")
        print(f"  {problems[-1]}", file=out)
    for name, used_by in template_names(config, templates).items():
        found = check_template(config, templates, name, now)
        source = templates.source_path(name)
        label = f"template {template_file(name)}" + (f" ({source})" if source else "")
        label += f" [{used_by}]" if used_by else ""
        print(f"{label}: {'ok' if not found else f'{len(found)} problem(s)'}", file=out)
        for problem in found:
            print(f"  {problem}", file=out)
        problems += found
    account_problems = check_accounts(config, state_dir or paths.state_home() / "afterword",
                                      clock)
    for account in config.accounts:
        mine = [p for p in account_problems if p.startswith(f"account {account.name}:")]
        print(f"account {account.name} ({account.provider}): "
              f"{'ok' if not mine else f'{len(mine)} problem(s)'}", file=out)
        for problem in mine:
            print(f"  {problem}", file=out)
    for problem in account_problems:
        if not problem.startswith("account "):
            print(problem, file=out)
    problems += account_problems
    print("all good" if not problems else f"{len(problems)} problem(s) found", file=out)
    return 0 if not problems else 1
