"""A synthetic logged-bandit world with a known truth, for `offerloop evaluate`'s worked example,
its benchmark and its fixtures: customers in four segments, five offers, a logging and an
evaluation policy that differ, Bernoulli rewards (examined less at later positions)."""
import numpy as np

SEGMENTS = ["young", "family", "affluent", "retired"]
SEGMENT_SHARE = np.array([0.4, 0.3, 0.2, 0.1])
ACTIONS = ["card", "loan", "savings", "insurance", "mortgage"]
# P(response | segment, offer) at the first position.
RESPONSE = np.array([[0.10, 0.04, 0.06, 0.02, 0.01],
                     [0.05, 0.08, 0.07, 0.06, 0.09],
                     [0.03, 0.02, 0.12, 0.05, 0.04],
                     [0.02, 0.01, 0.08, 0.10, 0.01]])


def softmax(scores, temperature):
    e = np.exp(scores / temperature)
    return e / e.sum(axis=1, keepdims=True)


# The logging policy leans on a stale view of the offers; the evaluation policy on the true one.
LOGGING = softmax(np.array([[1, 2, 0, 1, 2], [2, 1, 0, 1, 0], [2, 1, 1, 0, 1], [1, 1, 2, 0, 1]], float), 1.0)
TARGET = softmax(RESPONSE * 30, 1.0)


def examination(position):
    return 1.0 / (1.0 + position)


def truth(positions):
    """The evaluation policy's expected reward per row (rows spread evenly over the positions)."""
    per_segment = (TARGET * RESPONSE).sum(axis=1)
    value = float(SEGMENT_SHARE @ per_segment)
    return float(np.mean([value * examination(p) for p in range(max(positions, 1))]))


def generate(rows, seed, positions=0):
    """Columns of a log: segment and action indices, position, propensity, target, reward."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(len(SEGMENTS), size=rows, p=SEGMENT_SHARE)
    cumulative = LOGGING.cumsum(axis=1)[segment]
    action = np.minimum((rng.random(rows)[:, None] > cumulative).sum(axis=1), len(ACTIONS) - 1)
    position = np.arange(rows) % positions if positions else np.zeros(rows, dtype=int)
    probability = RESPONSE[segment, action] * examination(position)
    reward = (rng.random(rows) < probability).astype(int)
    return segment, action, position, LOGGING[segment, action], TARGET[segment, action], reward


def write(path, distribution_path, rows, seed, positions=0):
    segment, action, position, propensity, target, reward = generate(rows, seed, positions)
    names, segments = np.array(ACTIONS), np.array(SEGMENTS)
    with open(path, "w") as f:
        f.write("segment,offer," + ("position," if positions else "") + "propensity,target,reward\n")
        columns = [segments[segment], names[action]] + ([position.astype(str)] if positions else []) + \
                  [np.char.mod("%.17g", propensity), np.char.mod("%.17g", target), reward.astype(str)]
        f.write("\n".join(",".join(row) for row in zip(*columns)) + "\n")
    if distribution_path:
        with open(distribution_path, "w") as f:
            f.write("segment,offer,probability\n")
            for s, name in enumerate(SEGMENTS):
                for a, offer in enumerate(ACTIONS):
                    f.write(f"{name},{offer},{TARGET[s, a]:.17g}\n")
    return segment, action, position, propensity, target, reward


PRIOR_ROUNDS = 10.0


def reward_model(segment, action, position, reward):
    """offerloop evaluate's reward model, written again from its description: the mean reward per
    (action, position, segment), shrunk toward the (action, position) mean, shrunk toward the overall mean."""
    overall = reward.mean()
    positions = position.max() + 1
    model = np.zeros((len(SEGMENTS), len(ACTIONS), positions))
    for a in range(len(ACTIONS)):
        for p in range(positions):
            cell = (action == a) & (position == p)
            parent = (reward[cell].sum() + PRIOR_ROUNDS * overall) / (cell.sum() + PRIOR_ROUNDS)
            for s in range(len(SEGMENTS)):
                sub = cell & (segment == s)
                model[s, a, p] = (reward[sub].sum() + PRIOR_ROUNDS * parent) / (sub.sum() + PRIOR_ROUNDS)
    return model
