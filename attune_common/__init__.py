"""attune_common: the data-access library of the Attune automation platform.

`Database` (and its asyncio twin `AsyncDatabase`) lends pooled connections,
`migrate()` brings the schema up to date, and the repositories of
`attune_common.repositories` read and write each entity with hand-written SQL,
returning the frozen dataclasses of `attune_common.models`.
"""

from .db import Database, database_url
from .db_async import AsyncDatabase
from .migrations import migrate

__all__ = ["AsyncDatabase", "Database", "database_url", "migrate"]
__version__ = "0.1.0"
