"""`python -m attune_common`: the `attune-db` command (see `attune_common.cli`)."""

from .cli import run

run()
