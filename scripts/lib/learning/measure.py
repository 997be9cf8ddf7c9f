"""The learning bench's measure: cumulative expected reward (the sum of the true probabilities of
the offers shown) ÷ the oracle's (the sum of the best true probability of every round), at
checkpoints every 1 % of the rounds; on a drifting world also the share of the new oracle over a
window at a lag after each change, and how soon after a change a window first reached 0.95."""
import numpy as np


def checkpoints(count):
    return sorted({max(1, count * k // 100) for k in range(1, 101)})


def report_rounds(count):
    """The rounds the table shows: 10k, 50k and 200k when the run has them, else a tenth, half, all."""
    shown = [r for r in (10_000, 50_000, 200_000) if r <= count]
    if not shown:
        shown = [max(1, count // 10), max(1, count // 2)]
    return shown + ([count] if count not in shown else [])


def curve(chosen, oracle):
    """[[round, cumulative share, share since the previous checkpoint], …]."""
    cumulative_chosen, cumulative_oracle = np.cumsum(chosen), np.cumsum(oracle)
    points, previous = [], 0
    for r in checkpoints(len(chosen)):
        recent = (cumulative_chosen[r - 1] - (cumulative_chosen[previous - 1] if previous else 0)) / \
                 (cumulative_oracle[r - 1] - (cumulative_oracle[previous - 1] if previous else 0))
        points.append([r, float(cumulative_chosen[r - 1] / cumulative_oracle[r - 1]), float(recent)])
        previous = r
    return points


def share_at(points, r):
    return next((share for round_, share, _ in points if round_ >= r), points[-1][1])


def drift(chosen, oracle, changes, scale):
    """Per change: the share of the new oracle over the window ending `lag` rounds after it, and the
    first round after it at which a window's share reached 0.95 (None: not before the next change)."""
    window, lag = max(1, round(2_000 * scale)), max(1, round(20_000 * scale))
    cumulative_chosen = np.concatenate([[0.0], np.cumsum(chosen)])
    cumulative_oracle = np.concatenate([[0.0], np.cumsum(oracle)])

    def share(end):
        start = end - window
        return float((cumulative_chosen[end] - cumulative_chosen[start]) / (cumulative_oracle[end] - cumulative_oracle[start]))

    results = []
    for k, change in enumerate(changes):
        end = min(change + lag, len(chosen))
        limit = changes[k + 1] if k + 1 < len(changes) else len(chosen)
        recovered = next((r - change for r in range(change + window, limit + 1, max(1, window // 10)) if share(r) >= 0.95), None)
        results.append({"change": change, "window": window, "lag": lag, "share_at_lag": share(end) if end - window >= change else None,
                        "rounds_to_0_95": recovered})
    return results
