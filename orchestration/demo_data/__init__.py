"""Deterministic demo landing data: exactly the raw contract, at any scale (a developer tool:
the runtime path never imports this package).

``generate(out, accounts, days, seed, end_date, bad_rows)`` writes
``<out>/<source>/<entity>/<file>`` as described in ``shared/spec/raw_contract.md``
(column lists and vocabularies come from ``orchestration.contract``; plan, currency,
feature and milestone ids from ``seeds/``) plus ``<out>/_demo_manifest.json``, which
lists every file with its number of data records, the number of rows the loader is
expected to quarantine, whether the file as a whole must fail, and the planted
bad-input cases.

Layout (file names; the loader only cares about the folder and extension):

* ``billing/accounts/accounts_<yyyy>q<n>.csv`` by created quarter, plus
  ``accounts_corrections.csv`` re-delivering some accounts with a later ``updated_at``;
* ``billing/subscriptions/subscriptions_<yyyy>q<n>.csv`` by ``updated_at`` quarter: a version
  first delivered open is re-delivered closed/canceled in a later quarter's file;
* ``billing/invoices/invoices_<yyyy-mm>.csv`` by ``updated_at`` month (issued ``open``, later ``paid``);
* ``survey/invitations|responses/<name>_<yyyy-mm>.csv`` by sent / responded month;
* ``product/users/users_<yyyy>q<n>.csv`` by created quarter;
* ``product/events/events_<yyyy-mm-dd>.jsonl.gz`` per received day (~5% of days ``.parquet``,
  ~5% plain ``.jsonl``);
* with ``bad_rows=True`` also ``bad_<case>.csv|.jsonl|.jsonl.gz`` in the entity folders.

Same arguments give identical bytes: all randomness comes from
``numpy.random.default_rng`` streams derived from ``seed`` and no wall-clock value is
written.  Events are generated and written one received day at a time, so memory
stays bounded at 20,000 accounts x 365 days (about 50 million events).

Planted signals (what the marts and health score should find):

* churn: accounts that cancel use the product less and less over the 90 days before
  the subscription ends (activity ramps down to ~30%) and their survey scores drop
  (more NPS detractors, lower CSAT, higher CES);
* expansion: accounts with high feature adoption are the ones that add seats and
  upgrade plans; low-adoption accounts sometimes downgrade;
* onboarding: milestone events follow the first subscription start with a spread;
  ~15% of new accounts stop before completing them all;
* SDK behaviour: ~0.5% of events are delivered twice (same event_id and content, half
  in the same file, half in the next day's file), ~2% arrive 1-3 days late.

Modules, one per entity plus the shared parts: ``world`` (the simulated state), ``accounts``,
``subscriptions``, ``invoices``, ``users`` (and the event vocabulary, milestones), ``surveys``,
``events``, ``bad_input``; ``vocab``, ``formatting`` and ``writer`` are shared; ``generator``
holds ``generate``.
"""

from orchestration.demo_data.bad_input import BAD_CASES, FAILING_CASES
from orchestration.demo_data.generator import generate
from orchestration.demo_data.writer import MANIFEST_NAME, DemoSummary

__all__ = ["BAD_CASES", "FAILING_CASES", "MANIFEST_NAME", "DemoSummary", "generate"]
