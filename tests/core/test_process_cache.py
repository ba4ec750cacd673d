"""What each process keeps for a while (community/process_cache.py): read once, not by every request at once when
the copy runs out, and never kept past a change."""

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
