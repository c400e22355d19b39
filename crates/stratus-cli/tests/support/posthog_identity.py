"""One shopper's story sent with PostHog's own Python SDK: two devices browse
anonymously, the laptop logs in ($identify), the phone is aliased to the
user, then the user buys.

Usage: python posthog_identity.py <collector URL> <user id> <write key> <base unix s> <forward|reverse>
Event ids and times are derived from the arguments, so two runs send the
same events; `reverse` sends them last first, one request each. Prints the
story's event ids, oldest first, one a line.
"""
import datetime
import sys
import uuid

from posthog import Posthog

host, user, write_key, base, order = sys.argv[1:6]
base = datetime.datetime.fromtimestamp(int(base), tz=datetime.timezone.utc)
laptop, phone = f"{user}-laptop-anon", f"{user}-phone-anon"
client = Posthog(write_key, host=host, gzip=True, flush_at=1, max_retries=1)


def at(minutes):
    return base + datetime.timedelta(minutes=minutes)


def event_id(n):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{user}/{n}"))


def capture(n, distinct_id, name, properties=None):
    return lambda: client.capture(
        name, distinct_id=distinct_id, properties=properties or {}, uuid=event_id(n), timestamp=at(n)
    )


story = [
    (1, capture(1, laptop, "$pageview", {"$current_url": "https://shop.example.com/"})),
    (2, capture(2, laptop, "Product Added", {"sku": "tee-1"})),
    (3, capture(3, phone, "$pageview", {"$current_url": "https://shop.example.com/sale"})),
    # posthog-js's identify(): the user id, the anonymous id it was sent from.
    (10, capture(10, user, "$identify", {"$anon_distinct_id": laptop, "$set": {"email": f"{user}@example.com"}})),
    (11, lambda: client.alias(previous_id=phone, distinct_id=user, uuid=event_id(11), timestamp=at(11))),
    (20, capture(20, user, "Order Completed", {"order_id": "ord-1", "revenue": 42.5})),
    (21, capture(21, user, "Reviewed", {"stars": 5})),
]
for _, send in (story if order == "forward" else list(reversed(story))):
    send()
    client.flush()
client.shutdown()
for n, _ in story:
    print(event_id(n), flush=True)
