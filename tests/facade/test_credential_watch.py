"""When a socket may skip reading its credential: only while its process hears every
credential change, none was heard since its last read, and that read is recent."""

from __future__ import annotations

import time

from crm.domain.events import CredentialChanges
from facade.websocket import Checked, CredentialWatch


def test_a_watch_trusts_a_check_only_while_it_hears_every_change_and_none_came() -> None:
    changes = CredentialChanges()
    watch = CredentialWatch(changes, recheck_s=3600)
    checked = watch.mark()
    assert not watch.unchanged_since(checked)  # in process: the `crm` command is not heard
    hears_all = True
    changes.complete_while(lambda: hears_all)
    assert watch.unchanged_since(checked)
    assert not watch.unchanged_since(None)  # never read
    changes.heard()
    assert not watch.unchanged_since(checked)
    assert watch.unchanged_since(watch.mark())
    hears_all = False  # the LISTEN connection is down
    assert not watch.unchanged_since(watch.mark())


def test_a_watch_reads_again_once_the_recheck_interval_has_passed() -> None:
    changes = CredentialChanges()
    changes.complete_while(lambda: True)
    watch = CredentialWatch(changes, recheck_s=30)
    assert not watch.unchanged_since(Checked(changes.count, time.monotonic() - 31))
