"""Time the key-driver bootstrap (orchestration/drivers/relative_weights.py) on a build file's
observations: ``python scripts/key_driver_bootstrap_time.py <build cxcs.duckdb> [resamples]``.

Prints, per outcome, the observations x drivers, the patterns of known drivers and the seconds of
``bootstrap`` alone (as int_cx__key_driver_weights calls it, seed 17), and writes every interval
bound to ``--out`` (default /tmp/key_driver_bounds.npy) to compare two versions."""

from __future__ import annotations

import argparse
import time

import duckdb
import numpy as np

from orchestration.drivers.relative_weights import bootstrap


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("build_file")
    parser.add_argument("resamples", nargs="?", type=int, default=1000)
    parser.add_argument("--out", default="/tmp/key_driver_bounds.npy")
    args = parser.parse_args()
    with duckdb.connect(args.build_file, read_only=True) as conn:
        observations = conn.execute("select * from marts.int_cx__driver_observations").df()
    bounds = []
    for outcome, frame in sorted(observations.groupby("outcome"), key=lambda pair: pair[0]):
        wide = frame.pivot(index="observation_id", columns="driver", values="driver_value").sort_index()
        target = frame.drop_duplicates("observation_id").set_index("observation_id")["outcome_value"]
        patterns = np.unique(~np.isnan(wide.to_numpy(dtype=float)), axis=0).shape[0]
        started = time.perf_counter()
        result = bootstrap(wide, target.loc[wide.index], args.resamples, 17)
        seconds = time.perf_counter() - started
        print(f"{outcome}: {wide.shape[0]:,} x {wide.shape[1]} drivers, {patterns} patterns: {seconds:.1f} s")
        bounds += [result.ci_low, result.ci_high, result.vs_random_low, result.vs_random_high]
    np.save(args.out, np.concatenate(bounds))


if __name__ == "__main__":
    main()
