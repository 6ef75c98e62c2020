"""An import job's rejected rows read back a page at a time: in line order, each once, across
pages, rows of one line included."""

from __future__ import annotations

from crm.domain.import_jobs import ImportJobService
from crm.domain.record_import import ImportTotals, Rejected


async def test_rejects_come_back_in_line_order_across_pages() -> None:
    jobs = ImportJobService()
    job = await jobs.begin("contacts", "people.csv", 10, None)
    given = [Rejected(7, "b"), Rejected(2, "a"), Rejected(7, "c"), Rejected(9, "d")]
    await jobs.advance(job.id, 5, ImportTotals(rejected=2), given[:2])
    await jobs.advance(job.id, 10, ImportTotals(rejected=4), given[2:])

    read = [reject async for reject in jobs.rejects(job.id, page_size=1)]

    assert [r.line for r in read] == [2, 7, 7, 9]
    assert sorted(read, key=lambda r: (r.line, r.reason)) == sorted(
        given, key=lambda r: (r.line, r.reason)
    )
