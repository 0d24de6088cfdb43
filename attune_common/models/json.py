"""How JSON columns are typed: objects and arrays where the schema says so, else any JSON."""

from __future__ import annotations

from typing import Any, TypeAlias

JsonObject: TypeAlias = dict[str, Any]
JsonArray: TypeAlias = list[Any]
Json: TypeAlias = Any  # any JSON document: object, array, string, number, boolean
