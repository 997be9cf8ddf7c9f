"""The summary of scripts/bench-clv: fit times against lifetimes', imports, the refit end to end and
the profile's view latency without and during a refit; printed, saved as JSON and plotted (PNG).
    python clv_bench_report.py OUT_DIR CUSTOMERS SEED STAMP POSTGRES(0|1)"""
import json, os, statistics, sys
from plotting import pyplot

out, customers, seed, stamp, postgres = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5] == "1"
load = lambda name: json.load(open(os.path.join(out, name)))
runs = sorted(f for f in os.listdir(out) if f.startswith("ours-cdnow-"))
ours_cdnow = [load(f) for f in runs]
ours_bank = [load(f) for f in sorted(f for f in os.listdir(out) if f.startswith("ours-bank-"))]
theirs_cdnow, theirs_bank = load("lifetimes-cdnow.json"), load("lifetimes-bank.json")
bank = json.load(open([os.path.join(out, f) for f in os.listdir(out) if f.startswith(f"bank-{customers}-{seed}") and f.endswith(".csv.json")][0]))

summary = {"stamp": stamp, "customers": customers, "transactions": bank["transactions"], "fits": {}, "stores": {}}
print(f"\n== fits (BG/NBD + Gamma-Gamma, seconds; ours: `offerloop clv fit` seconds, its fits alone) ==")
for label, ours, theirs in [("CDNOW master", ours_cdnow, theirs_cdnow), (f"{customers:,} generated", ours_bank, theirs_bank)]:
    o, t = [r["seconds"] for r in ours], theirs["seconds"]
    ll = ours[0]["log_likelihood"]
    worst = max(abs(p["value"] - theirs[m][p["name"]]["value"]) / theirs[m][p["name"]]["value"]
                for p in ours[0]["parameters"] for m in ["bgnbd", "gamma_gamma"] if p["name"] in theirs[m])
    summary["fits"][label] = {"customers": ours[0]["customers"], "groups": ours[0]["groups"], "ours_seconds": o, "lifetimes_seconds": t,
                              "ratio_median": statistics.median(o) / statistics.median(t), "log_likelihood": ll,
                              "largest_parameter_difference": worst, "method": ours[0]["method"], "spend_method": ours[0]["spend_method"]}
    print(f"{label:22} {ours[0]['customers']:>9} customers ({ours[0]['groups']} distinct histories): ours median {statistics.median(o):.4f} s "
          f"(min {min(o):.4f}), lifetimes median {statistics.median(t):.3f} s (min {min(t):.3f}) -> ours/lifetimes {statistics.median(o) / statistics.median(t):.4f}; "
          f"largest parameter difference {worst:.2e} relative")
for name in ["sqlite"] + (["postgres"] if postgres else []):
    imports = {k: load(f"import-{name}-{k}.json") for k in ["transactions", "identities"]}
    quiet, refit = load(f"views-{name}-quiet.json"), load(f"views-{name}-refit.json")
    seconds = float(open(os.path.join(out, f"refit-{name}-seconds.txt")).read())
    # The profile's log line: how long the store's summaries took and the fit after them.
    logged = dict(kv.split("=", 1) for kv in open(os.path.join(out, f"refit-{name}-log.txt")).read().split() if "=" in kv)
    summary["stores"][name] = {"import": {k: {"records": v["records"], "seconds": v["seconds"]} for k, v in imports.items()},
                               "refit_seconds": seconds, "summaries_seconds": float(logged.get("summaries_seconds", "nan")),
                               "fit_and_store_seconds": float(logged.get("fit_seconds", "nan")), "views_quiet": {k: quiet[k]["micros"] for k in ["hot", "random", "broker"]},
                               "views_during_refit": {k: refit[k]["micros"] for k in ["hot", "random", "broker"]}}
    print(f"\n== {name} ==")
    for k, v in imports.items():
        print(f"import {k:13} {v['records']:>10} records in {v['seconds']:7.1f} s = {v['records'] / v['seconds']:>9.0f}/s")
    print(f"refit through the profile service, end to end: {seconds:.2f} s (the store's summaries "
          f"{float(logged.get('summaries_seconds', 'nan')):.2f} s, fit, tiers and store {float(logged.get('fit_seconds', 'nan')):.2f} s, "
          f"then up to 2 s revaluing customers)")
    build = os.path.join(out, f"refit-{name}-build-seconds.txt")
    if os.path.exists(build):  # the first refit after rows were loaded around the service
        summary["stores"][name]["first_refit_building_summaries_seconds"] = float(open(build).read())
        print(f"first refit, building the value summaries: {float(open(build).read()):.2f} s")
    print(f"{'view µs':34}{'p50':>9}{'p90':>9}{'p99':>9}{'p99.9':>9}")
    for label, r in [("without a refit", quiet), ("during the refit", refit)]:
        for k in ["hot", "random"]:
            m = r[k]["micros"]
            print(f"{k + ', ' + label:34}" + "".join(f"{m[p]:9.1f}" for p in ["p50", "p90", "p99", "p99.9"]))
json.dump(summary, open(os.path.join(out, f"summary-{stamp}.json"), "w"), indent=1)

plt = pyplot()
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
labels = list(summary["fits"])
x = range(len(labels))
left.bar([i - 0.2 for i in x], [statistics.median(summary["fits"][l]["ours_seconds"]) for l in labels], 0.4, label="offerloop clv fit")
left.bar([i + 0.2 for i in x], [statistics.median(summary["fits"][l]["lifetimes_seconds"]) for l in labels], 0.4, label="lifetimes 0.11.3")
left.set_yscale("log"); left.set_xticks(list(x)); left.set_xticklabels(labels); left.set_ylabel("fit time, s (median, log scale)")
left.set_title("BG/NBD + Gamma-Gamma fit"); left.legend()
stores = list(summary["stores"])
for j, (phase, key) in enumerate([("without a refit", "views_quiet"), ("during the refit", "views_during_refit")]):
    right.bar([i + (j - 0.5) * 0.4 for i in range(len(stores))], [summary["stores"][s][key]["random"]["p99"] / 1000 for s in stores], 0.4, label=phase)
right.set_xticks(range(len(stores))); right.set_xticklabels([f"{s}\nrefit {summary['stores'][s]['refit_seconds']:.1f} s" for s in stores])
right.set_ylabel("profile view p99, ms (random customer)"); right.set_title(f"Profile views, {customers:,} customers"); right.legend()
fig.suptitle(f"scripts/bench-clv, {stamp}"); fig.tight_layout()
fig.savefig(os.path.join(out, f"clv-{stamp}.png"), dpi=110)
print(f"\nsummary: {out}/summary-{stamp}.json, plot: {out}/clv-{stamp}.png")
