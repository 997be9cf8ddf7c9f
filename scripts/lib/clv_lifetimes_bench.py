"""The yardstick half of scripts/bench-clv: times lifetimes 0.11.3's BG/NBD + Gamma-Gamma fits on a
transactions CSV (summaries made first, not timed, as `offerloop clv fit` reports only its fits).
    python clv_lifetimes_bench.py TRANSACTIONS.csv CALIBRATION_END RUNS > result.json"""
import json, sys, time, warnings
import numpy as np
import pandas as pd
import lifetimes_reference as ref

warnings.simplefilter("ignore")
path, end, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
print(f"lifetimes: reading {path}…", file=sys.stderr)
t = ref.read_transactions(path)
t = t[t["date"] <= end]
if len(t) > 2_000_000:
    # lifetimes' own summariser needs minutes at this size; the same figures by a pandas groupby.
    days = (t["date"] - pd.Timestamp("1970-01-01")).dt.days
    per_day = t.assign(day=days).groupby(["customer_id", "day"], sort=False)["amount"].sum().reset_index()
    g = per_day.groupby("customer_id")
    first, last, count, total = g["day"].min(), g["day"].max(), g["day"].count(), g["amount"].sum()
    first_amount = per_day.merge(first.rename("first").reset_index(), on="customer_id").query("day == first").groupby("customer_id")["amount"].sum()
    end_day = (pd.Timestamp(end) - pd.Timestamp("1970-01-01")).days
    s = pd.DataFrame({"frequency": count - 1, "recency": (last - first) / 7, "T": (end_day - first) / 7,
                      "monetary_value": np.where(count > 1, (total - first_amount) / np.maximum(count - 1, 1), 0)})
else:
    s = ref.summaries(t, end)
print(f"lifetimes: {len(s)} customers; fitting {runs}×…", file=sys.stderr)
seconds, bg, gg = [], None, None
for run in range(runs):
    started = time.perf_counter()
    bg, gg = ref.fit_bgnbd(s), ref.fit_gamma_gamma(s)
    seconds.append(time.perf_counter() - started)
    print(f"lifetimes: run {run + 1}: {seconds[-1]:.3f} s", file=sys.stderr)
json.dump({"customers": int(len(s)), "seconds": seconds,
           "bgnbd": ref.estimates(bg, ["r", "alpha", "a", "b"]), "gamma_gamma": ref.estimates(gg, ["p", "q", "gamma"])}, sys.stdout, indent=1)
