"""Benchmark: café message delivery latency over two server processes sharing Redis, as members are added.

Run by hand:  .venv/bin/python bench/chat_fanout.py                      (50 and 200 members, about 2 minutes)
              MEMBERS=50 SECONDS=10 .venv/bin/python bench/chat_fanout.py
              DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/chat_fanout.py
Loopback only. Starts two `gunicorn -k gevent -w 1` processes and a private redis-server (tests/cafe/processes.py),
an SQLite file in a temp folder unless DATABASE_URL names a database (its tables are dropped and made again).

For each member count N: N members log in (in-process, same secret key and database) and connect over websockets
(python-socketio's asyncio client, aiohttp), alternately to each process. A steady stream of RATE messages a second
for SECONDS seconds is sent through the room's real `send` event, each body stamped with its send time. The room
limits one member to 5 messages in 10 seconds and one socket to 30 events in 10 seconds (community/cafe), so one
member cannot send 20 a second: SENDERS (60) of the N members (all of them when fewer) take turns, round-robin,
on a fixed schedule, alternating processes. Every member's client records, for every message pushed to it, now
minus the stamp; the table gives p50 and p99 of those deliveries (all receivers, both processes), how many of the
expected deliveries arrived, and the sender's acknowledgement (saved and confirmed) times.
"""

import asyncio
import logging
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import socketio  # noqa: E402

from tests.cafe.processes import run_servers  # noqa: E402

NAMESPACE = "/cafe"
MEMBER_COUNTS = [int(n) for n in os.environ.get("MEMBERS", "50,200").split(",")]
RATE = float(os.environ.get("RATE", 20))
SECONDS = float(os.environ.get("SECONDS", 15))
SENDERS = int(os.environ.get("SENDERS", 60))
SETTLE = 3.0  # after the last message, how long receivers may still take


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class Member:
    def __init__(self, url: str, cookie: str, latencies: list[float]):
        self.url, self.cookie, self.latencies = url, cookie, latencies
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("message", self.on_message, namespace=NAMESPACE)

    async def on_message(self, message: dict) -> None:
        body = message.get("body", "")
        if body.startswith("bench "):
            self.latencies.append(time.time() - float(body.split()[2]))

    async def connect(self) -> None:
        # A fresh headers dict each time: the asyncio client deletes the Cookie entry from the one it is given.
        await self.sio.connect(self.url, namespaces=[NAMESPACE], headers={"Cookie": self.cookie},
                               transports=["websocket"], wait_timeout=20)


async def run_one(urls: list[str], cookies: list[str]) -> dict:
    latencies: list[float] = []
    members = [Member(urls[number % len(urls)], cookie, latencies) for number, cookie in enumerate(cookies)]
    for start in range(0, len(members), 25):  # connect in small batches, as people arrive
        await asyncio.gather(*(member.connect() for member in members[start:start + 25]))
    await asyncio.sleep(2)  # let the "who is here" updates of everyone's arrival pass
    senders = members[:min(SENDERS, len(members))]
    acks: list[float] = []
    refused: list[str] = []
    total = int(RATE * SECONDS)

    async def send(number: int) -> None:
        started = time.time()
        answer = await senders[number % len(senders)].sio.call(
            "send", {"body": f"bench {number} {started:.6f}", "token": uuid.uuid4().hex[:20]},
            namespace=NAMESPACE, timeout=30)
        if answer.get("ok"):
            acks.append(time.time() - started)
        else:
            refused.append(answer.get("error", "?"))

    begin = time.monotonic()
    tasks = []
    for number in range(total):
        delay = begin + number / RATE - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(number)))
    await asyncio.gather(*tasks)
    await asyncio.sleep(SETTLE)
    for member in members:
        await member.sio.disconnect()
    sent = len(acks)
    return {"members": len(members), "sent": sent, "refused": len(refused), "refusals": sorted(set(refused))[:2],
            "expected": sent * len(members), "delivered": len(latencies),
            "p50": percentile(latencies, 0.50) * 1000 if latencies else float("nan"),
            "p99": percentile(latencies, 0.99) * 1000 if latencies else float("nan"),
            "max": max(latencies) * 1000 if latencies else float("nan"),
            "ack_p50": statistics.median(acks) * 1000 if acks else float("nan"),
            "ack_p99": percentile(acks, 0.99) * 1000 if acks else float("nan")}


def main() -> None:
    logging.getLogger("community.mail").setLevel(logging.ERROR)  # the members' welcome emails, written to files
    results = []
    # Its own temporary folder (database, logs), removed at the end.
    with run_servers(count=2, database_url=os.environ.get("DATABASE_URL")) as servers:
        servers.open_room()
        emails = [servers.make_member(f"Member {number:03d}")[1] for number in range(max(MEMBER_COUNTS))]
        cookies = [servers.cookie_for(email) for email in emails]
        for count in MEMBER_COUNTS:
            results.append(asyncio.run(run_one(servers.urls, cookies[:count])))
            time.sleep(11)  # the senders' per-member limits start afresh
    print(f"\n{RATE:g} messages/s for {SECONDS:g} s, {min(SENDERS, max(MEMBER_COUNTS))} senders taking turns; "
          "2 gunicorn -k gevent processes + Redis; websocket clients\n")
    print("| members | sent (refused) | delivered / expected | p50 ms | p99 ms | max ms | ack p50 / p99 ms |")
    print("|---|---|---|---|---|---|---|")
    for row in results:
        print(f"| {row['members']} | {row['sent']} ({row['refused']}) | {row['delivered']} / {row['expected']} | "
              f"{row['p50']:.1f} | {row['p99']:.1f} | {row['max']:.1f} | {row['ack_p50']:.1f} / {row['ack_p99']:.1f} |")
        if row["refusals"]:
            print(f"    refusals: {row['refusals']}")


if __name__ == "__main__":
    main()
