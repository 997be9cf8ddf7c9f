"""Seeded bank-scale purchase histories for scripts/bench-clv, by the models themselves: each
customer's first purchase falls on a day of the two years; while alive they buy at a Poisson
rate λ ~ Gamma(r, α) per week and after each purchase drop out with probability p ~ Beta(a, b);
amounts are Gamma(p_s, ν), ν ~ Gamma(q, γ) (Gamma-Gamma). Dates are whole days.
and a login u<id+1> per customer for the view lookups of offerloop-loadtest profile.
    python3 clv_generate.py TRANSACTIONS.csv IDENTITIES.csv --customers N --seed S [--days 730]"""
import argparse, datetime, sys
import numpy as np

# Chosen so a million customers make about ten million transactions over two years.
R, ALPHA, A, B = 1.2, 4.18, 0.6, 9.0
P, Q, GAMMA = 6.0, 3.8, 15.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("identities")
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--start", default="2024-12-07")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    n, days = args.customers, args.days
    rate = rng.gamma(R, 1 / ALPHA, n) / 7            # per day
    drop = rng.beta(A, B, n)
    nu = rng.gamma(Q, 1 / GAMMA, n)
    t = rng.integers(0, days, n).astype(float)       # first purchase
    customers, times = [np.arange(n)], [t.copy()]
    active = np.arange(n)
    now = t
    round_ = 0
    while active.size:
        # A purchase, then dropout with probability p; the next one after an exponential gap.
        alive = rng.random(active.size) >= drop[active]
        active, now = active[alive], now[alive]
        now = now + rng.exponential(1 / rate[active])
        keep = now < days
        active, now = active[keep], now[keep]
        customers.append(active)
        times.append(now.copy())
        round_ += 1
        if round_ % 20 == 0:
            print(f"  generating: round {round_}, {active.size} customers still buying", file=sys.stderr)
    ids = np.concatenate(customers)
    day = np.floor(np.concatenate(times)).astype(int)
    amount = rng.gamma(P, 1 / nu[ids])
    order = np.lexsort((day, ids))
    ids, day, amount = ids[order], day[order], amount[order]
    start = datetime.date.fromisoformat(args.start).toordinal()
    labels = np.array([datetime.date.fromordinal(start + d).isoformat() for d in range(days)])
    total = ids.size
    print(f"writing {total} transactions of {n} customers to {args.out}", file=sys.stderr)
    with open(args.out, "w") as out:
        out.write("customer_id,date,quantity,amount\n")
        step = 1_000_000
        for i in range(0, total, step):
            j = min(total, i + step)
            lines = np.char.add(np.char.add(np.char.add(ids[i:j].astype(str), ","), labels[day[i:j]]), ",1,")
            lines = np.char.add(lines, np.char.mod("%.2f", amount[i:j]))
            out.write("\n".join(lines.tolist()) + "\n")
            print(f"  written {j:,} of {total:,}", file=sys.stderr)
    with open(args.identities, "w") as out:
        out.write("customer_id,kind,value\n")
        ids = np.arange(n)
        out.write("\n".join(np.char.add(np.char.add(ids.astype(str), ",login,u"), (ids + 1).astype(str)).tolist()) + "\n")
    last = datetime.date.fromordinal(start + days - 1).isoformat()
    print(f'{{"customers": {n}, "transactions": {total}, "first_day": "{args.start}", "last_day": "{last}"}}')


if __name__ == "__main__":
    main()
