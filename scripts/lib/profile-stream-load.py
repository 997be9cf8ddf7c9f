"""Drives the profile service for scripts/bench-profile-stream: `writes` upserts through the broker
(one at a time), or `contacts` outcome events published on the outcome stream, which the profile's
contact history applies (each an event of its customer, hence a change on the profile stream);
for scripts/bench-write-visible: `open` writes at a rate in an open loop and reports how long
their changes took to become visible at a decision replica (its /metrics) and the writer's
latency, as JSON with spectra for scripts/plot-latency.

    python3 scripts/lib/profile-stream-load.py writes --frontend tcp://127.0.0.1:5635 --count 5000
    python3 scripts/lib/profile-stream-load.py contacts --frontend ... --stream-in ... --store PATH --count 5000
    python3 scripts/lib/profile-stream-load.py open --frontend ... --rate 1000 --duration 30 --count 2000 \
        --metrics http://127.0.0.1:9722 --save RESULT.json
"""
import argparse
import json
import os
import sqlite3
import sys
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "python"))
from touchpoint import PROTOCOL_VERSION, OfferLoopClient, pb  # noqa: E402
from write_visible import open_loop, report  # noqa: E402

CUSTOMERS = 200


def customers(client, count=CUSTOMERS):
    """The bench's customers (logins bench-0 … bench-N-1), created once; their ids."""
    ids = []
    for n in range(count):
        request = pb.UpsertCustomerRequest(identity=pb.Identity(kind="login", value=f"bench-{n}"), create=True)
        reply, _ = client.call("profile", "upsert", request, pb.CustomerReply)
        ids.append(reply.customer_id)
    return ids


def writes(client, count):
    for n in range(count):
        request = pb.UpsertCustomerRequest(identity=pb.Identity(kind="login", value=f"bench-{n % CUSTOMERS}"),
                                           attributes={"visits": str(n)})
        client.call("profile", "upsert", request, pb.CustomerReply)


def contacts(ids, stream_in, store, count):
    """Publishes `count` impressions after the stored position, then waits until all are applied."""
    db = sqlite3.connect(store)
    row = db.execute("SELECT sequence FROM stream_positions WHERE stream = 'outcomes'").fetchone()
    start = row[0] if row else 0
    publisher = zmq.Context.instance().socket(zmq.PUB)
    publisher.connect(stream_in)
    time.sleep(0.5)  # the relay's subscription reaches the publisher
    now = int(time.time() * 1000)
    for n in range(count):
        sequence = start + n + 1
        outcome = pb.Outcome(event_id=f"bench-{sequence}", decision_id=f"d-{sequence}", offer_id="savings_bonus",
                             type=pb.IMPRESSION, channel=pb.WEB, customer_id=ids[n % len(ids)], time_unix_ms=now)
        publisher.send_multipart([b"outcomes", pb.OutcomeEvent(sequence=sequence, outcome=outcome, category="savings").SerializeToString()])
        if n % 100 == 99:
            time.sleep(0.01)  # stay under the relay's high-water mark
    for _ in range(6000):
        row = db.execute("SELECT sequence FROM stream_positions WHERE stream = 'outcomes'").fetchone()
        if row and row[0] >= start + count:
            return
        time.sleep(0.01)
    sys.exit(f"only {(row[0] if row else 0) - start} of {count} outcome events applied within 60 s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["setup", "writes", "contacts", "open"])
    parser.add_argument("--frontend", required=True)
    parser.add_argument("--stream-in")
    parser.add_argument("--store")
    parser.add_argument("--count", type=int, default=5000, help="writes; for `open`, customers")
    parser.add_argument("--rate", type=float, default=1000, help="`open`: writes per second")
    parser.add_argument("--duration", type=float, default=30, help="`open`: seconds")
    parser.add_argument("--metrics", help="`open`: the decision replica's metrics endpoint (http://host:port)")
    parser.add_argument("--save", help="`open`: write the result here (JSON)")
    parser.add_argument("--stream-out", help="`open`: the broker's stream-out endpoint, to time the relay's share too")
    args = parser.parse_args()
    client = OfferLoopClient(args.frontend)
    try:
        ids = customers(client, args.count if args.mode == "open" else CUSTOMERS)
        if args.mode == "open":
            result = open_loop(zmq.Context.instance(), args.frontend.split(",")[0], PROTOCOL_VERSION, args.rate, args.duration,
                               [f"bench-{n}" for n in range(len(ids))], args.metrics, args.stream_out)
            print(report(result))
            if args.save:
                json.dump(result, open(args.save, "w"), indent=2)
        elif args.mode == "writes":
            writes(client, args.count)
        elif args.mode == "contacts":
            contacts(ids, args.stream_in, args.store, args.count)
    finally:
        client.close()


if __name__ == "__main__":
    main()
