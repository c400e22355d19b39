"""The campaign a user would otherwise script: a boto3 loop of sns.publish,
one message per customer, no bookkeeping, no opt-out check, no retries of
its own. Prints one JSON line like campaign_bench.

usage: boto3_loop.py ENDPOINT N
"""
import json
import resource
import sys
import time

import boto3

endpoint, n = sys.argv[1], int(sys.argv[2])
sns = boto3.client(
    "sns",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="testing",
    aws_secret_access_key="testing",
)
levels = [(500, "silver"), (2000, "gold"), (5000, "platinum"), (10000, "diamond")]
started = time.perf_counter()
sent = 0
for i in range(n):
    points, streak = i % 12000, i % 30
    nxt = next(((p - points, name) for p, name in levels if p > points), (0, None))
    text = (
        f"Hi Bench{i}, you have {points} points and a {streak}-day streak. "
        f"{nxt[0]} more for {nxt[1]}!"
    )
    number = "+1415%07d" % (2_000_000 + i + i // 99)
    sns.publish(PhoneNumber=number, Message=text)
    sent += 1
wall = time.perf_counter() - started
print(
    json.dumps(
        {
            "mode": "boto3-loop",
            "notifier": "sns",
            "recipients": n,
            "concurrency": 1,
            "rate": None,
            "sent": sent,
            "wall_s": round(wall, 3),
            "per_recipient_us": round(wall * 1e6 / n, 1),
            "achieved_rate": round(sent / wall, 1),
            "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }
    )
)
