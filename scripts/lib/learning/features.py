"""What a round tells a policy, the same for OfferLoop and the baselines: the channel, the customer's
attributes (churn_score as its band) and the request's context, and the crosses between them."""

# Channel × every attribute and × the context (issue 20's default), and OfferLoop's own
# segment × churn cross.
DEFAULT_CROSSES = "channel*value_segment,channel*risk_band,channel*churn_band,channel*context,value_segment*churn_band"


def crosses_of(world, crosses):
    """"a*b,c*d" → [(a, b), (c, d)], keeping the pairs whose features the world has."""
    pairs = []
    for item in filter(None, (part.strip() for part in crosses.split(","))):
        first, _, second = item.partition("*")
        if not second:
            raise SystemExit(f"--crosses: '{item}' is not FEATURE*FEATURE")
        for field in (first, second):
            if field not in ("channel", "value_segment", "risk_band", "churn_band", "context"):
                raise SystemExit(f"--crosses: unknown feature '{field}' (channel, value_segment, risk_band, churn_band, context)")
        if first in world.fields and second in world.fields:
            pairs.append((first, second))
    return pairs


def shared_features(cell):
    """The round's features as tokens, by field ("context": "page_home"); no context, no entry."""
    features = {}
    for field, value in cell.items():
        if field == "context":
            if value != "none":
                features[field] = value.replace("=", "_")
        else:
            features[field] = value
    return features


def request_context(cell, pairs, attributes, crosses):
    """The decide request's context: the touchpoint's own (page or call reason); with attributes
    also the customer's attributes (for an OfferLoop that does not read them from the profile as
    features); with crosses also the crosses as values of their own ("x_channel_context": "web.page_home")."""
    context = {}
    for field, value in cell.items():
        if field == "context":
            if value != "none":
                key, _, name = value.partition("=")
                context[key] = name
        elif field != "channel" and attributes:
            context[field] = value
    if crosses:
        features = shared_features(cell)
        for first, second in pairs:
            if first in features and second in features:
                context[f"x_{first}_{second}"] = f"{features[first]}.{features[second]}"
    return context
