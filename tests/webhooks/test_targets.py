"""Where a webhook may go: a name is resolved once, every address it has is checked, and
the connection goes to the address checked, so a name that resolves elsewhere a moment
later (DNS rebinding) cannot reach a refused address."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import trustme

from crm.domain.webhooks import TargetRules, new_secret
from crm.webhook_sender import HttpSender
from tests.webhooks.receiver import Receiver, running_receiver

ONLY_127_0_0_1 = TargetRules((ipaddress.ip_network("127.0.0.1/32"),))


class RebindingResolver:
    """A DNS server that answers an allowed address first, then refused ones, the way
    an attacker's name server answers the check and then the connection."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def named(receiver: Receiver, host: str) -> str:
    """The receiver's URL under another host name."""
    return receiver.url.replace("127.0.0.1", host, 1)


async def test_a_name_the_system_resolves_to_loopback_is_refused(receiver: Receiver) -> None:
    sender = HttpSender(TargetRules(), timeout_s=1.0)
    try:
        result = await sender.send(named(receiver, "localhost"), [new_secret()], "msg_l", "{}")
    finally:
        await sender.close()
    assert result.error is not None
    assert result.error.startswith("localhost is refused")
    assert "loopback" in result.error
    assert receiver.requests == []


async def test_the_connection_goes_to_the_address_that_was_checked(receiver: Receiver) -> None:
    receiver.secret = new_secret()
    resolver = RebindingResolver(["127.0.0.1"], ["10.0.0.7"])
    sender = HttpSender(ONLY_127_0_0_1, timeout_s=1.0, resolver=resolver)
    url = named(receiver, "hooks.rebind.test")
    try:
        first = await sender.send(url, [receiver.secret], "msg_r1", '{"n":1}')
        second = await sender.send(url, [receiver.secret], "msg_r2", '{"n":2}')
    finally:
        await sender.close()
    assert first.ok, first.error
    # One resolution per attempt: the check's answer is the one connected to.
    assert resolver.asked == ["hooks.rebind.test", "hooks.rebind.test"]
    got = receiver.delivered
    assert [r.webhook_id for r in got] == ["msg_r1"]
    assert got[0].headers["host"] == urlsplit(url).netloc
    assert (
        second.error
        == "hooks.rebind.test is refused: 10.0.0.7 is a private, loopback or link-local address"
    )


async def test_one_refused_address_among_allowed_ones_refuses_the_name(
    receiver: Receiver,
) -> None:
    resolver = RebindingResolver(["127.0.0.1", "169.254.169.254"])
    sender = HttpSender(ONLY_127_0_0_1, timeout_s=1.0, resolver=resolver)
    try:
        result = await sender.send(named(receiver, "mixed.test"), [new_secret()], "msg_m", "{}")
    finally:
        await sender.close()
    assert result.error is not None
    assert "169.254.169.254" in result.error
    assert receiver.requests == []


async def test_a_name_that_does_not_resolve_is_an_error_not_a_crash(receiver: Receiver) -> None:
    sender = HttpSender(ONLY_127_0_0_1, timeout_s=1.0, resolver=RebindingResolver([]))
    try:
        result = await sender.send(named(receiver, "nowhere.test"), [new_secret()], "msg_n", "{}")
    finally:
        await sender.close()
    assert result.error == "nowhere.test does not resolve"
    assert receiver.requests == []


@contextmanager
def tls_receiver(*names: str) -> Iterator[tuple[Receiver, ssl.SSLContext]]:
    """A receiver over https with a certificate for `names` only (no address in it), and
    a client context that trusts its authority."""
    authority = trustme.CA()
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(*names).configure_cert(server_side)
    client_side = ssl.create_default_context()
    authority.configure_trust(client_side)
    with running_receiver(tls=server_side) as receiver:
        yield receiver, client_side


async def test_https_checks_the_certificate_against_the_name_not_the_address() -> None:
    with tls_receiver("hooks.example.test") as (receiver, trust):
        receiver.secret = new_secret()
        resolver = RebindingResolver(["127.0.0.1"])
        sender = HttpSender(ONLY_127_0_0_1, timeout_s=2.0, resolver=resolver, verify=trust)
        url = receiver.url.replace("127.0.0.1", "hooks.example.test", 1)
        try:
            result = await sender.send(url, [receiver.secret], "msg_tls", "{}")
        finally:
            await sender.close()
        assert result.ok, result.error
        assert [r.webhook_id for r in receiver.delivered] == ["msg_tls"]
        assert receiver.delivered[0].headers["host"] == urlsplit(url).netloc


async def test_https_to_a_name_the_certificate_does_not_hold_is_refused() -> None:
    with tls_receiver("someone-else.test") as (receiver, trust):
        sender = HttpSender(
            ONLY_127_0_0_1, timeout_s=2.0, resolver=RebindingResolver(["127.0.0.1"]), verify=trust
        )
        url = receiver.url.replace("127.0.0.1", "hooks.example.test", 1)
        try:
            result = await sender.send(url, [new_secret()], "msg_wrong_cert", "{}")
        finally:
            await sender.close()
        assert result.error is not None
        assert "certificate is not valid for 'hooks.example.test'" in result.error
        assert receiver.requests == []
