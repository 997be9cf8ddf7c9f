"""OfferLoop's Python client: `OfferLoop(frontend).decide(...)`, `.outcome(...)`, `.outcomes([...])`,
typed errors (`offerloop.errors`: one class per ErrorCode, all `OfferLoopError`), the broker client's
retry rules and CURVE. The protocol's messages are in `offerloop.offerloop_pb2`."""
from . import errors, offerloop_pb2
from .client import OfferLoop, channel, identity
from .errors import OfferLoopError
from .transport import PROTOCOL_VERSION, Connection

__all__ = ["OfferLoop", "OfferLoopError", "Connection", "PROTOCOL_VERSION", "errors", "offerloop_pb2", "identity", "channel"]
