"""The `jinja` engine: a sandboxed template whose rendered text is the JSON arguments.

Compiling parses, refuses template loading, and generates Python once; rendering runs the
generated function directly and stops the output as soon as it passes the size limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import islice
from types import TracebackType
from typing import Any, ClassVar

from jinja2 import Template, TemplateError, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context

from legion.core.transformations import limits, output
from legion.core.transformations.base import Transformation, check_max_bytes
from legion.core.transformations.errors import TransformationError
from legion.core.transformations.limits import DEFAULT_MAX_BYTES, LimitExceeded
from legion.core.transformations.sandbox import ENVIRONMENT, UNDEFINED_VARIABLE_RE

_SOURCE = "the template"
_BATCH = 32  # output chunks rendered between two size checks; each chunk is itself bounded
_SHAPE_HINT = (
    'render an object, e.g. {"key": {{ results.value | tojson }}}, '
    "or a list of objects to start one follow-up task per object"
)
_LOADING_TAGS = {
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from ... import",
    nodes.Extends: "extends",
}


@dataclass(frozen=True, slots=True)
class JinjaTransformation(Transformation):
    """A compiled sandboxed Jinja template (see `compile_jinja`)."""

    engine: ClassVar[str] = "jinja"
    text: str
    _template: Template = field(compare=False, repr=False)

    def render(
        self, context: Mapping[str, Any], *, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> output.Arguments:
        check_max_bytes(max_bytes)
        token = limits.start(max_bytes)
        try:
            text = self._render_text(context, max_bytes)
        except TransformationError:
            raise
        except Exception as exc:
            raise self._explain(exc, context) from exc
        finally:
            limits.finish(token)
        return output.as_arguments(output.parse(text, _SOURCE), _SOURCE, _SHAPE_HINT)

    def _render_text(self, context: Mapping[str, Any], max_bytes: int) -> str:
        template = self._template
        variables = ENVIRONMENT.globals.copy()  # a flat dict: Jinja's ChainMap merge costs 10x
        variables.update(context)
        chunks = template.root_render_func(Context(ENVIRONMENT, variables, None, template.blocks))
        parts = list(islice(chunks, _BATCH))  # small templates are done in one batch
        size = sum(map(len, parts))
        batch = parts
        while len(batch) == _BATCH and size <= max_bytes:  # long outputs: check per batch
            batch = list(islice(chunks, _BATCH))
            size += sum(map(len, batch))
            parts += batch
        if size > max_bytes:
            raise LimitExceeded(f"the output is larger than the limit of {max_bytes} bytes")
        text = "".join(parts)
        if size * 4 > max_bytes and output.utf8_size(text) > max_bytes:
            raise LimitExceeded(f"the output is larger than the limit of {max_bytes} bytes")
        return text

    def _explain(self, exc: Exception, context: Mapping[str, Any]) -> TransformationError:
        """Turn a rendering failure into a message naming the line and the cause."""
        line = _template_line(exc.__traceback__, self._template)
        where = f" at line {line}" if line is not None else ""
        hint = None
        if isinstance(exc, SecurityError):
            message = str(exc)
        elif isinstance(exc, UndefinedError):
            message = str(exc)
            match = UNDEFINED_VARIABLE_RE.match(message)
            if match:
                message += output.close_match(match["name"], context)
                hint = f"the variables are {', '.join(sorted(map(str, context)))}"
        elif isinstance(exc, LimitExceeded):
            message = f"the template went over a sandbox limit: {exc}"
        elif isinstance(exc, RecursionError):
            message = "the template recursed too deeply"
        elif isinstance(exc, TemplateError):
            message = exc.message or type(exc).__name__
        else:
            message = f"{type(exc).__name__}: {exc}"
        source = _source_line(self.text, line)
        return TransformationError(
            f"rendering failed{where}: {message}{source}", hint=hint, line=line
        )


def _template_line(tb: TracebackType | None, template: Template) -> int | None:
    """The template line of the innermost frame of generated template code, if any."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_globals.get("__jinja_template__") is template:
            line = template.get_corresponding_lineno(tb.tb_lineno)
        tb = tb.tb_next
    return line


def _source_line(text: str, line: int | None) -> str:
    if line is None:
        return ""
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return ""
    shown = lines[line - 1].strip()
    if len(shown) > 120:
        shown = shown[:117] + "..."
    return f" (in `{shown}`)"


def compile_jinja(text: str) -> JinjaTransformation:
    """Parse and compile once; syntax errors and template loading are refused here, with a line."""
    try:
        tree = ENVIRONMENT.parse(text)
        for node in tree.find_all(tuple(_LOADING_TAGS)):
            tag = _LOADING_TAGS[type(node)]
            raise TransformationError(
                f"template error at line {node.lineno}: `{{% {tag} %}}` is not available;"
                " transformations cannot load other templates, files or URLs"
                + _source_line(text, node.lineno),
                line=node.lineno,
            )
        template = ENVIRONMENT.from_string(tree)
    except TemplateSyntaxError as exc:
        raise TransformationError(
            f"template syntax error at line {exc.lineno}: {exc.message}"
            + _source_line(text, exc.lineno),
            line=exc.lineno,
        ) from None
    except RecursionError:
        raise TransformationError("the template is nested too deeply to compile") from None
    except TransformationError:
        raise
    except Exception as exc:  # anything else Jinja's compiler raises is still a bad template
        raise TransformationError(f"template error: {type(exc).__name__}: {exc}") from None
    return JinjaTransformation(text, template)
