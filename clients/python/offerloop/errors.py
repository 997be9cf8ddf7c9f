"""Typed errors: every ErrorCode of docs/PROTOCOL.md is a class, all of them OfferLoopError."""
from . import offerloop_pb2 as pb


class OfferLoopError(Exception):
    """A typed error reply: `code` is the ErrorCode name (e.g. 'NOT_FOUND'), `message` the service's words."""

    code = "ERROR_CODE_UNSPECIFIED"

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _error_class(name):
    words = name.title().replace("_", "")
    return type(words if words.endswith("Error") else words + "Error", (OfferLoopError,), {"code": name, "__doc__": f"ErrorCode {name}."})


# One class per code: MalformedError, NoWorkersError, DeadlineExceededError, NotFoundError, …
ERRORS = {name: _error_class(name) for name in pb.ErrorCode.keys() if name != "ERROR_CODE_UNSPECIFIED"}
globals().update({cls.__name__: cls for cls in ERRORS.values()})


def error(code, message):
    """The typed error for an ErrorCode name (or number)."""
    name = code if isinstance(code, str) else pb.ErrorCode.Name(code)
    return ERRORS.get(name, OfferLoopError)(name, message)
