"""`/metrics` as Prometheus scrapes it: `crm serve --workers 2`, new connections spread
over both workers, and every scrape, whichever worker answers, giving the same sums;
read with prometheus-client's own parser. Only the `metrics` scope may scrape."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.live_server import LiveServer, live_server

HEALTH_CALLS = 30
NUMBER = "+12015550123"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    scrape: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return scrape.get((name, frozenset(labels.items())), 0.0)


def fresh_get(url: str, **kwargs: object) -> httpx.Response:
    """A GET on a connection of its own, so that the workers share the requests."""
    with httpx.Client(timeout=30) as http:
        return http.get(url, **kwargs)  # type: ignore[arg-type]


def scrape(server: LiveServer, key: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = fresh_get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


@contextmanager
def workers(folder: Path, count: int, **env: str) -> Iterator[LiveServer]:
    """`crm serve --workers count`, running until the block ends."""
    server = LiveServer(folder, **env)
    server.serve_args = ("--workers", str(count))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_two_workers_give_one_view_that_adds_up(tmp_path: Path) -> None:
    temporary = tmp_path / "tmp"  # where `crm serve` makes its private metrics folder
    temporary.mkdir()
    with workers(tmp_path, 2, TMPDIR=str(temporary)) as server:
        assert [path.name[:12] for path in temporary.iterdir()] == ["crm-metrics-"]
        metrics_key = server.api_key("metrics")
        hooks = {"Authorization": f"Bearer {server.api_key('ringotel')}"}
        for _ in range(HEALTH_CALLS):
            assert fresh_get(f"{server.url}/health").status_code == 200
        contact = httpx.post(
            f"{server.url}/ringotel/v1/contacts",
            json={"firstname": "Ann", "lastname": "Lee", "phone": NUMBER},
            headers=hooks,
        )
        assert contact.status_code == 201, contact.text
        lookup = f"{server.url}/ringotel/v1/contacts/lookup"
        for phone in (NUMBER, NUMBER, "+442079460000"):
            found = fresh_get(lookup, params={"phone": phone}, headers=hooks)
            assert found.status_code == 200, found.text
        call = httpx.post(
            f"{server.url}/ringotel/v1/activities",
            json={"call_id": "call-1", "direction": "inbound", "phone": NUMBER},
            headers=hooks,
        )
        assert call.status_code == 201, call.text
        missing = fresh_get(f"{server.url}/ringotel/v1/activities/{uuid.uuid4()}", headers=hooks)
        assert missing.status_code in (404, 405)
        assert fresh_get(f"{server.url}/no/such/{uuid.uuid4()}").status_code == 404

        views = [scrape(server, metrics_key) for _ in range(6)]
    assert list(temporary.iterdir()) == []  # removed as the server stopped

    for view in views:
        assert value(view, "crm_workers") == 2
        assert (
            value(view, "crm_http_requests_total", method="GET", route="/health", status="200")
            == HEALTH_CALLS
        )
        assert (
            value(view, "crm_http_request_duration_seconds_count", method="GET", route="/health")
            == HEALTH_CALLS
        )
        assert value(view, "crm_ringotel_hooks_total", hook="FindContact", status="200") == 3
        assert value(view, "crm_ringotel_hooks_total", hook="CreateContact", status="201") == 1
        assert value(view, "crm_find_contact_total", tier="e164") == 2
        assert value(view, "crm_find_contact_total", tier="none") == 1
        assert value(view, "crm_events_published_total", type="started") == 1
        assert (
            value(view, "crm_http_requests_total", method="GET", route="unmatched", status="404")
            == 1
        )
        routes = {
            dict(labels).get("route", "")
            for name, labels in view
            if name == "crm_http_requests_total"
        }
        assert not any("no/such" in route for route in routes)  # never a raw path
        assert not any(str(part) in route for route in routes for part in ("call-1",))
    # The scrapes themselves: each one counted once, by the worker that answered it.
    scraped = [
        value(v, "crm_http_requests_total", method="GET", route="/metrics", status="200")
        for v in views
    ]
    assert scraped == sorted(scraped)
    assert scraped[-1] - scraped[0] == len(views) - 1


def test_only_the_metrics_scope_scrapes(tmp_path: Path) -> None:
    with live_server(tmp_path) as server:
        url = f"{server.url}/metrics"
        assert fresh_get(url).status_code in (401, 403)
        for scopes in (("ringotel",), ("crm:read", "crm:write"), ("admin",)):
            key = server.api_key(*scopes)
            answer = fresh_get(url, headers={"Authorization": f"Bearer {key}"})
            assert answer.status_code == 403, (scopes, answer.status_code)
            assert "crm_http_requests" not in answer.text
        assert fresh_get(url, headers={"Authorization": "Bearer crm_nonsense"}).status_code == 403
        view = scrape(server, server.api_key("metrics"))
        assert value(view, "crm_workers") == 1
        assert (
            value(view, "crm_http_requests_total", method="GET", route="/metrics", status="403")
            == 5
        )
