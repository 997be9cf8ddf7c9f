"""The learning bench (issue 20): OfferLoop through the real cluster, Vowpal Wabbit's SquareCB and
ε-greedy in process, on the same rounds of each world and seed; cumulative expected reward ÷ the
oracle's; JSON, a table and learning curves (PNG). Run by scripts/bench-learning, which says how."""
import argparse
import datetime
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import measure  # noqa: E402
from baselines import run_vw  # noqa: E402
from cluster_play import Cluster, catalog_text, play, prepared_profile  # noqa: E402
from features import DEFAULT_CROSSES, crosses_of  # noqa: E402
from worlds import World, load_config  # noqa: E402

OFFERLOOP_POLICIES = ("offerloop", "offerloop-egreedy")
DEFAULT_POLICIES = "offerloop,vw-squarecb-10,vw-squarecb-100,vw-squarecb-1000,vw-egreedy"


def arguments():
    parser = argparse.ArgumentParser(prog="scripts/bench-learning", description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", default=",".join(load_config()["worlds"]), help="comma-separated (default: all)")
    parser.add_argument("--seeds", default="1,2,3,4,5", help="N: seeds 1 to N; a list (4,7 or 7,): those seeds")
    parser.add_argument("--rounds", type=int, default=load_config()["nominal_rounds"],
                        help="rounds per world and seed; a drifting world's change rounds scale with it")
    parser.add_argument("--policies", default=DEFAULT_POLICIES,
                        help="offerloop (the catalog template as it is), offerloop-egreedy (its exploration section "
                             "replaced by ε-greedy, ε = 0.1), vw-squarecb-G (any gamma_scale G), vw-egreedy")
    parser.add_argument("--window", type=int, default=64, help="rounds in flight through the cluster (distinct customers)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="processes running the baselines beside the cluster; 0: after it, in this process (clean rounds/s)")
    parser.add_argument("--crosses", default=DEFAULT_CROSSES, help="crosses of shared features, FEATURE*FEATURE,… "
                        "(VW: each crossed with the action; OfferLoop: its catalog's features section, or with "
                        "--context-crosses sent as context)")
    parser.add_argument("--context-crosses", action="store_true",
                        help="also send the crosses as request context (for an OfferLoop that does not cross them itself)")
    parser.add_argument("--attributes-as-context", action="store_true",
                        help="also send the customer's attributes as request context (for an OfferLoop that does not "
                             "read them from the profile)")
    parser.add_argument("--forgetting-window", type=int, default=0, help="the scoring model's (OFFERLOOP_FORGETTING_WINDOW; 0: off)")
    parser.add_argument("--bin", required=True, help="the release binaries' directory")
    parser.add_argument("--port", type=int, default=5705, help="the bench cluster's broker frontend; backend +1, streams +2 and +3, metrics +4000")
    parser.add_argument("--out", default=os.path.join(HERE, "..", "..", "..", ".run", "learning"), help="results directory")
    parser.add_argument("--plot", help="the learning curves (PNG); default: beside the JSON")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    args.seeds = list(range(1, seeds[0] + 1)) if "," not in args.seeds else seeds
    args.worlds = [w.strip() for w in args.worlds.split(",") if w.strip()]
    args.policies = [p.strip() for p in args.policies.split(",") if p.strip()]
    for policy in args.policies:
        if policy not in OFFERLOOP_POLICIES and policy != "vw-egreedy" and not policy.startswith("vw-squarecb-"):
            parser.error(f"unknown policy '{policy}'")
    args.out = os.path.abspath(args.out)
    args.bin = os.path.abspath(args.bin)
    return args


class Progress:
    """A line every 5 s: round, rounds/s (from the first round done), share of the oracle so far."""

    def __init__(self, label, rounds, oracle):
        self.label, self.rounds, self.oracle = label, rounds, oracle
        self.started = None

    def __call__(self, done, choices):
        now = time.monotonic()
        if self.started is None:
            self.started = self.last = now
        if now - self.last < 5 and done < self.rounds.count:
            return
        self.last = now
        shown = np.array(choices[:done])
        truth = self.rounds.world.phases[self.rounds.phase[:done], self.rounds.cells[:done], np.maximum(shown, 0)]
        chosen = np.where(shown >= 0, truth, 0.0)  # rounds still in flight count as nothing shown yet
        share = chosen.sum() / self.oracle[:done].sum()
        print(f"{self.label}: round {done:,}/{self.rounds.count:,}, {done / max(now - self.started, 1e-3):,.0f} rounds/s, "
              f"share so far {share:.3f}", file=sys.stderr, flush=True)


def vw_job(name, count, seed, policy, crosses):
    """A baseline's run of one world and seed, in a process of its own (--jobs)."""
    world = World(name, rounds=count)
    rounds = world.generate(seed)
    return run_vw(policy, world, rounds, seed, crosses, Progress(f"{name} seed {seed} {policy}", rounds, rounds.oracle()))


def main():
    args = arguments()
    os.makedirs(args.out, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    result = {"date": stamp, "command": " ".join(["scripts/bench-learning"] + sys.argv[1:]), "rounds": args.rounds,
              "seeds": args.seeds, "policies": args.policies, "window": args.window, "jobs": args.jobs, "crosses": args.crosses,
              "context_crosses": args.context_crosses, "attributes_as_context": args.attributes_as_context,
              "forgetting_window": args.forgetting_window, "worlds": {}}
    path = os.path.join(args.out, f"learning-{stamp}.json")
    pool = ProcessPoolExecutor(args.jobs) if args.jobs > 0 else None
    for name in args.worlds:
        world = World(name, rounds=args.rounds)
        context_options = {"pairs": crosses_of(world, args.crosses), "attributes": args.attributes_as_context,
                           "crosses": args.context_crosses}
        entry = result["worlds"][name] = {"description": world.spec["description"], "changes": world.change_rounds,
                                          "policies": {policy: {"runs": []} for policy in args.policies}}
        for seed in args.seeds:
            rounds = world.generate(seed)
            oracle = rounds.oracle()
            baselines = [p for p in args.policies if p not in OFFERLOOP_POLICIES]
            # The baselines run beside the cluster (--jobs processes), or after it in this one.
            jobs = {p: pool.submit(vw_job, name, args.rounds, seed, p, args.crosses) for p in baselines} if pool else {}
            for policy in [p for p in args.policies if p in OFFERLOOP_POLICIES] + baselines:
                label = f"{name} seed {seed} {policy}"
                if policy in OFFERLOOP_POLICIES:
                    cluster = Cluster(args.bin, os.path.join(args.out, "cluster"), args.port, args.forgetting_window)
                    try:
                        cluster.start(catalog_text(world, policy == "offerloop-egreedy"), prepared_profile(world, args.bin, args.out))
                        choices, stats = play(world, rounds, cluster.frontend, args.window, context_options,
                                              Progress(label, rounds, oracle))
                    finally:
                        cluster.stop()
                else:
                    choices, rate = jobs[policy].result() if pool else \
                        run_vw(policy, world, rounds, seed, args.crosses, Progress(label, rounds, oracle))
                    stats = {"rounds_per_second": rate}
                shown = np.array(choices)
                chosen = np.where(shown >= 0, rounds.chosen(np.maximum(shown, 0)), 0.0)
                run = {"seed": seed, "curve": measure.curve(chosen, oracle), "rounds_without_offer": int((shown < 0).sum()), **stats}
                if world.change_rounds:
                    run["drift"] = measure.drift(chosen, oracle, world.change_rounds, args.rounds / world.nominal_rounds)
                entry["policies"][policy]["runs"].append(run)
                print(f"{label}: {run['curve'][-1][1]:.3f} of the oracle after {args.rounds:,} rounds, "
                      f"{stats['rounds_per_second']:,.0f} rounds/s", file=sys.stderr, flush=True)
                summarise(result)
                with open(path, "w") as file:
                    json.dump(result, file, indent=1)
    print(table(result))
    print(f"results: {path}", file=sys.stderr)
    from plot import plot
    plot(result, args.plot or path.replace(".json", ".png"))


def summarise(result):
    """Per world and policy the mean over seeds at the reported rounds, and the best SquareCB."""
    for entry in result["worlds"].values():
        for summary in entry["policies"].values():
            runs = summary["runs"]
            if not runs:
                continue
            summary["mean_at"] = {str(r): float(np.mean([measure.share_at(run["curve"], r) for run in runs]))
                                  for r in measure.report_rounds(result["rounds"])}
            summary["mean_curve"] = [[point[0], float(np.mean([run["curve"][k][1] for run in runs])),
                                      float(np.mean([run["curve"][k][2] for run in runs]))] for k, point in enumerate(runs[0]["curve"])]
            summary["rounds_per_second"] = float(np.mean([run["rounds_per_second"] for run in runs]))
        squarecb = [p for p, s in entry["policies"].items() if p.startswith("vw-squarecb-") and s["runs"]]
        if squarecb:
            entry["best_squarecb"] = max(squarecb, key=lambda p: entry["policies"][p]["mean_at"][str(result["rounds"])])


def table(result):
    shown = measure.report_rounds(result["rounds"])
    lines = [f"{'world':13} {'policy':20}" + "".join(f"{f'{r:,}':>10}" for r in shown) + f"{'rounds/s':>10}  (mean share of the oracle over seeds {result['seeds']})"]
    for name, entry in result["worlds"].items():
        for policy, summary in entry["policies"].items():
            if not summary["runs"]:
                continue
            best = " (best SquareCB)" if entry.get("best_squarecb") == policy else ""
            runs = summary["runs"]
            trouble = f"; degraded {sum(r['degraded'] for r in runs):,}, without an offer {sum(r['rounds_without_offer'] for r in runs):,}, " \
                f"outcomes not stored {sum(r['outcomes_lost'] for r in runs):,}, " \
                f"requests refused or timed out (then sent again) {sum(sum(r['errors'].values()) for r in runs):,}" \
                if "degraded" in runs[0] else ""
            lines.append(f"{name:13} {policy:20}" + "".join(f"{summary['mean_at'][str(r)]:10.3f}" for r in shown)
                         + f"{summary['rounds_per_second']:10,.0f}{best}{trouble}")
            for k, change in enumerate(np.array([run.get("drift", []) for run in summary["runs"]], dtype=object).T if entry["changes"] else []):
                at_lag = [c["share_at_lag"] for c in change if c["share_at_lag"] is not None]
                recovered = [c["rounds_to_0_95"] for c in change]
                lines.append(f"{'':13}   change {k + 1} at round {change[0]['change']:,}: share of the new oracle over {change[0]['window']:,} rounds "
                             f"ending {change[0]['lag']:,} after: " + (f"{np.mean(at_lag):.3f}" if at_lag else "n/a")
                             + "; rounds to a window ≥ 0.95: " + ", ".join("never" if r is None else f"{r:,}" for r in recovered))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
