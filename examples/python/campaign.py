#!/usr/bin/env python3
"""A simulated campaign through the real cluster: every customer visits the web site and a kiosk,
the decision service chooses their offers, and the customers respond by a known response model.

The response model is the simulation's ground truth, printed at the end so the effectiveness
report's estimates can be held against it. Per offer, a customer buys the product anyway (without
being offered it) with probability `organic`; shown the offer, they accept with probability
`organic + effect`. So the effect of showing an offer is real, and the control group (customers
the catalog holds out, who are offered nothing) still buys at the organic rate: the bank's product
systems see those purchases and report them against the decision as PURCHASE of the held-back
offer, which they find in the decision log (docs/FEEDBACK.md, "Control groups and lift"). So do
customers held out of one offer (the catalog's `holdout_percent`) where it would have been shown.

    python3 examples/python/campaign.py --identities DIR/identities.csv \\
        --decision-store .run/demo/data/decisions.sqlite --seed 7

Seeded: the same seed gives the same customers' responses to the same offers (the decision
service's exploration is random, so which offers they see varies from run to run).
"""
import argparse
import csv
import os
import random
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from touchpoint import OfferLoopClient, OfferLoopError, pb  # noqa: E402

# The ground truth: (organic purchase rate, added by showing the offer). Offers not listed: (0.02, 0.02).
RESPONSE = {
    "savings_bonus": (0.04, 0.10),
    "new_credit_card": (0.03, 0.07),
    "personal_loan": (0.02, 0.05),
    "credit_card_upgrade": (0.03, 0.09),
    "fee_waiver_retention": (0.05, 0.20),
    "rate_match_retention": (0.04, 0.12),
    "mortgage_refinance": (0.01, 0.03),
    "home_insurance": (0.02, 0.04),
    "mobile_app": (0.05, 0.05),
}
DEFAULT_RESPONSE = (0.02, 0.02)
VISITS = [(pb.WEB, 2), (pb.KIOSK, 1)]  # channel, offers shown
CHUNK = 250  # customers per round: decide, then report their outcomes (the model learns as it goes)


def logins(path):
    with open(path, newline="") as file:
        return [row["value"] for row in csv.DictReader(file) if row["kind"] == "login"]


def held_out(store, decision_ids):
    """The offers the policy held back from these decisions (all of a control decision's, or one a
    customer is held out of), from the decision log. Waits (5 s at most) until every one is there:
    a decision left out would bias its group."""
    found = {}
    for _ in range(50):
        missing = [decision_id for decision_id in decision_ids if decision_id not in found]
        if not missing:
            break
        for decision_id, record in store.execute(f"SELECT id, record FROM decisions WHERE id IN ({','.join('?' * len(missing))})", missing):
            parsed = pb.DecisionRecord()
            parsed.ParseFromString(record)
            found[decision_id] = [offer.offer_id for offer in parsed.held_out]
        if len(found) < len(decision_ids):
            time.sleep(0.1)
    if len(found) < len(decision_ids):
        raise OfferLoopError("NOT_FOUND", f"{len(decision_ids) - len(found)} decisions not in the decision log after 5 s")
    return found


def report(client, outcomes):
    """Sends outcomes in batches; returns (stored, refused by error code)."""
    stored, refused = 0, {}
    for start in range(0, len(outcomes), 1000):
        reply, _ = client.call("feedback", "outcomes", pb.OutcomeBatch(outcomes=outcomes[start:start + 1000]), pb.OutcomeBatchReply,
                               timeout_ms=30000)
        for result in reply.results:
            if result.WhichOneof("result") == "ack":
                stored += 1
            else:
                code = pb.ErrorCode.Name(result.error.code)
                refused[code] = refused.get(code, 0) + 1
    return stored, refused


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frontend", default=os.environ.get("OFFERLOOP_FRONTEND", "tcp://127.0.0.1:5555"))
    parser.add_argument("--identities", required=True, help="identities.csv (its logins are the customers who visit)")
    parser.add_argument("--decision-store", required=True, help="the decision store's SQLite file (read only)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    customers = logins(args.identities)
    rng.shuffle(customers)
    client = OfferLoopClient(args.frontend)
    store = sqlite3.connect(f"file:{args.decision_store}?mode=ro", uri=True)
    decisions = controls = stored = 0
    refused = {}
    started = time.monotonic()
    try:
        for start in range(0, len(customers), CHUNK):
            shown, decided = [], []
            for login in customers[start:start + CHUNK]:
                for channel, slots in VISITS:
                    request = pb.DecideRequest(identity=pb.Identity(kind="login", value=login), channel=channel, slots=slots)
                    try:
                        reply, _ = client.call("decision", "decide", request, pb.DecideReply, timeout_ms=5000)
                    except OfferLoopError as error:
                        refused[error.code] = refused.get(error.code, 0) + 1
                        continue
                    decisions += 1
                    decided.append(reply.decision_id)
                    if reply.control:
                        controls += 1
                    else:
                        shown += [(reply.decision_id, offer.offer_id) for offer in reply.offers]
            # Reported at once: the feedback service waits for a decision still being copied to the log.
            outcomes = []
            for decision_id, offer in shown:
                organic, effect = RESPONSE.get(offer, DEFAULT_RESPONSE)
                outcomes.append(pb.Outcome(event_id=f"campaign-{decision_id}-{offer}-seen", decision_id=decision_id, offer_id=offer,
                                           type=pb.IMPRESSION))
                if rng.random() < organic + effect:
                    outcomes.append(pb.Outcome(event_id=f"campaign-{decision_id}-{offer}-accept", decision_id=decision_id,
                                               offer_id=offer, type=pb.ACCEPT))
            for decision_id, offers in held_out(store, decided).items():
                for offer in offers:
                    if rng.random() < RESPONSE.get(offer, DEFAULT_RESPONSE)[0]:
                        outcomes.append(pb.Outcome(event_id=f"campaign-{decision_id}-{offer}-bought", decision_id=decision_id,
                                                   offer_id=offer, type=pb.PURCHASE))
            done, failed = report(client, outcomes)
            stored += done
            for code, count in failed.items():
                refused[code] = refused.get(code, 0) + count
    finally:
        client.close()
        store.close()
    print(f"{len(customers)} customers, {decisions} decisions ({controls} in the control group), {stored} outcomes stored"
          + "".join(f", {count} {code}" for code, count in sorted(refused.items())) + f", in {time.monotonic() - started:.0f} s")
    print("the simulation's truth (what the report should find):")
    for offer, (organic, effect) in sorted(RESPONSE.items()):
        print(f"  {offer:22} bought anyway {organic:5.1%}, shown the offer {organic + effect:5.1%}: lift {effect * 100:+.0f} pp")
    return 0


if __name__ == "__main__":
    sys.exit(main())
