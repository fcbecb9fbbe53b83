"""Adds runners and actors to an extension's `__init__.py` by parsing it, not by marker lines.

The file may be reformatted and commented freely: edits are located through the syntax tree
(the `from ... import` statement, the `runners=[...]` / `actors=[...]` lists of `Extension(...)`)
and spliced in as text, so everything else stays byte-for-byte as written. When a place cannot
be found unambiguously, the edit is refused with a hint rather than guessed.
"""

from __future__ import annotations

import ast
import bisect
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from legion.app.scaffold.imports import from_import
from legion.core.errors import LegionError, UsageError


@dataclass(frozen=True)
class Splice:
    """Replace source[start:end] (character offsets) by `text`."""

    start: int
    end: int
    text: str


def call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


class InitEditor:
    """Edits of one `__init__.py`, collected in memory; `result()` is the edited text."""

    def __init__(self, path: Path, source: str) -> None:
        self.path = path
        self.source = source
        try:
            self.tree = ast.parse(source, filename=str(path))
        except SyntaxError as exc:
            raise UsageError(
                f"{path} does not parse: {exc.msg} (line {exc.lineno})",
                hint="fix it, then run the generator again",
            ) from exc
        self.line_starts = [0, *(m.end() for m in re.finditer(r"\r\n|\r|\n", source))]
        self.newline = "\r\n" if "\r\n" in source else "\n"
        self.comments = self._comment_offsets()
        self.call = self._extension_call()
        self.splices: list[Splice] = []

    # -- positions ---------------------------------------------------------------------------

    def offset(self, lineno: int, col: int) -> int:
        """Character offset of an ast position (whose column counts UTF-8 bytes)."""
        start = self.line_starts[lineno - 1]
        end = self.line_starts[lineno] if lineno < len(self.line_starts) else len(self.source)
        return start + len(self.source[start:end].encode()[:col].decode())

    def span(self, node: ast.expr | ast.stmt) -> tuple[int, int]:
        assert node.end_lineno is not None and node.end_col_offset is not None
        return (
            self.offset(node.lineno, node.col_offset),
            self.offset(node.end_lineno, node.end_col_offset),
        )

    def line_start(self, pos: int) -> int:
        return self.line_starts[bisect.bisect_right(self.line_starts, pos) - 1]

    def indent_at(self, pos: int) -> str:
        line = self.source[self.line_start(pos) : pos]
        return line[: len(line) - len(line.lstrip())]

    def _comment_offsets(self) -> list[int]:
        found = []
        for token in tokenize.generate_tokens(io.StringIO(self.source, newline="").readline):
            if token.type == tokenize.COMMENT:
                found.append(self.line_starts[token.start[0] - 1] + token.start[1])
        return found

    def has_comment(self, start: int, end: int) -> bool:
        return any(start <= c < end for c in self.comments)

    # -- what is there -----------------------------------------------------------------------

    def _extension_call(self) -> ast.Call:
        calls = [
            node
            for node in ast.walk(self.tree)
            if isinstance(node, ast.Call) and call_name(node.func) == "Extension"
        ]
        if len(calls) != 1:
            raise UsageError(
                f"{self.path}: expected one `Extension(...)` call, found {len(calls)}",
                hint="the generators add to the runners=[...] and actors=[...] of that call",
            )
        return calls[0]

    def bound_names(self) -> set[str]:
        """Names the module binds at top level (imports, assignments, definitions)."""
        names: set[str] = set()
        for node in self.tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            else:
                names.update(
                    n.id
                    for n in ast.walk(node)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
                )
        return names

    def list_of(self, keyword: str) -> ast.List:
        for kw in self.call.keywords:
            if kw.arg == keyword:
                if isinstance(kw.value, ast.List):
                    return kw.value
                raise UsageError(
                    f"{self.path}: `{keyword}=` of Extension(...) is not a literal list",
                    hint=f"write it as {keyword}=[...] so it can be appended to, "
                    "or add the new entry by hand",
                )
        raise UsageError(
            f"{self.path}: Extension(...) has no `{keyword}=[...]`",
            hint=f"add `{keyword}=[],` to Extension(...), then run the generator again",
        )

    def items(self, keyword: str) -> list[str]:
        """Source text of each element of the `keyword=[...]` list."""
        return [self.source[slice(*self.span(e))] for e in self.list_of(keyword).elts]

    # -- edits -------------------------------------------------------------------------------

    def add_import(self, module: str, name: str) -> None:
        """Add `name` to the one `from module import ...` statement, sorted like ruff sorts."""
        nodes = [
            n
            for n in self.tree.body
            if isinstance(n, ast.ImportFrom) and n.level == 0 and n.module == module
        ]
        if any(a.name == name and a.asname is None for n in nodes for a in n.names):
            return
        plain = [n for n in nodes if not any(a.asname for a in n.names)]
        if len(plain) != 1:
            raise UsageError(
                f"{self.path}: expected one `from {module} import ...` statement, "
                f"found {len(plain)}",
                hint=f"import {name} from {module} there by hand, then run the generator again",
            )
        start, end = self.span(plain[0])
        if self.has_comment(start, end):
            raise UsageError(
                f"{self.path}: the `from {module} import ...` statement holds a comment",
                hint="move the comment out of the statement, then run the generator again",
            )
        text = from_import(module, [a.name for a in plain[0].names] + [name])
        self.splices.append(Splice(start, end, text.replace("\n", self.newline)))

    def append(self, keyword: str, item: str) -> None:
        """Append `item` to the `keyword=[...]` list of Extension(...), one item per line."""
        node = self.list_of(keyword)
        start, end = self.span(node)
        close = end - 1
        closing_line = self.line_start(close)
        if self.source[closing_line:close].strip() == "":
            self._insert_before_closing(node, close, closing_line, item)
            return
        if self.has_comment(start, end):
            raise UsageError(
                f"{self.path}: cannot append to `{keyword}=[...]`: it holds a comment and its `]` "
                "is not on a line of its own",
                hint=f"put the `]` of {keyword}=[...] on a line of its own, then run it again",
            )
        base = self.indent_at(start)
        texts = [*self.items(keyword), item]
        body = "".join(f"{base}    {text},{self.newline}" for text in texts)
        self.splices.append(Splice(start, end, f"[{self.newline}{body}{base}]"))

    def _insert_before_closing(
        self, node: ast.List, close: int, closing_line: int, item: str
    ) -> None:
        """The list's `]` is on its own line: add a line above it, fixing the trailing comma."""
        indent = self.indent_at(close) + "    "
        if node.elts:
            first = self.span(node.elts[0])[0]
            before_first = self.source[self.line_start(first) : first]
            if before_first.strip() == "":
                indent = before_first
            last_end = self.span(node.elts[-1])[1]
            if "," not in re.sub(r"#[^\r\n]*", "", self.source[last_end:close]):
                self.splices.append(Splice(last_end, last_end, ","))
        self.splices.append(Splice(closing_line, closing_line, f"{indent}{item},{self.newline}"))

    def result(self) -> str:
        """The source with every edit applied; it must still parse."""
        text = self.source
        for splice in sorted(self.splices, key=lambda s: (s.start, s.end), reverse=True):
            text = text[: splice.start] + splice.text + text[splice.end :]
        try:
            ast.parse(text)
        except SyntaxError as exc:
            raise LegionError(
                f"editing {self.path} would leave it unparsable ({exc.msg}); nothing was written",
                hint="add the runner or actor by hand",
            ) from exc
        return text
