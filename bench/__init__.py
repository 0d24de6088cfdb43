"""The benchmark of attune_common against raw psycopg and the SQLAlchemy ORM.

`python -m bench [--quick]` creates a scratch database beside the configured one,
times the same operations through the three clients, interleaved, checks every answer
once outside the timed region, writes `bench/results.json` and `bench/results.txt`,
and drops the database. See `bench/README.md`.
"""
