"""What each process keeps for a while (community/process_cache.py): read once, not by every request at once when
the copy runs out, and never kept past a change."""

import threading
import time

import pytest

from community.process_cache import ProcessCache


def _expire(cache: ProcessCache, app) -> None:
    app.extensions[cache.key].expires = time.monotonic() - 0.01


def test_when_the_copy_runs_out_one_request_reads_again_and_the_others_keep_the_old_one_meanwhile(app):
    cache, reads = ProcessCache("test.herd", 60), []
    assert cache.get(lambda: "old") == "old"
    _expire(cache, app)

    def read_again():
        reads.append("again")
        # Meanwhile another request (under gevent, while this one waits for the database) asks too.
        assert cache.get(lambda: reads.append("also") or "also") == "old"
        return "new"

    assert cache.get(read_again) == "new"
    assert reads == ["again"]
    assert cache.get(lambda: "never read") == "new"


def test_a_value_read_before_a_change_is_not_kept_past_it(app):
    cache = ProcessCache("test.change", 60)

    def read_then_change_lands():
        cache.clear()  # the change commits while this read is under way
        return "before the change"

    assert cache.get(read_then_change_lands) == "before the change"
    assert cache.get(lambda: "after the change") == "after the change"
    assert cache.get(lambda: "never read") == "after the change"


def test_a_failed_read_is_tried_again_by_the_next_request(app):
    cache = ProcessCache("test.failure", 60)
    cache.get(lambda: "old")
    _expire(cache, app)

    def fails():
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        cache.get(fails)
    assert cache.get(lambda: "read again") == "read again"


def test_after_a_quiet_spell_a_burst_of_requests_is_one_read_and_none_sees_the_old_copy(app):
    """A page unread for longer than its copy's lifetime (the story list between visitors), then 32 visitors at
    once: one reads the database, the others wait for that read (they showed one read each before, up to 0.5 s
    under load). None is shown the old copy: it is out of date by more than the lifetime the page promises."""
    cache = ProcessCache("test.quiet", 10)
    cache.get(lambda: "old")
    app.extensions[cache.key].expires = time.monotonic() - 11
    reading, release, reads, shown = threading.Event(), threading.Event(), [], []

    def slow_read():
        reads.append("first")
        reading.set()
        release.wait(5)
        return "new"

    def visit(compute):
        with app.app_context():
            shown.append(cache.get(compute))

    first = threading.Thread(target=visit, args=(slow_read,))
    first.start()
    assert reading.wait(5)
    others = [threading.Thread(target=visit, args=(lambda: reads.append("another") or "another read",))
              for _ in range(5)]
    for visitor in others:
        visitor.start()
    time.sleep(0.1)  # the others arrive while the first read is under way
    release.set()
    for visitor in [first, *others]:
        visitor.join(5)
    assert reads == ["first"]
    assert shown == ["new"] * 6


def test_requests_after_a_change_do_not_wait_for_a_read_that_began_before_it(app):
    cache = ProcessCache("test.change_during_read", 10)
    seen = []

    def read_while_a_change_lands():
        cache.clear()  # committed in another request while this read is under way
        asked = time.monotonic()
        seen.append(cache.get(lambda: "after the change"))  # a request arriving now reads for itself at once
        seen.append(time.monotonic() - asked)
        return "before the change"

    assert cache.get(read_while_a_change_lands) == "before the change"
    assert seen[0] == "after the change" and seen[1] < 1
    assert cache.get(lambda: "never read") == "after the change"
