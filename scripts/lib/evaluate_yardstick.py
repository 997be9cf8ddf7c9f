"""The yardstick of scripts/bench-evaluate: numpy doing what `offerloop evaluate` does on the same
files — read the log and the distribution, the reward model, IPS/SNIPS/DR, and a 1,000-resample
Poisson bootstrap (as matrix products of count blocks) — timed end to end. Prints JSON."""
import csv
import json
import sys
import time

import numpy as np

import bandit_log

log_path, distribution_path, resamples, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
started = time.perf_counter()
with open(log_path) as f:
    rows = csv.reader(f)
    next(rows)
    segment_name, offer_name, propensity, target, reward = zip(*rows)
segments = {name: i for i, name in enumerate(bandit_log.SEGMENTS)}
actions = {name: i for i, name in enumerate(bandit_log.ACTIONS)}
segment = np.array([segments[s] for s in segment_name])
action = np.array([actions[a] for a in offer_name])
propensity, target, reward = (np.array(c, dtype=float) for c in (propensity, target, reward))
distribution = np.zeros((len(segments), len(actions)))
with open(distribution_path) as f:
    for row in csv.DictReader(f):
        distribution[segments[row["segment"]], actions[row["offer"]]] = float(row["probability"])
model = bandit_log.reward_model(segment, action, np.zeros_like(action), reward)[:, :, 0]
w = target / propensity
columns = np.stack([np.ones_like(w), w, w * reward, (distribution * model).sum(axis=1)[segment] + w * (reward - model[segment, action])], axis=1)
estimates = {"ips": columns[:, 2].mean(), "snips": columns[:, 2].sum() / columns[:, 1].sum(), "dr": columns[:, 3].mean()}
read_s = time.perf_counter() - started
rng = np.random.default_rng(seed)
replicates = []
for start in range(0, resamples, 50):
    counts = rng.poisson(1.0, size=(min(50, resamples - start), len(w))).astype(np.float64)
    sums = counts @ columns
    replicates.append(np.stack([sums[:, 2] / sums[:, 0], sums[:, 2] / sums[:, 1], sums[:, 3] / sums[:, 0]], axis=1))
replicates = np.concatenate(replicates)
result = {"rows": len(w), "read_seconds": read_s, "seconds": time.perf_counter() - started}
for i, name in enumerate(["ips", "snips", "dr"]):
    low, high = np.quantile(replicates[:, i], [0.025, 0.975])
    result[name] = {"estimate": float(estimates[name]), "low": float(low), "high": float(high)}
print(json.dumps(result))
