"""Path parameters with a strict shape: ids and names that could walk a path (`..`, `/`,
control characters) are refused with a 400 before any lookup."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter

NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,199}$"
# The largest id a JSON number carries exactly (2**53 - 1): OpenAPI bounds are written as
# floats, and a larger bound would be rounded up past what the server accepts.
MAX_ID = 2**53 - 1

NamePath = Annotated[str, PathParameter(pattern=NAME_PATTERN, max_length=200)]
TaskId = Annotated[str, PathParameter(pattern=NAME_PATTERN, max_length=200, description="task id")]
RelationshipId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="relationship id")]
