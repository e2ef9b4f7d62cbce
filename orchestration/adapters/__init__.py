"""Source adapters: exports users already have (Segment, Amplitude) read into the NATIVE raw
tables, with the loader's guarantees (each file once by content, every bad row kept with its
reason, failed files reported, one transaction per file) and its validation.

Modules: ``base`` (what an adapter is; JSON Lines reading), ``accounts`` (the account map and
rule), ``segment`` (+ ``segment_tables``: the warehouse tables), ``amplitude``, ``qualtrics`` and ``delighted`` (+ ``survey_map``, ``surveys``: the survey mapping file
and the shared response mapping), ``stripe_fivetran`` (+ ``stripe_tables``, ``stripe_versions``), ``stripe_api`` (+ ``stripe_api_states``: JSON Lines snapshots priced by ``stripe_versions``), ``zendesk`` (+ ``zendesk_tables``), ``load`` (discovery to manifest: the per-file transaction), ``grouped`` (many files per statement).
A new source = a module with an ``Adapter`` listed in ``ADAPTERS`` and its folder in
``orchestration.landing_files.ADAPTER_FOLDERS``.
"""

from orchestration.adapters.amplitude import AMPLITUDE
from orchestration.adapters.delighted import DELIGHTED
from orchestration.adapters.qualtrics import QUALTRICS
from orchestration.adapters.segment import SEGMENT
from orchestration.adapters.stripe_api import STRIPE_API
from orchestration.adapters.stripe_fivetran import STRIPE_FIVETRAN
from orchestration.adapters.zendesk import ZENDESK

ADAPTERS = (SEGMENT, AMPLITUDE, QUALTRICS, DELIGHTED, STRIPE_FIVETRAN, STRIPE_API, ZENDESK)

__all__ = ["ADAPTERS"]
