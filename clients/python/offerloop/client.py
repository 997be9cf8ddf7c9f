"""OfferLoop for a touchpoint: ask for the next best offers, report what the customer did.

    from offerloop import OfferLoop
    with OfferLoop("tcp://127.0.0.1:5555") as loop:
        reply = loop.decide("login:ada", "web", slots=2, context={"page": "mortgages"})
        loop.outcome(reply.decision_id, reply.offers[0].offer_id, "accept")

Replies are the protocol's messages (offerloop.offerloop_pb2: DecideReply, OutcomeAck, …)."""
import uuid

from . import offerloop_pb2 as pb
from .errors import OfferLoopError, error
from .transport import Connection

CHANNELS = {"atm": pb.ATM, "kiosk": pb.KIOSK, "web": pb.WEB, "call_center": pb.CALL_CENTER}
OUTCOMES = {name.lower(): value for name, value in pb.OutcomeType.items() if value != 0}


def identity(value):
    """"kind:value" or (kind, value) → an Identity."""
    if isinstance(value, pb.Identity):
        return value
    if isinstance(value, str):
        kind, colon, rest = value.partition(":")
        if not colon or not kind or not rest:
            raise ValueError(f"identity {value!r} must be KIND:VALUE, e.g. login:ada or card:4111111111111111")
        return pb.Identity(kind=kind, value=rest)
    kind, rest = value
    return pb.Identity(kind=kind, value=rest)


def channel(name):
    if name not in CHANNELS:
        raise ValueError(f"channel {name!r} is none of {', '.join(CHANNELS)}")
    return CHANNELS[name]


class OfferLoop:
    """A client of an OfferLoop cluster through its broker(s): `frontend` is "tcp://host:port", or
    two separated by a comma (every call goes to one, an idempotent retry to the other). CURVE keys
    as arguments or from OFFERLOOP_CURVE_SERVER_KEY / OFFERLOOP_CURVE_SECRET_KEY. Not thread-safe:
    one client per thread."""

    def __init__(self, frontend="tcp://127.0.0.1:5555", timeout_ms=1000, server_key=None, secret_key=None):
        self.connection = Connection(frontend, server_key=server_key, secret_key=secret_key)
        self.timeout_ms = timeout_ms
        self.routes = {}  # identity → the customer id a decision named: later decisions go straight to its replica

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()

    def close(self):
        self.connection.close()

    def decide(self, who, channel_name, slots=1, context=None, explain=False, local_hour=None, seed=0, timeout_ms=None):
        """The next best offers for a customer (`who`: "kind:value") on a channel ("atm", "kiosk",
        "web", "call_center"): a DecideReply. Not retried (each call is a new decision)."""
        who = identity(who)
        request = pb.DecideRequest(identity=who, channel=channel(channel_name), slots=slots, context=context or {}, explain=explain, seed=seed)
        if local_hour is not None:
            request.local_hour = local_hour
        key = (who.kind, who.value)
        reply, _ = self.connection.call("decision", "decide", request, pb.DecideReply, timeout_ms=timeout_ms or self.timeout_ms,
                                        routing_key=self.routes.get(key, "").encode())
        if reply.customer_id:
            self.routes[key] = reply.customer_id
        return reply

    @staticmethod
    def _outcome(decision_id, offer_id, type, event_id=None, amount=0.0, customer_id="", time_unix_ms=0):
        if type not in OUTCOMES:
            raise ValueError(f"outcome type {type!r} is none of {', '.join(OUTCOMES)}")
        return pb.Outcome(event_id=event_id or f"py-{uuid.uuid4()}", decision_id=decision_id, offer_id=offer_id, type=OUTCOMES[type],
                          amount=amount, customer_id=customer_id, time_unix_ms=time_unix_ms)

    def outcome(self, decision_id, offer_id, type, event_id=None, amount=0.0, customer_id="", time_unix_ms=0, timeout_ms=None):
        """What the customer did with an offer ("impression", "click", "accept", "decline",
        "purchase", "ignored"): an OutcomeAck once stored. Idempotent by `event_id` (one is made
        when none is given), so it is retried as the broker client retries."""
        request = self._outcome(decision_id, offer_id, type, event_id, amount, customer_id, time_unix_ms)
        ack, _ = self.connection.call("feedback", "outcome", request, pb.OutcomeAck, timeout_ms=timeout_ms or self.timeout_ms, idempotent=True)
        return ack

    def outcomes(self, outcomes, timeout_ms=None):
        """Many outcomes in one request: each a dict of outcome()'s arguments. A list with, per
        outcome, its OutcomeAck or its typed error (the others stand)."""
        batch = pb.OutcomeBatch(outcomes=[self._outcome(**item) for item in outcomes])
        reply, _ = self.connection.call("feedback", "outcomes", batch, pb.OutcomeBatchReply, timeout_ms=timeout_ms or max(self.timeout_ms, 10_000),
                                        idempotent=True)
        return [result.ack if result.WhichOneof("result") == "ack" else error(result.error.code, result.error.message) for result in reply.results]

    def call(self, service, method, request, reply_type, timeout_ms=None, idempotent=False):
        """Any method of docs/PROTOCOL.md: the reply message (and not the worker that served it)."""
        reply, _ = self.connection.call(service, method, request, reply_type, timeout_ms=timeout_ms or self.timeout_ms, idempotent=idempotent)
        return reply


__all__ = ["OfferLoop", "OfferLoopError", "identity", "channel"]
