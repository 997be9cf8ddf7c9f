"""The learning bench's curves: cumulative share of the oracle's expected reward against rounds, mean
over seeds, one panel per world, one line per policy; a drifting world gets a second panel of the
share over each 1 % of the rounds (how soon a policy follows a change)."""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from plotting import pyplot  # noqa: E402

STYLE = {"offerloop": dict(color="tab:blue", linewidth=2.2), "offerloop-egreedy": dict(color="tab:cyan", linewidth=1.6),
         "vw-egreedy": dict(color="tab:grey", linestyle="--")}


def plot(result, path):
    plt = pyplot()
    panels = [(name, "cumulative") for name in result["worlds"]]
    panels += [(name, "recent") for name, entry in result["worlds"].items() if entry["changes"]]
    columns = min(len(panels), 2)
    rows = math.ceil(len(panels) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(6.5 * columns, 4.6 * rows), squeeze=False)
    for axis in axes.flat[len(panels):]:
        axis.set_visible(False)
    squarecb_colors = ["tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink"]
    for axis, (name, kind) in zip(axes.flat, panels):
        entry = result["worlds"][name]
        for policy, summary in entry["policies"].items():
            if not summary["runs"]:
                continue
            curve = summary["mean_curve"]
            squarecb = sorted((p for p in entry["policies"] if p.startswith("vw-squarecb-")), key=lambda p: float(p.rsplit("-", 1)[1]))
            best = policy == entry.get("best_squarecb")
            style = STYLE.get(policy) or dict(color=squarecb_colors[squarecb.index(policy) % len(squarecb_colors)],
                                              linewidth=1.8 if best else 1.0, alpha=1 if best else 0.6)
            label = policy + (" (best SquareCB)" if best else "")
            axis.plot([p[0] for p in curve], [p[1 if kind == "cumulative" else 2] for p in curve], label=label, **style)
        for change in entry["changes"]:
            axis.axvline(change, color="red", linewidth=0.8, linestyle=":")
        axis.set_title(f"{name}: " + ("cumulative" if kind == "cumulative" else "over each 1 % of the rounds"), fontsize=10)
        axis.set_xlabel("round")
        axis.set_ylabel("expected reward / oracle's")
        axis.set_ylim(0, 1)
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=7, loc="lower right")
    figure.suptitle(f"Learning bench, {result['rounds']:,} rounds, mean over seeds {result['seeds']} ({result['date']})", fontsize=11)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    print(f"plot: {path}", file=sys.stderr)
