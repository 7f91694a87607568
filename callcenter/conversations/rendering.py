"""Filling a reply template's variables, with template authors treated as untrusted.

Templates are Jinja2 run in its ``SandboxedEnvironment``, and narrowed
further when saved (``check``): only the five variables below, only a few
text filters, ``if`` but no loops, calls, assignments or imports.  So a
template can neither reach Python objects (``''.__class__``) nor spin a
loop, and what it reads is plain strings, never a model.  A variable with
no value (a ticket without a customer) renders empty, never an error.
HTML variants autoescape; text variants do not (an SMS has no markup).
"""
from __future__ import annotations

import functools

from jinja2 import ChainableUndefined, Template, TemplateError, nodes
from jinja2.sandbox import SandboxedEnvironment

from ..i18n import N_, Refusal

# What a template may say: {{ customer.name }}, {{ ticket.number }} ...
VARIABLES: dict[str, tuple[str, ...]] = {"customer": ("name",), "ticket": ("number", "subject"),
                                         "agent": ("name",), "centre": ("name",)}
FILTERS = ("default", "upper", "lower", "title", "capitalize", "trim", "truncate")
# Statements a reply never needs, and the ones that could run long or reach outside the context.
FORBIDDEN = (nodes.For, nodes.Macro, nodes.CallBlock, nodes.FilterBlock, nodes.With, nodes.Include,
             nodes.Import, nodes.FromImport, nodes.Extends, nodes.Block, nodes.Assign, nodes.AssignBlock,
             nodes.Call, nodes.Getitem, nodes.Slice, nodes.ScopedEvalContextModifier)
# The longest text a template may produce (a reply's own limit is the conversation service's).
MAX_OUTPUT = 200_000


class RenderError(Refusal):
    """A template that cannot be used as written."""


def _environment(html: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=html, undefined=ChainableUndefined, keep_trailing_newline=True)
    env.filters = {name: env.filters[name] for name in FILTERS}
    env.globals.clear()  # no range(), lipsum(), namespace() ...
    return env


TEXT, HTML = _environment(False), _environment(True)


def variable_names() -> list[str]:
    return [f"{name}.{attr}" for name, attrs in VARIABLES.items() for attr in attrs]


def check(source: str, *, html: bool = False) -> None:
    """Refuse a template that does not parse, or uses anything but the variables, filters and ``if``."""
    env = HTML if html else TEXT
    try:
        tree = env.parse(source)
        env.compile(tree)  # an unknown filter is found here
    except TemplateError as exc:
        line = getattr(exc, "lineno", None) or 1
        raise RenderError(N_("The template cannot be read (line %(line)s): %(error)s"), code="syntax",
                          line=line, error=getattr(exc, "message", None) or str(exc)) from None
    for node in tree.find_all(FORBIDDEN):
        raise RenderError(N_("Templates may only use variables, filters and if (line %(line)s)."),
                          code="not_allowed", line=node.lineno)
    for attr in tree.find_all(nodes.Getattr):
        owner = attr.node
        if not (isinstance(owner, nodes.Name) and attr.attr in VARIABLES.get(owner.name, ())):
            raise RenderError(N_("Unknown variable on line %(line)s; use one of %(names)s."), code="unknown_variable",
                              line=attr.lineno, names=", ".join(variable_names()))
    for name in tree.find_all(nodes.Name):
        if name.name not in VARIABLES:
            raise RenderError(N_("Unknown variable %(name)s on line %(line)s; use one of %(names)s."),
                              code="unknown_variable", name=name.name, line=name.lineno,
                              names=", ".join(variable_names()))


@functools.lru_cache(maxsize=256)
def _compiled(source: str, html: bool) -> Template:
    """A checked template, compiled once: a bulk reply fills the same one in for thousands of tickets, and
    parsing and compiling it took most of each one's time.  A refused one is not kept (the error propagates)."""
    check(source, html=html)
    return (HTML if html else TEXT).from_string(source)


def render(source: str, context: dict[str, dict[str, str]], *, html: bool = False) -> str:
    """``source`` with ``context``'s values filled in (checked first: a stored template is untrusted too)."""
    template = _compiled(source, html)
    try:
        text = template.render(**context)
    except TemplateError as exc:  # SecurityError included: the sandbox said no
        raise RenderError(N_("The template cannot be filled in: %(error)s"), code="render",
                          error=getattr(exc, "message", None) or str(exc)) from None
    if len(text) > MAX_OUTPUT:
        raise RenderError(N_("The filled-in template is over %(n)s characters."), code="too_long", n=MAX_OUTPUT)
    return text


def context(*, customer: str = "", number: str = "", subject: str = "", agent: str = "",
            centre: str = "") -> dict[str, dict[str, str]]:
    """The values a template sees: strings only, so nothing in a template can reach a model."""
    return {"customer": {"name": customer}, "ticket": {"number": number, "subject": subject},
            "agent": {"name": agent}, "centre": {"name": centre}}
