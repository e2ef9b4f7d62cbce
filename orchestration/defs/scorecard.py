"""The scorecard page, rebuilt from the publication after every publish."""

import dagster as dg

from orchestration.defs.progress import report
from orchestration.defs.publish import published_warehouse
from orchestration.defs.resources import WarehouseResource, dbt_project
from orchestration.scorecard import SCORECARD_FILE_NAME, build_scorecard


@dg.asset(
    deps=[published_warehouse],
    group_name="publish",
    kinds={"html"},
    description=(
        "The CX/CS scorecard `<warehouse>/scorecard.html`: one self-contained page (inline SVG "
        "charts, no network) rebuilt from the published file, read-only, after every publication."
    ),
)
def scorecard(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings
    page = build_scorecard(
        settings.published_path,
        settings.warehouse_dir / SCORECARD_FILE_NAME,
        manifest_path=dbt_project.manifest_path,
    )
    report(context, "scorecard", f"wrote {page.path} ({len(page.charts)} charts)")
    if page.unavailable:
        report(context, "scorecard", "not available in this warehouse: " + ", ".join(page.unavailable))
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(page.path)),
            "charts": dg.MetadataValue.json(list(page.charts)),
            "sections_not_available": dg.MetadataValue.json(list(page.unavailable)),
        }
    )
