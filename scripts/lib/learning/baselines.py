"""The learning bench's in-process baselines on a seed's rounds: Vowpal Wabbit's contextual bandits
(`--cb_explore_adf --squarecb` at a gamma_scale, `--cb_explore_adf --epsilon 0.1`), given what
OfferLoop is given — the channel, the attributes (churn score bucketed the same way), the context —
as shared features, each crossed with the action, and the bench's crosses of shared features
crossed with the action too."""
import random
import time

from features import crosses_of, shared_features

# One VW namespace per feature; the action's is "a".
NAMESPACES = {"channel": "c", "value_segment": "s", "risk_band": "k", "churn_band": "r", "context": "x"}


def vw_arguments(policy, world, crosses):
    """The command line of a "vw-squarecb-G" or "vw-egreedy" policy."""
    if policy == "vw-egreedy":
        explore = "--cb_explore_adf --epsilon 0.1"
    elif policy.startswith("vw-squarecb-"):
        explore = f"--cb_explore_adf --squarecb --gamma_scale {float(policy.rsplit('-', 1)[1])}"
    else:
        raise ValueError(f"unknown VW policy '{policy}' (vw-squarecb-G, vw-egreedy)")
    quadratic = [f"-q {NAMESPACES[field]}a" for field in world.fields]
    cubic = [f"--interactions {NAMESPACES[first]}{NAMESPACES[second]}a" for first, second in crosses_of(world, crosses)]
    return " ".join([explore, *quadratic, *cubic, "--quiet"])


def run_vw(policy, world, rounds, seed, crosses, progress):
    """Plays every round; returns (the offer index shown in each round, rounds per second)."""
    import vowpalwabbit

    vw = vowpalwabbit.Workspace(vw_arguments(policy, world, crosses))
    actions = [f"|a {offer}" for offer in world.offers]
    shared = {}
    choose = random.Random(f"{seed}-{policy}")
    choices = [0] * rounds.count
    started = time.monotonic()
    for t in range(rounds.count):
        cell = int(rounds.cells[t])
        if cell not in shared:
            names = shared_features(world.cells[cell])
            shared[cell] = "shared " + " ".join(f"|{NAMESPACES[field]} {value}" for field, value in names.items())
        example = [shared[cell], *actions]
        pmf = vw.predict(example)
        draw, total, chosen = choose.random(), 0.0, len(pmf) - 1
        for index, probability in enumerate(pmf):
            total += probability
            if draw < total:
                chosen = index
                break
        accepted = rounds.draws[t] < rounds.probabilities(t)[chosen]
        example[chosen + 1] = f"0:{0.0 if accepted else 1.0}:{pmf[chosen]} {actions[chosen]}"
        vw.learn(example)
        choices[t] = chosen
        progress(t + 1, choices)
    vw.finish()
    return choices, rounds.count / max(time.monotonic() - started, 1e-9)
