#!/usr/bin/env python3
"""Azure Personalizer's applications against the gateway, with Microsoft's own Python clients.

azure-cognitiveservices-personalizer (v1.0: rank, reward, activate) and azure-ai-personalizer
(2022-09-01-preview: rank, multi-slot rank and reward, the service configuration) call an online
gateway and an apprentice one (docs/PERSONALIZER.md). Checks what the clients return and prints,
as its last line, a JSON object of what each rank showed, for the caller to find in the decision
store (Tests/IntegrationTests/PersonalizerIntegrationTests.swift runs it).
"""
import argparse
import json
import sys

from azure.ai.personalizer import PersonalizerAdministrationClient, PersonalizerClient
from azure.cognitiveservices.personalizer import PersonalizerClient as PersonalizerClientV1
from azure.cognitiveservices.personalizer.models import ErrorResponseException, RankableAction, RankRequest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from msrest.authentication import CognitiveServicesCredentials
from msrest.exceptions import HttpOperationError

shown = {}


def check(condition, what):
    if not condition:
        sys.exit(f"FAILED: {what}")


def actions(*ids):
    return [RankableAction(id=i, features=[{"kind": i.split("_")[0]}]) for i in ids]


def v1_rank(client, name, **request):
    response = client.rank(RankRequest(**request))
    ids = [a.id for a in request["actions"]]
    excluded = set(request.get("excluded_actions") or [])
    check(response.reward_action_id in set(ids) - excluded, f"{name}: rewardActionId {response.reward_action_id} is an action not excluded")
    check(sorted(r.id for r in response.ranking) == sorted(ids), f"{name}: the ranking holds every action")
    check(response.ranking[0].id == response.reward_action_id, f"{name}: the rewardActionId ranks first")
    check(abs(sum(r.probability for r in response.ranking) - 1) < 1e-9, f"{name}: the probabilities sum to 1")
    check(all(r.probability == 0 for r in response.ranking if r.id in excluded), f"{name}: excluded actions have probability 0")
    if request.get("event_id"):
        check(response.event_id == request["event_id"], f"{name}: the eventId is the caller's")
    shown[response.event_id] = [response.reward_action_id]
    return response


def error_code(exception):
    """Personalizer's error code from either client's exception."""
    if isinstance(exception, ErrorResponseException):
        return exception.error.error.code
    return exception.error.code if getattr(exception, "error", None) else None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True, help="the online gateway, http://HOST:PORT")
    parser.add_argument("--apprentice-endpoint", required=True, help="a gateway in apprentice mode")
    parser.add_argument("--key", required=True, help="an API key of the clients role at --endpoint")
    parser.add_argument("--apprentice-key", required=True, help="an API key of the clients role at --apprentice-endpoint")
    parser.add_argument("--identity", default="login:ada", help="an OfferLoop customer for the identified rank")
    args = parser.parse_args()

    v1 = PersonalizerClientV1(args.endpoint, CognitiveServicesCredentials(args.key))
    travel = [{"page": "travel"}, {"device": {"type": "mobile"}}]

    # Rank with excluded actions and context features, then its reward (v1.0).
    v1_rank(v1, "single", actions=actions("savings_bonus", "travel_insurance", "mobile_app", "personal_loan"),
            excluded_actions=["personal_loan"], context_features=travel, event_id="e-single")
    v1.events.reward("e-single", 1.0)
    # Deferred activation: activate, then reward.
    v1_rank(v1, "deferred", actions=actions("savings_bonus", "mobile_app"), context_features=travel, event_id="e-deferred", defer_activation=True)
    v1.events.activate("e-deferred")
    v1.events.reward("e-deferred", 0.0)
    # No eventId: the gateway makes one.
    generated = v1_rank(v1, "generated", actions=actions("savings_bonus", "mobile_app"), context_features=travel)
    check(len(generated.event_id) >= 32, "generated: an eventId is made")
    v1.events.reward(generated.event_id, 0.5)
    # A customer OfferLoop knows, named by a context feature.
    v1_rank(v1, "identified", actions=actions("personal_loan", "savings_bonus", "mobile_app", "new_credit_card"),
            context_features=[{"offerloopIdentity": args.identity}], event_id="e-identified")

    # Errors in Personalizer's shape, which the client parses.
    try:
        v1.rank(RankRequest(actions=actions("mobile_app"), event_id="e-single"))
        check(False, "a second rank with the same eventId is refused")
    except ErrorResponseException as error:
        check(error.response.status_code == 409 and error_code(error) == "Conflict", f"duplicate eventId: 409 Conflict, not {error}: {error.response.text}")
    try:
        v1.rank(RankRequest(actions=actions("mobile_app", "gold_bar")))
        check(False, "an unknown action is refused")
    except ErrorResponseException as error:
        check(error.response.status_code == 400 and error_code(error) == "BadRequest" and "gold_bar" in error.error.error.message,
              f"unknown action: 400 BadRequest naming it, not {error}")
    try:
        v1.events.reward("e-never-ranked", 1.0)
        check(False, "a reward for an unknown event is refused")
    except HttpOperationError as error:
        check(error.response.status_code == 404, f"unknown event: 404, not {error.response.status_code}")

    # The 2022-09-01-preview client: single slot and multi-slot.
    client = PersonalizerClient(args.endpoint, AzureKeyCredential(args.key))
    single = client.rank({"actions": [{"id": "savings_bonus", "features": [{}]}, {"id": "mobile_app", "features": [{}]}],
                          "contextFeatures": travel, "eventId": "e-new", "deferActivation": True})
    check(single["eventId"] == "e-new" and single["rewardActionId"] in ("savings_bonus", "mobile_app"), f"new client rank: {single}")
    shown["e-new"] = [single["rewardActionId"]]
    client.activate("e-new")
    client.reward("e-new", {"value": 1})
    multi_actions = [{"id": i, "features": [{}]} for i in ("savings_bonus", "travel_insurance", "mobile_app")]
    multi = client.rank_multi_slot({
        "actions": multi_actions, "contextFeatures": travel, "eventId": "e-multi",
        "slots": [{"id": "main", "baselineAction": "mobile_app", "excludedActions": ["savings_bonus"]},
                  {"id": "side", "baselineAction": "savings_bonus"}]})
    slots = {slot["id"]: slot.get("rewardActionId") for slot in multi["slots"]}
    check(multi["eventId"] == "e-multi" and list(slots) == ["main", "side"], f"multi-slot rank: {multi}")
    check(slots["main"] in ("travel_insurance", "mobile_app") and slots["side"] and slots["side"] != slots["main"], f"multi-slot: {slots}")
    shown["e-multi"] = [slots["main"], slots["side"]]
    client.reward_multi_slot("e-multi", {"reward": [{"slotId": "main", "value": 1}, {"slotId": "side", "value": 0}]})

    # Apprentice mode: the baseline is shown; a reward reaches it through any gateway.
    apprentice = PersonalizerClient(args.apprentice_endpoint, AzureKeyCredential(args.apprentice_key))
    ranked = apprentice.rank({"actions": [{"id": i, "features": [{}]} for i in ("travel_insurance", "savings_bonus", "mobile_app")],
                              "excludedActions": ["travel_insurance"], "contextFeatures": travel, "eventId": "e-apprentice"})
    check(ranked["rewardActionId"] == "savings_bonus", f"apprentice: the baseline (first action not excluded) is shown, not {ranked}")
    shown["e-apprentice"] = [ranked["rewardActionId"]]
    client.reward("e-apprentice", {"value": 1})
    ranked = apprentice.rank_multi_slot({
        "actions": multi_actions, "contextFeatures": travel, "eventId": "e-apprentice-multi",
        "slots": [{"id": "main", "baselineAction": "travel_insurance"}, {"id": "side", "baselineAction": "mobile_app"}]})
    check([s.get("rewardActionId") for s in ranked["slots"]] == ["travel_insurance", "mobile_app"], f"apprentice multi-slot: the baselines, not {ranked}")
    shown["e-apprentice-multi"] = ["travel_insurance", "mobile_app"]
    configuration = PersonalizerAdministrationClient(args.apprentice_endpoint, AzureKeyCredential(args.apprentice_key)).get_service_configuration()
    check(configuration["learningMode"] == "Apprentice", f"the configuration says Apprentice: {configuration}")

    try:
        PersonalizerClient(args.endpoint, AzureKeyCredential("not-a-key")).rank({"actions": multi_actions})
        check(False, "an unknown key is refused")
    except ClientAuthenticationError as error:
        check(error.status_code == 401, f"unknown key: 401, not {error.status_code}")
    try:
        client.reward_multi_slot("e-multi", {"reward": [{"slotId": "nowhere", "value": 1}]})
        check(False, "a reward for a slot the event does not have is refused")
    except HttpResponseError as error:
        check(error.status_code == 400 and error.error.code == "BadRequest", f"unknown slot: 400 BadRequest, not {error}")

    print("personalizer clients ok")
    print(json.dumps({"shown": shown, "generated": generated.event_id}))


if __name__ == "__main__":
    main()
