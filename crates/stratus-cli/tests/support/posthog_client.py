"""Sends events to a Stratus collector with PostHog's own Python SDK.

Usage: python posthog_client.py <collector URL> <distinct_id> <write key>
Prints one line per event sent: "<uuid> <event name>".
"""
import sys
import uuid

from posthog import Posthog

host, distinct_id, write_key = sys.argv[1], sys.argv[2], sys.argv[3]
# gzip=True: the SDK compresses its batches, as production setups do. The
# write key is PostHog's project API key (`api_key` in each batch body).
client = Posthog(write_key, host=host, gzip=True, flush_at=3, max_retries=1)
events = [
    ("Signed Up", {"plan": "pro", "referrer": "newsletter"}),
    ("Button Clicked", {"button": "upgrade"}),
    ("$pageview", {"$current_url": "https://shop.example.com/pricing"}),
    ("Order Completed", {"order_id": "ord-python-1", "revenue": 42.5}),
]
for name, properties in events:
    event_id = str(uuid.uuid4())
    client.capture(name, distinct_id=distinct_id, properties=properties, uuid=event_id)
    print(event_id, name, flush=True)
client.flush()
client.shutdown()
