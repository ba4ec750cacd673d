"""`flask demo seed` leaves the moderation queue at work: a newcomer's held post, a flagged post, a watched word."""

from community.moderation import services as moderation


def test_the_demo_seed_fills_the_queue_once(app, runner, db):
    app.config["DEMO_MODE"] = True
    for _ in range(2):
        result = runner.invoke(args=["demo", "seed"])
        assert result.exit_code == 0, result.output
    reasons = sorted(entry.item.reason for entry in moderation.queue())
    assert reasons == ["flagged", "held"]
    held = next(entry for entry in moderation.queue() if entry.item.reason == "held")
    assert held.content.state == "pending" and held.item.subject.display_name == "Riley"
    assert [(word.phrase, word.action) for word in moderation.watched_words()] == [("miracle cure", "hold")]
