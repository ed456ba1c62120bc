"""Jinja2 templates for notes: a sandbox, StrictUndefined, and HTML that is really escaped.

One file `<name>.j2` holds `{% block subject %}`, `{% block text %}` and optionally
`{% block html %}` (see templates/README.md). The file is compiled twice: once in a
plain-text environment for the subject and text, once in an environment with autoescape
on for the HTML, so `<script>` in an invite title arrives as `&lt;script&gt;` in the HTML
part and unchanged in the text part. Templates may `{% extends %}` one another.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import Any

import afterword.templates
from afterword.daemon.drafting.mime import RenderedNote, header_safe
from afterword.daemon.errors import TemplateError

PACKAGED_TEMPLATES = Path(afterword.templates.__file__).resolve().parent
SUFFIX = ".j2"


class Variation:
    """`vary(a, b, c)`: a deterministic choice per recipient, different across a panel.

    The base index is a hash of the options and of the whole panel, so the same person
    always reads the same wording; each panel member is offset by their rank in the
    panel, so with at least as many options as people every member gets a different one,
    and several `vary` calls with different numbers of options (2, 3, 4, 5...) keep the
    combination distinct for much larger panels.
    """

    def __init__(self, recipient: str, panel: Sequence[str] = ()) -> None:
        people = sorted({p.casefold() for p in (*panel, recipient) if p})
        self.rank = people.index(recipient.casefold()) if recipient else 0
        self.seed = "\x00".join(people)

    def __call__(self, *options: Any) -> Any:
        """One of `options`, the same one every time for this recipient."""
        if not options:
            return ""
        digest = hashlib.sha256("\x1f".join([self.seed, *map(str, options)]).encode()).digest()
        return options[(int.from_bytes(digest[:4], "big") + self.rank) % len(options)]


def join_names(items: Iterable[Any], conjunction: str = "and") -> str:
    """["Jane", "John", "Priya"] → "Jane, John and Priya" (dicts use their first_name)."""
    names = [str(i.get("first_name") or i.get("name") if isinstance(i, Mapping) else i)
             for i in items]
    names = [n for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {conjunction} {names[-1]}"


def _inline(value: Any) -> str:
    """Notes as a phrase inside a sentence: one line, no trailing full stop."""
    return " ".join(str(value).split()).rstrip(" .;")


class Templates:
    """Loads templates from the user's folder first, then the packaged ones."""

    def __init__(self, user_dir: Path | None = None) -> None:
        self.user_dir = user_dir

    @property
    def folders(self) -> list[Path]:
        """Where templates are looked up, in order."""
        return [d for d in (self.user_dir, PACKAGED_TEMPLATES) if d is not None]

    def _make_env(self, autoescape: bool) -> Any:
        # Imported lazily: the idle daemon never needs Jinja.
        from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment
        from markupsafe import Markup, escape

        def nl2br(value: Any) -> Any:
            if not autoescape:
                return value
            return Markup("<br>\n").join(escape(line) for line in str(value).splitlines())

        def paragraphs(value: Any) -> Any:
            if not autoescape:
                return value
            # escape() leaves Markup (e.g. `self.text()`, already escaped) as it is.
            text = str(escape(value)).replace("\r\n", "\n").strip()
            blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
            return Markup("\n").join(
                Markup("<p>" + "<br>\n".join(line.rstrip() for line in b.splitlines()) + "</p>")
                for b in blocks)

        env = SandboxedEnvironment(
            loader=ChoiceLoader([FileSystemLoader(str(d)) for d in self.folders]),
            undefined=StrictUndefined,
            autoescape=autoescape,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters.update(nl2br=nl2br, paragraphs=paragraphs, join_names=join_names,
                           inline=_inline)
        return env

    @cached_property
    def text_env(self) -> Any:
        """The environment for subject and plain text: no escaping."""
        return self._make_env(autoescape=False)

    @cached_property
    def html_env(self) -> Any:
        """The environment for the HTML body: everything escaped unless marked safe."""
        return self._make_env(autoescape=True)

    def names(self) -> list[str]:
        """Every template name available (user folder and packaged), partials excluded."""
        found: set[str] = set()
        for folder in self.folders:
            if folder.is_dir():
                found |= {p.name[: -len(SUFFIX)] for p in folder.glob(f"*{SUFFIX}")
                          if not p.name.startswith("_")}
        return sorted(found)

    def source_path(self, name: str) -> Path | None:
        """The file that template `name` is loaded from, or None."""
        for folder in self.folders:
            path = folder / template_file(name)
            if path.is_file():
                return path
        return None

    def render(self, name: str, context: Mapping[str, Any]) -> RenderedNote:
        """Render template `name`; TemplateError names the file and line on any problem."""
        filename = template_file(name)
        try:
            subject, text, has_html = self._blocks(self.text_env, filename, context,
                                                   ("subject", "text"))
            html = None
            if has_html:
                html = self._blocks(self.html_env, filename, context, ("html",))[0]
        except TemplateError:
            raise
        except Exception as err:  # Jinja's errors, and Python's from inside a template (1/0)
            raise TemplateError(describe_error(err, filename)) from err
        subject = header_safe(subject, 250)
        if not subject:
            raise TemplateError(f"template {filename}: the subject block rendered empty")
        body = tidy(text)
        if not body.strip():
            raise TemplateError(f"template {filename}: the text block rendered empty")
        return RenderedNote(subject=subject, text=body,
                            html=html.strip() + "\n" if html and html.strip() else None)

    def render_paper(self, name: str, context: Mapping[str, Any],
                     blocks: Sequence[str]) -> tuple[str, str]:
        """(block, text) of the first of `blocks` the template has, tidied: the words of a
        letter ("letter", then "text") or a card ("card", then "text")."""
        filename = template_file(name)
        env = self.text_env
        try:
            template = env.get_template(filename)
            ctx = template.new_context(dict(context))
            try:
                for _ in template.root_render_func(ctx):
                    pass
                found = {n: stack[0] for n, stack in ctx.blocks.items() if stack}
                chosen = next((b for b in blocks if b in found), "")
                if not chosen:
                    raise TemplateError(f"template {filename}: no {{% block {blocks[-1]} %}}")
                text = "".join(found[chosen](ctx))
            except TemplateError:
                raise
            except Exception:
                env.handle_exception()
        except TemplateError:
            raise
        except Exception as err:
            raise TemplateError(describe_error(err, filename)) from err
        if not text.strip():
            raise TemplateError(f"template {filename}: the {chosen} block rendered empty")
        return chosen, tidy(text)

    def _blocks(self, env: Any, filename: str, context: Mapping[str, Any],
                wanted: tuple[str, ...]) -> tuple[str, str, bool]:
        template = env.get_template(filename)
        ctx = template.new_context(dict(context))
        out = []
        try:
            # Running the root registers the blocks of every template up the `extends` chain.
            for _ in template.root_render_func(ctx):
                pass
            blocks: dict[str, Callable[[Any], Iterable[str]]] = {
                name: stack[0] for name, stack in ctx.blocks.items() if stack}
            for name in wanted:
                if name not in blocks:
                    raise TemplateError(f"template {filename}: no {{% block {name} %}}")
                out.append("".join(blocks[name](ctx)))
        except TemplateError:
            raise
        except Exception:
            # Jinja maps the generated code's frames back to template lines (and re-raises).
            env.handle_exception()
        return (out[0], out[1] if len(out) > 1 else "", "html" in blocks)


def template_file(name: str) -> str:
    """The file name of template `name` ("thank-you" or "thank-you.j2" → "thank-you.j2")."""
    return name if name.endswith(SUFFIX) else f"{name}{SUFFIX}"


def describe_error(err: BaseException, filename: str) -> str:
    """`template NAME.j2, line N: message` for a Jinja syntax or runtime error."""
    from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError

    if isinstance(err, TemplateSyntaxError):
        where = Path(err.filename).name if err.filename else filename
        return f"template {where}, line {err.lineno}: {err.message}"
    if isinstance(err, TemplateNotFound):
        missing = err.name if err.name != filename else filename
        return f"template {missing} not found (looked in templates_dir and the packaged ones)"
    where, line = _frame_of(err.__traceback__)
    location = f"template {where or filename}" + (f", line {line}" if line else "")
    if isinstance(err, UndefinedError):
        return f"{location}: undefined variable: {err}"
    if isinstance(err, OSError | UnicodeError):
        return f"template {filename}: cannot be read: {err}"
    is_jinja = type(err).__module__.startswith("jinja2")
    return f"{location}: {err}" if is_jinja else f"{location}: {type(err).__name__}: {err}"


def _frame_of(tb: TracebackType | None) -> tuple[str, int | None]:
    # Jinja rewrites runtime tracebacks so that frames point into the template source.
    where, line = "", None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(SUFFIX):
            where, line = Path(name).name, tb.tb_lineno
        tb = tb.tb_next
    return where, line


def tidy(text: str) -> str:
    """Trailing spaces off, runs of blank lines squeezed to one, one final newline."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"
