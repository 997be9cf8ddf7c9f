#!/usr/bin/env python3
"""The Python client against a running cluster (PythonClientTests runs it on a real one, the package
pip-installed from its folder): a decision, its outcomes one by one and in a batch, a retried
outcome stored once, and each refusal as its typed error. Prints 'python client ok' when all hold.

    python3 clients/python/tests/check_client.py --frontend tcp://127.0.0.1:5555 --identity login:ada
"""
import argparse
import sys

from offerloop import OfferLoop, OfferLoopError, errors, offerloop_pb2 as pb


def expect(condition, what):
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frontend", required=True)
    parser.add_argument("--identity", required=True, help="a known customer, KIND:VALUE")
    args = parser.parse_args()
    with OfferLoop(args.frontend, timeout_ms=5000) as loop:
        reply = loop.decide(args.identity, "web", slots=2, context={"page": "mortgages"}, explain=True)
        expect(reply.decision_id.startswith("d-") and len(reply.offers) >= 1 and reply.customer_id, f"a decision with offers: {reply}")
        expect(any(line.startswith(reply.offers[0].offer_id) for line in reply.explanation), "explain=True gives the explanation")
        first = reply.offers[0].offer_id

        ack = loop.outcome(reply.decision_id, first, "impression", event_id="py-impression-1")
        again = loop.outcome(reply.decision_id, first, "impression", event_id="py-impression-1")
        expect(ack.sequence > 0 and again.duplicate and again.sequence == ack.sequence, f"an outcome stored once: {ack} then {again}")

        results = loop.outcomes([
            {"decision_id": reply.decision_id, "offer_id": first, "type": "accept"},
            {"decision_id": reply.decision_id, "offer_id": "not-shown", "type": "accept"},
            {"decision_id": "d-unknown", "offer_id": first, "type": "click"},
        ])
        expect(results[0].sequence > ack.sequence, f"the batch's good outcome stored: {results[0]}")
        expect(isinstance(results[1], errors.InvalidArgumentError) and "was not shown" in results[1].message, f"a typed INVALID_ARGUMENT: {results[1]!r}")
        expect(isinstance(results[2], errors.NotFoundError), f"a typed NOT_FOUND: {results[2]!r}")

        for call, expected in [
            (lambda: loop.decide("login:nobody-knows-me", "atm"), errors.NotFoundError),
            (lambda: loop.outcome(reply.decision_id, first, "purchase", amount=-5), errors.InvalidArgumentError),
            (lambda: loop.call("no-such-service", "ping", pb.PingRequest(), pb.PingReply, timeout_ms=5000), errors.NoWorkersError),
        ]:
            try:
                call()
                expect(False, f"{expected.__name__} expected")
            except OfferLoopError as error:
                expect(isinstance(error, expected), f"{expected.__name__} expected, got {error!r}")
        try:
            loop.decide("ada", "web")
            expect(False, "an identity without a kind is refused")
        except ValueError as error:
            expect("KIND:VALUE" in str(error), f"the identity's form is named: {error}")
    print("python client ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
