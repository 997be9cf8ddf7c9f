# Shared by the benchmarks that need a realistic cluster: a 100-offer catalog (the sample's
# offers in ten variants) and N customers (login uK, 0–3 holdings, three transactions each).
# Source it, then:
#   offerloop_bench_data DIR N            writes DIR/catalog-100.yaml and DIR/{customers,identities,transactions,holdings}.csv
#   offerloop_bench_profile BIN STORE DIR imports them into the profile store and fits the value model

offerloop_bench_data() {
  local out="$1" customers="$2"
  mkdir -p "$out"
  [ -f "$out/catalog-100.yaml" ] && [ "$(($(wc -l <"$out/customers.csv") - 1))" = "$customers" ] && return 0
  echo "generating a 100-offer catalog and $customers customers…" >&2
  python3 - "$out" "$customers" <<'PY'
import datetime, random, re, sys
out, n = sys.argv[1], int(sys.argv[2])
sample = open("examples/catalog/retail-bank.yaml").read()
head, offers = sample.split("\noffers:\n", 1)
head = head.replace(": mobile_app\n", ": mobile_app_0\n")
blocks = re.split(r"\n(?=  - id: )", offers.strip("\n"))
with open(f"{out}/catalog-100.yaml", "w") as f:
    f.write(head + "\noffers:\n")
    for variant in range(10):
        for block in blocks:
            block = re.sub(r"(  - id: )(\S+)", lambda m: f"{m.group(1)}{m.group(2)}_{variant}", block, count=1)
            if "category: retention" not in block:
                block = re.sub(r"category: (\S+)", lambda m: f"category: {m.group(1)}_{variant % 5}", block, count=1)
            f.write(block + "\n")
random.seed(1)
start = datetime.date(2025, 1, 1).toordinal()
products = ["credit_card", "savings", "mortgage", "current_account", "personal_loan", "home_insurance"]
with open(f"{out}/customers.csv", "w") as c, open(f"{out}/identities.csv", "w") as i, \
     open(f"{out}/transactions.csv", "w") as t, open(f"{out}/holdings.csv", "w") as h:
    c.write("customer_id,first_name\n"); i.write("customer_id,kind,value\n")
    t.write("customer_id,date,quantity,amount\n"); h.write("customer_id,product,balance\n")
    for k in range(1, n + 1):
        c.write(f"{k},N{k}\n"); i.write(f"{k},login,u{k}\n")
        for _ in range(3):
            t.write(f"{k},{datetime.date.fromordinal(start + random.randrange(690)).isoformat()},1,{random.uniform(5, 400):.2f}\n")
        for p in random.sample(products, random.randint(0, 3)):
            h.write(f"{k},{p},{random.uniform(-5000, 20000):.2f}\n")
PY
}

offerloop_bench_profile() {
  local bin="$1" store="$2" data="$3"
  for kind in customers identities transactions holdings; do
    "$bin/offerloop" import "$kind" "$data/$kind.csv" --store "$store" >/dev/null
  done
  "$bin/offerloop" clv refit >/dev/null
  sleep 11  # every profile replica picks up the value model within 10 s
  offerloop_wait_revalued "$store"
}

# Waits until the profile has revalued every customer's replica state with today's value model
# (its revalue pass, after a refit, publishes them on the profile stream): a benchmark started
# earlier would measure that pass too.
offerloop_wait_revalued() {
  local store="$1"
  case "$store" in sqlite:*) ;; *) return 0 ;; esac
  python3 - "${store#sqlite:}" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30)
for waited in range(600):
    row = db.execute("SELECT value FROM settings WHERE name = 'profile_stream.revalue_cursor'").fetchone()
    if row and row[0].endswith(" done"):
        break
    if waited % 10 == 0:
        print(f"waiting for the profile to revalue its customers ({row[0] if row else 'not started'})", file=sys.stderr)
    time.sleep(1)
PY
}
