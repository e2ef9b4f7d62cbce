"""One progress line per stage, to Dagster's log and to stdout (what ``cxcs refresh`` shows)."""

from __future__ import annotations

import dagster as dg


def report(context: dg.AssetExecutionContext, stage: str, message: str) -> None:
    context.log.info(message)
    print(f"[{stage}] {message}", flush=True)
