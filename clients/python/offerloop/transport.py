"""Requests through the broker (docs/PROTOCOL.md): one DEALER socket per broker frontend
("tcp://a:5555,tcp://b:5555" for two brokers), a deadline on every call, and the retry rules of the
Swift BrokerClient: an idempotent call is sent again through the next broker when half of its time
passed without an answer, and when it was answered UNAVAILABLE (3 attempts at most)."""
import itertools
import os
import time

import zmq

from . import offerloop_pb2 as pb
from .errors import error

PROTOCOL_VERSION = 1
RETRYABLE = {pb.UNAVAILABLE}


def setting(name):
    """An environment variable, or the contents of the file NAME_FILE names."""
    if os.environ.get(name):
        return os.environ[name].strip()
    if os.environ.get(name + "_FILE"):
        with open(os.environ[name + "_FILE"]) as file:
            return file.read().strip()
    return None


class Connection:
    """`server_key`, `secret_key`: CURVE (40 Z85 characters each: the broker's public key and this
    client's secret key, `offerloop keys new NAME --role clients`); by default from
    OFFERLOOP_CURVE_SERVER_KEY and OFFERLOOP_CURVE_SECRET_KEY (or files named by *_FILE)."""

    def __init__(self, frontend, server_key=None, secret_key=None):
        self.context = zmq.Context.instance()
        self.sockets = []
        self.poller = zmq.Poller()
        server_key = server_key or setting("OFFERLOOP_CURVE_SERVER_KEY")
        secret_key = secret_key or setting("OFFERLOOP_CURVE_SECRET_KEY")
        for endpoint in (e.strip() for e in frontend.split(",")):
            if not endpoint:
                continue
            socket = self.context.socket(zmq.DEALER)
            socket.setsockopt(zmq.LINGER, 100)
            if server_key or secret_key:
                socket.curve_serverkey = server_key.encode()
                socket.curve_secretkey = secret_key.encode()
                socket.curve_publickey = zmq.curve_public(secret_key.encode())
            socket.connect(endpoint)
            self.sockets.append(socket)
            self.poller.register(socket, zmq.POLLIN)
        if not self.sockets:
            raise ValueError(f"no broker endpoint in {frontend!r}")
        self.ids = itertools.count(1)

    def call(self, service, method, request, reply_type, timeout_ms=1000, idempotent=False, routing_key=b""):
        """The reply message and the worker that served it; a typed OfferLoopError otherwise.
        routing_key: for a decide, the customer id an earlier reply named: the broker sends it
        straight to the decision replica holding that customer (docs/DECISION.md)."""
        request_id = next(self.ids)
        start = time.monotonic()
        deadline = start + timeout_ms / 1000

        def send(attempt):
            envelope = pb.Envelope(protocol_version=PROTOCOL_VERSION, request_id=request_id,
                                   deadline_us=max(1, int((deadline - time.monotonic()) * 1e6)), service=service, method=method,
                                   payload=request.SerializeToString(), attempt=attempt, routing_key=routing_key)
            # DEALER sends the empty delimiter frame itself (a REQ socket would add it).
            self.sockets[(request_id + attempt) % len(self.sockets)].send_multipart([b"", envelope.SerializeToString()])

        attempt = 1
        send(attempt)
        retry_at = start + timeout_ms / 2000 if idempotent else None
        while True:
            now = time.monotonic()
            if retry_at is not None and now >= retry_at:
                attempt += 1
                send(attempt)
                retry_at = None
            if now >= deadline:
                raise error("DEADLINE_EXCEEDED", f"no answer from {service!r} within {timeout_ms} ms")
            wake = min(deadline, retry_at or deadline)
            for socket, _ in self.poller.poll(int((wake - now) * 1000) + 1):
                frames = socket.recv_multipart()
                if len(frames) != 2 or frames[0] != b"":
                    continue  # not a reply frame pair: ignore
                reply = pb.Reply()
                reply.ParseFromString(frames[1])
                if reply.request_id != request_id:
                    continue  # a late answer to an earlier call
                if reply.WhichOneof("result") == "error":
                    if reply.error.code in RETRYABLE and idempotent and attempt < 3:
                        retry_at = time.monotonic()  # a lost worker: try again now
                        continue
                    raise error(reply.error.code, reply.error.message)
                answer = reply_type()
                answer.ParseFromString(reply.payload)
                return answer, reply.served_by

    def close(self):
        for socket in self.sockets:
            socket.close()
