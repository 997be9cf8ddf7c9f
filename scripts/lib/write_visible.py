"""The open loop of scripts/bench-write-visible (run by profile-stream-load.py `open`): profile
writes at a fixed rate, each sent at its scheduled time whether or not the ones before were
answered, and the decision replica's visibility histogram read before and after them.

The histogram (offerloop_decision_replica_visible_seconds) counts the live changes the replica
applied, from the profile's publication (right after the commit) to the release of the lock that
made it visible to decisions; percentiles are interpolated within its buckets.
"""
import collections
import math
import multiprocessing
import re
import time
import urllib.request

import zmq

from offerloop import offerloop_pb2 as pb  # clients/python, on the path of its caller (profile-stream-load.py)

HISTOGRAM = "offerloop_decision_replica_visible_seconds"
MAXIMUM = "offerloop_decision_replica_visible_max_seconds"
# The spectrum's points (scripts/plot-latency); the first four are the table's.
PERCENTILES = [50, 90, 99, 99.9, 10, 25, 75, 95, 99.5, 99.95, 99.99]


def scrape(url):
    """The histogram's cumulative counts by upper bound (seconds), in order, and the maximum gauge."""
    text = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
    buckets = sorted((float(le), float(value)) for le, value in re.findall(rf'^{HISTOGRAM}_bucket{{le="([^"]+)"}} (\S+)$', text, re.M))
    maximum = re.search(rf"^{MAXIMUM} (\S+)$", text, re.M)
    return buckets, float(maximum.group(1)) if maximum else None


def bucket_percentile(buckets, p):
    """The p-th percentile (µs) of cumulative bucket counts, interpolated linearly in its bucket;
    in the open last bucket, its lower bound (the value is at least that)."""
    total = buckets[-1][1]
    target = total * p / 100
    lower, below = 0.0, 0.0
    for upper, cumulative in buckets:
        if cumulative >= target and cumulative > below:
            if math.isinf(upper):
                return lower * 1e6
            return (lower + (upper - lower) * (target - below) / (cumulative - below)) * 1e6
        lower, below = upper, cumulative
    return lower * 1e6


def sample_percentile(values, p):
    return values[min(len(values) - 1, int(len(values) * p / 100))] if values else 0


def figures(percentile):
    return {"micros": {f"p{p:g}": round(percentile(p), 1) for p in PERCENTILES[:4]},
            "spectrum": sorted([p, round(percentile(p), 1)] for p in PERCENTILES)}


def probe(endpoint, seconds, results):
    """Subscribes to the profile stream at the broker's relay, as the decision replica does, and
    sends `results` how long after its publication each live change arrived (µs): the relay's
    share of the path, apart from the replica's follower. A process of its own (no GIL shared
    with the writer)."""
    socket = zmq.Context().socket(zmq.SUB)
    socket.setsockopt(zmq.SUBSCRIBE, b"profile")
    socket.setsockopt(zmq.RCVTIMEO, 200)
    socket.connect(endpoint)
    delays, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            _, payload = socket.recv_multipart()
        except zmq.Again:
            continue
        now = time.time() * 1e6
        change = pb.ProfileChange()
        change.ParseFromString(payload)
        if change.published_unix_us:
            delays.append(now - change.published_unix_us)
    results.send(sorted(delays))


def request(n, login):
    """The n-th write: attribute upserts and session updates in turn, each a change of its customer."""
    identity = pb.Identity(kind="login", value=login)
    if n % 2 == 0:
        return "upsert", pb.UpsertCustomerRequest(identity=identity, attributes={"visits": str(n)})
    return "set_session", pb.SessionRequest(identity=identity, set={"page": str(n)}, ttl_seconds=600)


def open_loop(context, frontend, version, rate, duration, logins, metrics, stream_out=None):
    before, _ = scrape(metrics)
    if stream_out:
        received, sender = multiprocessing.Pipe(duplex=False)
        relay = multiprocessing.Process(target=probe, args=(stream_out, duration + 1.5, sender))
        relay.start()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(frontend)
    poller = zmq.Poller()
    poller.register(socket, zmq.POLLIN)
    time.sleep(0.2)
    total, interval = int(rate * duration), 1 / rate
    start = time.monotonic()
    pending, latencies, errors = {}, [], collections.Counter()
    sent, last_answer = 0, start
    while sent < total or (pending and time.monotonic() < start + duration + 5):
        now = time.monotonic()
        while sent < total and start + sent * interval <= now:
            method, body = request(sent, logins[sent % len(logins)])
            envelope = pb.Envelope(protocol_version=version, request_id=sent + 1, deadline_us=5_000_000, service="profile",
                                   method=method, payload=body.SerializeToString(), attempt=1)
            socket.send_multipart([b"", envelope.SerializeToString()])
            pending[sent + 1] = start + sent * interval
            sent += 1
        wake = start + sent * interval if sent < total else now + 0.05
        # Whole milliseconds (pyzmq's poll): rounded up, so the loop never spins.
        if not poller.poll(max(0, math.ceil((wake - time.monotonic()) * 1000))):
            continue
        while True:
            try:
                frames = socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            reply = pb.Reply()
            reply.ParseFromString(frames[-1])
            scheduled = pending.pop(reply.request_id, None)
            if scheduled is None:
                continue
            last_answer = time.monotonic()
            if reply.WhichOneof("result") == "error":
                errors[pb.ErrorCode.Name(reply.error.code)] += 1
            else:
                latencies.append((last_answer - scheduled) * 1e6)
    socket.close()
    time.sleep(0.5)  # the last changes reach the replica
    after, maximum = scrape(metrics)
    relayed = None
    if stream_out:
        delays = received.recv()
        relay.join()
        relayed = figures(lambda p: sample_percentile(delays, p))
        relayed["micros"]["max"] = round(delays[-1], 1) if delays else 0
        relayed["count"] = len(delays)
    counts = dict(before)
    delta = [(upper, cumulative - counts.get(upper, 0)) for upper, cumulative in after]
    latencies.sort()
    write = figures(lambda p: sample_percentile(latencies, p))
    write["micros"]["max"] = round(latencies[-1], 1) if latencies else 0
    # Interpolation in a wide bucket may overshoot the largest value seen: capped by the gauge.
    cap = maximum * 1e6 if maximum is not None else math.inf
    visible = figures(lambda p: min(bucket_percentile(delta, p), cap)) if delta and delta[-1][1] > 0 else {"micros": {}, "spectrum": []}
    visible["max_us_since_start"] = round(maximum * 1e6, 1) if maximum is not None else None
    visible["count"] = int(delta[-1][1]) if delta else 0
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "rate": rate, "duration_s": duration, "customers": len(logins),
        "sent": sent, "acknowledged": len(latencies), "errors": dict(errors), "unanswered": len(pending),
        "achieved_per_s": round(len(latencies) / max(last_answer - start, 1e-9), 1),
        "visible_at_decision": visible, "write_acknowledged": write,
        **({"received_from_relay": relayed} if relayed else {}),
    }


def report(result):
    visible, write = result["visible_at_decision"], result["write_acknowledged"]

    def row(name, figures, extra):
        micros = figures["micros"]
        return f"| {name} | " + " | ".join(f"{micros.get(p, 0):,.0f}" for p in ["p50", "p90", "p99", "p99.9"]) + f" | {extra} |"

    return "\n".join([
        f"{result['date']}: {result['sent']} writes at {result['rate']:g}/s for {result['duration_s']:g} s on {result['customers']} customers; "
        f"{result['acknowledged']} acknowledged ({result['achieved_per_s']:,.1f}/s), errors {result['errors'] or 0}, unanswered {result['unanswered']}",
        "",
        "| µs | p50 | p90 | p99 | p99.9 | max |",
        "|---|---:|---:|---:|---:|---:|",
        row("visible at the decision replica", visible, f"{visible['max_us_since_start'] or 0:,.0f} (since start)"),
        row("write acknowledged (writer's view)", write, f"{write['micros']['max']:,.0f}"),
    ] + ([row(f"received from the relay (a Python subscriber, {result['received_from_relay']['count']} changes)", result["received_from_relay"],
              f"{result['received_from_relay']['micros']['max']:,.0f}")] if "received_from_relay" in result else []) + [
        "",
        f"live changes counted at the decision replica: {visible['count']} for {result['acknowledged']} acknowledged writes",
    ])
