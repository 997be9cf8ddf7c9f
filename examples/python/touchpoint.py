#!/usr/bin/env python3
"""An OfferLoop touchpoint in Python (pyzmq + protobuf), through the client package in clients/python
(written from docs/PROTOCOL.md alone).

It pings the broker, lists the live services, pings each, sends an echo, and shows the typed
error for a service with no workers. Exit status 0 when every step behaved as documented.

    python3 examples/python/touchpoint.py --frontend tcp://127.0.0.1:5555
    python3 examples/python/touchpoint.py --frontend tcp://127.0.0.1:5555,tcp://127.0.0.1:5565  # two brokers

When the broker runs with security on, give the broker's public key and this touchpoint's
secret key (40 Z85 characters each, `offerloop keys new NAME --role clients`) as
OFFERLOOP_CURVE_SERVER_KEY and OFFERLOOP_CURVE_SECRET_KEY, or files holding them as *_FILE.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
from offerloop import PROTOCOL_VERSION, OfferLoopError, offerloop_pb2 as pb  # noqa: E402,F401  (clients/python; pip install clients/python)
from offerloop import Connection as OfferLoopClient  # noqa: E402  (the broker connection: any service, any method)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frontend", default=os.environ.get("OFFERLOOP_FRONTEND", "tcp://127.0.0.1:5555"))
    args = parser.parse_args()
    client = OfferLoopClient(args.frontend)
    try:
        pong, _ = client.call("broker", "ping", pb.PingRequest(), pb.PingReply, idempotent=True)
        print(f"broker: pid {pong.pid}, version {pong.version}, up {pong.uptime_ms} ms")

        services, _ = client.call("broker", "services", pb.ServicesRequest(), pb.ServicesReply)
        for status in services.services:
            print(f"service {status.name}: {status.workers} workers, {status.in_flight} in flight, {status.queued} queued")
            pong, served_by = client.call(status.name, "ping", pb.PingRequest(), pb.PingReply)
            print(f"  ping {status.name}: answered by {served_by} (pid {pong.pid})")

        if any(s.name == "echo" for s in services.services):
            echo, served_by = client.call("echo", "echo", pb.EchoRequest(data=b"hello from python"), pb.EchoReply)
            assert echo.data == b"hello from python", echo.data
            print(f"echo: {echo.data.decode()!r} from {served_by}")

        try:
            # A broker that started less than its heartbeat lifetime ago (3 s) holds a request for a
            # service it does not know yet, in case its workers are re-registering: allow for that.
            client.call("no-such-service", "ping", pb.PingRequest(), pb.PingReply, timeout_ms=5000)
            print("error: a service with no workers answered", file=sys.stderr)
            return 1
        except OfferLoopError as error:
            if error.code != "NO_WORKERS":
                raise
            print(f"typed error as documented: {error}")
        return 0
    except OfferLoopError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
