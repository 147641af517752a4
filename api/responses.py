"""A JSON response rendered by orjson: the same bytes as Starlette's on the append answers."""

from __future__ import annotations

import orjson
from fastapi.responses import JSONResponse


class FastJSONResponse(JSONResponse):
    """`JSONResponse` at orjson's cost. For strings, integers, booleans, null, lists and
    string-keyed objects (a receipt) orjson writes what Starlette's compact `json.dumps` does
    (UTF-8, no spaces); anything orjson refuses falls back to Starlette's own rendering."""

    def render(self, content: object) -> bytes:
        try:
            return orjson.dumps(content)
        except orjson.JSONEncodeError:
            return super().render(content)
