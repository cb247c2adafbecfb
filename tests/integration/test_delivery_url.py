"""A webhook delivery's `url` is the URL that was called (each attempt records its own), not null."""

from __future__ import annotations

from tests.fakes import RecordingScheduler
from tests.integration.conftest import create, deliveries
from tests.pipeline import bus_event, dispatch
from tests.receiver import Receiver
from tests.support import call_api


def test_a_delivery_shows_the_url_each_attempt_was_sent_to(pipeline: RecordingScheduler) -> None:
    with Receiver() as receiver:
        # Given a webhook whose URL changes between two events
        hook = create(receiver.url + "/before")
        dispatch(bus_event("model.trained", {"n": 1}, event_id="evt_url_1"))
        status, _ = call_api("PATCH", f"/v1/webhooks/{hook['id']}", body={"url": receiver.url + "/after"})
        assert status == 200
        dispatch(bus_event("model.trained", {"n": 2}, event_id="evt_url_2"))
    assert [r.path for r in receiver.requests] == ["/before", "/after"]

    # When the log and each delivery are read
    listed = {d["event_id"]: d for d in deliveries(hook["id"])}

    # Then each names the URL it was really sent to, in the list, the detail and each attempt
    assert listed["evt_url_1"]["url"] == receiver.url + "/before"
    assert listed["evt_url_2"]["url"] == receiver.url + "/after"
    status, detail = call_api("GET", f"/v1/webhooks/{hook['id']}/deliveries/{listed['evt_url_1']['delivery_id']}")
    assert status == 200 and detail["url"] == receiver.url + "/before"
    assert [a["url"] for a in detail["attempt_log"]] == [receiver.url + "/before"]


def test_a_delivery_not_attempted_yet_shows_where_it_goes(pipeline: RecordingScheduler) -> None:
    # Given a disabled webhook: a matching event gets a skipped delivery and no attempt
    hook = create("https://example.com/hooks/disabled")
    assert call_api("POST", f"/v1/webhooks/{hook['id']}/disable")[0] == 200
    dispatch(bus_event("model.trained", {}, event_id="evt_url_skipped"))

    # Then its url is the webhook's, not null
    [skipped] = deliveries(hook["id"])
    assert skipped["status"] == "skipped" and skipped["attempts"] == 0
    assert skipped["url"] == "https://example.com/hooks/disabled"
