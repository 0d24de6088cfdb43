"""How big and how long a run is: the full run, and the quick one (under a minute)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Settings:
    quick: bool
    seed_rows: int
    """Events seeded across `seed_refs` trigger refs before timing (latest-100, get)."""
    seed_refs: int
    paging_rows: int
    """Events of the one trigger ref that `list_page` walks."""
    deep_page: int
    """The page compared with page 1 (100 rows a page)."""
    single_repetitions: int
    single_warmup: int
    latest_repetitions: int
    paging_repetitions: int
    bulk_rows: int
    bulk_repetitions: int
    claim_pool: int
    ingest_writers: tuple[int, ...] = (8,)
    """Writer processes of the ingest rows (notifications on / off), one row each."""
    ingest_seconds: float = 2.0
    ingest_rounds: int = 3
    claim_limit: int = 10
    page_size: int = 100
    latest_limit: int = 100

    @property
    def mode(self) -> str:
        return "quick" if self.quick else "full"

    def describe(self) -> str:
        """The run's size in words (a quick run says what it leaves out)."""
        text = (
            f"{self.mode} run: {self.seed_rows:,} events seeded over {self.seed_refs} trigger"
            f" refs, {self.paging_rows:,} of one ref paged to page {self.deep_page},"
            f" {self.single_repetitions} repetitions per single-row operation,"
            f" claim pools of {self.claim_pool:,}"
        )
        if self.quick:
            text += " (quick: fewer rows and repetitions than the full run; for development)"
        return text


FULL = Settings(
    quick=False,
    seed_rows=100_000,
    seed_refs=100,
    paging_rows=100_000,
    deep_page=500,
    single_repetitions=2000,
    single_warmup=50,
    latest_repetitions=50,
    paging_repetitions=200,
    bulk_rows=10_000,
    bulk_repetitions=5,
    claim_pool=20_000,
    ingest_writers=(1, 2, 4, 8),
    ingest_seconds=3.0,
    ingest_rounds=5,
)

QUICK = Settings(
    quick=True,
    seed_rows=20_000,
    seed_refs=100,
    paging_rows=20_000,
    deep_page=150,
    single_repetitions=300,
    single_warmup=20,
    latest_repetitions=20,
    paging_repetitions=50,
    bulk_rows=10_000,
    bulk_repetitions=1,
    claim_pool=5_000,
)
