"""``sohoa demo``: fill an inbox with a generated sample batch, digitize it on
the embedded defaults, print what was found, and search it without accents."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sohoa.core.text import fold


def run_demo(root: Path, as_json: bool = False) -> int:
    root = root.absolute()
    inbox = root / "inbox"
    os.environ.setdefault("SOHOA_DATA_DIR", str(root / "data"))
    os.environ.setdefault("SOHOA_QUIET_SECONDS", "0")

    from sohoa.app import backends
    from sohoa.app import records as archive
    from sohoa.flows.inbox import poll_inbox
    from sohoa.models import SearchQuery
    from sohoa.samples import generate_demo_inbox

    batch = generate_demo_inbox(inbox)
    truth = json.loads(batch.parent.joinpath(f"{batch.name}.truth.json").read_text("utf-8"))
    reports = poll_inbox(str(inbox), mark_inbox=True)
    record_ids = [o.record_id or o.duplicate_of for r in reports for o in r.files]
    records = [archive.open_record(rid) for rid in dict.fromkeys(filter(None, record_ids))]

    names = [n for t in truth.values() for n in t.get("metadata", {}).get("names", [])]
    query = fold(names[0]) if names else "nguyen"
    results = archive.search(SearchQuery(text=query, limit=5))
    if as_json:
        print(
            json.dumps(
                {
                    "batches": [r.model_dump(mode="json") for r in reports],
                    "query": query,
                    "results": results.model_dump(mode="json"),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0

    for report in reports:
        stored = sum(o.status.value == "stored" for o in report.files)
        dupes = sum(o.status.value == "duplicate" for o in report.files)
        print(f"Batch {report.batch_id}: {stored} stored, {dupes} already digitized")
    print(f"\n{'record':<14}{'type':<24}{'number/symbol':<18}{'date':<12}dossier code / IDs")
    for record in records:
        ids = record.dossier_code or ", ".join(record.id_numbers())
        print(
            f"{record.record_id[:12]:<14}{record.document_type:<24}"
            f"{record.first_value('number_symbol') or '-':<18}"
            f"{record.issue_date.isoformat() if record.issue_date else '-':<12}{ids}"
        )
    print(f'\nsohoa search "{query}"  ->  {results.total} record(s)')
    for hit in results.hits:
        snippet = hit.snippet.replace("<mark>", "[").replace("</mark>", "]")
        print(f"  {hit.record_id[:12]} page {hit.page}: {snippet}")
    print(
        f"\nData in {backends.settings().data_dir}; processed batches in {inbox.parent}/processed"
    )
    return 0
