"""Load landing files into schema ``raw``: each file content exactly once, nothing lost.

For every file under ``<landing>/<source>/<entity>/`` the loader

1. skips it when its bytes were loaded before (same ``sha256``; a re-run does not
   even hash a file whose path, size and mtime match the manifest);
2. reads it with DuckDB's own reader (``read_csv`` with reject capture, ``read_parquet``;
   JSON Lines event files with ``read_json`` into the contract's columns, several files a
   scan (``fast``), and, for a file whose lines are not one JSON object each, as text
   lines parsed with DuckDB's JSON functions, each line quarantined on its own);
3. validates and casts every row set-based in SQL against the contract
   (``orchestration.contract``): a row that cannot be used goes to
   ``raw.load_quarantine`` with its row number, raw content and every reason;
4. commits the good rows, the quarantined rows and the manifest row in ONE
   transaction, so a crash mid-file leaves nothing of that file behind.

A file that cannot be read as a whole (zero bytes, not text, missing a required
column, a CSV quoted field that never closes, truncated gzip, unreadable Parquet,
unsupported extension) is recorded in the manifest as ``failed`` with a reason and
loads none of its rows; the next file still loads.  Any other error while handling one
file (a bug, a database error) makes that file ``failed`` with ``loader_error: ...``
too, instead of stopping the load.  A failed file still in the landing (same path and
bytes) is reported as failed again on every run, without a new manifest row; a
``loader_error`` failure is retried, a corrected file (new bytes) loads.

Files outside the contract's entity folders, hidden ones and non-regular ones are
``ignored`` with a reason (``orchestration.landing_files``): one manifest row per
path/size/mtime, and a line in every run summary.  JSON Lines lines that are not UTF-8,
hold a 0x1E byte or are longer than 10 MB are quarantined one by one
(``invalid_utf8``, ``control_character``, ``line_too_long``), like a bad CSV record.

Numbering: ``row_number`` is the 1-based data record of the file (CSV: records
after the header, a quoted newline does not start a new record; JSON Lines:
physical lines, blank ones included; Parquet: rows).  ``line_number`` is the
physical line for JSON Lines and null for CSV and Parquet.

Reason codes (several may be joined with ``; ``): ``wrong_field_count``,
``csv_parse_error``, ``invalid_json``, ``missing_required: <col>``,
``invalid_integer|invalid_decimal|invalid_boolean|invalid_date|invalid_timestamp: <col>``,
``invalid_json_object: <col>``, ``unknown_value: <col>='<value>'``,
``out_of_range: <col>=<value>``, ``score_out_of_scale: <type> <score>``,
``duplicate_key_in_file: kept row <n>``, ``implausible_timestamp: <col>``,
``unknown_currency: <col>='<value>'``, ``invalid_period: ...`` (``orchestration.plausibility``).

Modules: ``loop`` (``load_landing``: discovery, skipping, grouping), ``files`` (one file, one
transaction), ``groups`` (JSON Lines event files in one scan), ``readers`` (CSV, JSON Lines,
Parquet), ``validation`` (typing, checks, duplicate keys in SQL), ``results`` (``LoadSummary``).
After the native files, ``load_landing`` loads the source adapters' folders (``orchestration.adapters``:
Segment, Amplitude) through the same validation and insert path.
"""

from orchestration.loading.loop import load_landing
from orchestration.loading.results import EntityLoad, FileOutcome, LoadSummary, Pending

__all__ = ["EntityLoad", "FileOutcome", "LoadSummary", "Pending", "load_landing"]
