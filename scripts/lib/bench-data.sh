# Shared by the benchmarks that need a realistic cluster: a 100-offer catalog (the sample's
# offers in ten variants) and N customers (login uK, 0–3 holdings, three transactions each).
# Source it, then:
#   offerloop_bench_data DIR N            writes DIR/catalog-100.yaml and DIR/{customers,identities,transactions,holdings}.csv
#   offerloop_bench_profile BIN STORE DIR imports them into the profile store and fits the value model

offerloop_bench_data() {
  local out="$1" customers="$2"
  mkdir -p "$out"
  [ -f "$out/catalog-100.yaml" ] && [ -f "$out/transactions.csv" ] && [ "$(($(wc -l <"$out/customers.csv") - 1))" = "$customers" ] && return 0
  echo "generating a 100-offer catalog and $customers customers…" >&2
  offerloop_bench_catalog "$out"
  python3 - "$out" "$customers" <<'PY'
import datetime, random, sys
out, n = sys.argv[1], int(sys.argv[2])
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

# DIR/catalog-100.yaml: the sample's offers in ten variants (id suffixes _0 … _9; the categories
# in five variants, retention kept as it is).
offerloop_bench_catalog() {
  python3 - "$1" <<'PY'
import re, sys
out = sys.argv[1]
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
PY
}

# N customers of issue 19's shape: 10 attributes (the standard typed ones), 3 identities (login,
# card, phone) and 3 holdings each; the catalog their contacts name.
offerloop_bench_replica_data() {
  local out="$1" customers="$2"
  mkdir -p "$out"
  [ -f "$out/catalog-100.yaml" ] && [ ! -f "$out/transactions.csv" ] && [ "$(($(wc -l <"$out/customers.csv") - 1))" = "$customers" ] && return 0
  rm -f "$out/transactions.csv"
  echo "generating a 100-offer catalog and $customers customers (10 attributes, 3 identities, 3 holdings each)…" >&2
  offerloop_bench_catalog "$out"
  python3 - "$out" "$customers" <<'PY'
import random, sys
out, n = sys.argv[1], int(sys.argv[2])
random.seed(1)
products = ["credit_card", "savings", "mortgage", "current_account", "personal_loan", "home_insurance"]
first = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tony"]
last = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Hoare"]
def card(k):  # 16 digits that pass the Luhn check
    digits = f"4{k:014d}"
    total = sum(d if i % 2 else (2 * d - 9 if 2 * d > 9 else 2 * d) for i, d in enumerate(int(c) for c in reversed(digits)))
    return digits + str((10 - total % 10) % 10)
with open(f"{out}/customers.csv", "w") as c, open(f"{out}/identities.csv", "w") as i, open(f"{out}/holdings.csv", "w") as h:
    c.write("customer_id,first_name,last_name,birth_date,gender,postcode,country,language,email,income,household_size\n")
    i.write("customer_id,kind,value\n"); h.write("customer_id,product,balance\n")
    for k in range(1, n + 1):
        f, l = random.choice(first), random.choice(last)
        c.write(f"{k},{f},{l},{random.randint(1940, 2005)}-{random.randint(1, 12):02d}-{random.randint(1, 28):02d},"
                f"{random.choice('FM')},SW{random.randint(1, 20)} {random.randint(1, 9)}AB,GB,en,{f.lower()}.{l.lower()}{k}@example.com,"
                f"{random.randint(12, 150) * 1000},{random.randint(1, 6)}\n")
        i.write(f"{k},login,u{k}\n{k},card,{card(k)}\n{k},phone,+4470{k:08d}\n")
        for p in random.sample(products, 3):
            h.write(f"{k},{p},{random.uniform(-5000, 20000):.2f}\n")
PY
}

# 40 contacts per customer 1…N straight into the store's events (there is no import kind for the
# contact history; the rows are what the profile writes for an outcome): 70 % shown, 20 % declined,
# 10 % accepted, of 8 offers per customer out of DIR/catalog-100.yaml's, on the four channels; a
# quarter in the last week (the caps' window), the rest over the 180 days the view keeps.
offerloop_bench_contacts() {
  local file="$1" customers="$2" data="$3"
  python3 - "$file" "$customers" "$data/catalog-100.yaml" <<'PY'
import random, re, sqlite3, sys, time
file, n, catalog = sys.argv[1], int(sys.argv[2]), open(sys.argv[3]).read()
offers = re.findall(r"  - id: (\S+)(?:.|\n)*?category: (\S+)", catalog)
channels = ["atm", "kiosk", "web", "call_center"]
kinds = ["offer_shown"] * 7 + ["offer_declined"] * 2 + ["offer_accepted"]
day, now = 86_400_000, int(time.time() * 1000)
random.seed(2)
db = sqlite3.connect(file)
db.execute("PRAGMA synchronous = OFF")
db.execute("PRAGMA cache_size = -1000000")  # 1 GB: the time index takes its rows in random order
started = time.time()
# The two indexes are dropped and made again after: sorting 40 N rows once is cheaper than
# inserting each into them (the time index takes them in random order).
indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'events' AND type = 'index' AND sql IS NOT NULL").fetchall()
for name, _ in indexes:
    db.execute(f"DROP INDEX {name}")
data = [f"category={category}\noffer_id={offer}" for offer, category in offers]
ages = [(0, 7 * day)] + [(7 * day, 180 * day)] * 3
def rows(first, last):
    for k in range(first, last):
        customer, seen = str(k), random.sample(data, 8)
        for offer, kind, channel, (low, high) in zip(random.choices(seen, k=40), random.choices(kinds, k=40),
                                                    random.choices(channels, k=40), random.choices(ages, k=40)):
            yield (customer, now - random.randrange(low, high), kind, channel, offer)
step = 50_000
for first in range(1, n + 1, step):
    with db:
        db.executemany("INSERT INTO events (customer_id, time_ms, type, channel, data, key) VALUES (?, ?, ?, ?, ?, NULL)",
                       rows(first, min(first + step, n + 1)))
    done = min(first + step - 1, n)
    print(f"\rcontacts: {done:,} of {n:,} customers ({done * 40 / (time.time() - started):,.0f} rows/s)", end="", file=sys.stderr)
print(file=sys.stderr)
with db:
    for _, sql in indexes:
        db.execute(sql)
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
