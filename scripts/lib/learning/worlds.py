"""The learning bench's simulated worlds, generated from worlds.json: customers with attributes a bank
would load, the true acceptance probability of every offer in every context, and seeded rounds.

    python3 scripts/lib/learning/worlds.py describe [WORLD...]   # oracle, best single offer, who is best where
"""
import itertools
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
WORLDS_FILE = os.path.join(HERE, "worlds.json")


def load_config():
    with open(WORLDS_FILE) as file:
        return json.load(file)


class World:
    """One world: its customers, its feature space (every combination of channel, attributes and
    context a round can have: a "cell"), the true probabilities per phase × cell × offer, and rounds."""

    def __init__(self, name, config=None, rounds=None):
        config = config or load_config()
        if name not in config["worlds"]:
            raise SystemExit(f"unknown world '{name}' (worlds: {', '.join(config['worlds'])})")
        self.name = name
        self.spec = config["worlds"][name]
        self.bands = config["churn_bands"]
        self.nominal_rounds = config["nominal_rounds"]
        spec = self.spec
        random = np.random.default_rng(spec["world_seed"])
        self.offers = [f"offer_{k:02d}" for k in range(spec["offers"])]

        # Features: the channel, each categorical attribute, the churn band, the context ("none" on a
        # channel without one). Their values, in a fixed order.
        self.channels = list(spec["channels"])
        self.categorical = [a for a, s in spec["attributes"].items() if s["kind"] == "categorical"]
        self.numeric = [a for a, s in spec["attributes"].items() if s["kind"] == "numeric"]
        contexts = ["none"] + [f"{key}={value}" for by in spec["context"].values() for key, values in by.items() for value in values]
        self.values = {"channel": self.channels}
        for attribute in self.categorical:
            self.values[attribute] = list(spec["attributes"][attribute]["values"])
        self.values["churn_band"] = list(self.bands["names"])
        self.values["context"] = contexts
        self.fields = list(self.values)

        # Customers: the pool, its attributes, and how often each comes (Zipf–Mandelbrot over a
        # shuffled order, so popularity is independent of the attributes).
        n = spec["customers"]
        self.customer_ids = [f"c{k:06d}" for k in range(1, n + 1)]
        self.attribute_index = {}
        for attribute in self.categorical:
            shares = np.array(list(spec["attributes"][attribute]["values"].values()), dtype=float)
            self.attribute_index[attribute] = random.choice(len(shares), size=n, p=shares / shares.sum())
        self.churn_score = np.round(random.beta(*spec["attributes"]["churn_score"]["beta"], size=n), 3)
        self.attribute_index["churn_band"] = np.searchsorted(self.bands["thresholds"], self.churn_score, side="right")
        traffic = spec["traffic"]
        weight = np.empty(n)
        weight[random.permutation(n)] = 1.0 / (np.arange(1, n + 1) + traffic["zipf_offset"]) ** traffic["zipf_s"]
        self.customer_weight = weight / weight.sum()

        # The truth: a base per offer, main effects of each feature value, cross effects of pairs.
        truth = spec["truth"]
        offers = len(self.offers)
        self.base = random.normal(truth["base_logit"]["mean"], truth["base_logit"]["sd"], size=offers)
        self.main = {}
        for field in self.fields:
            for value in self.values[field]:
                effect = random.normal(0, truth["main"]["sd"], size=offers) * (random.random(offers) < truth["main"]["density"])
                self.main[(field, value)] = effect
        self.cross = {}
        for first, second in truth["crosses"]:
            for a, b in itertools.product(self.values[first], self.values[second]):
                effect = random.normal(0, truth["cross"]["sd"], size=offers) * (random.random(offers) < truth["cross"]["density"])
                self.cross[(first, a, second, b)] = effect

        # Cells: every combination a round can have, with its expected share of traffic.
        self.cells = []
        cell_weight = []
        churn_weight = np.bincount(self.attribute_index["churn_band"], weights=self.customer_weight, minlength=len(self.values["churn_band"]))
        for channel, share in spec["channels"].items():
            context_shares = {"none": 1.0}
            if channel in spec["context"]:
                context_shares = {f"{key}={value}": s for key, values in spec["context"][channel].items() for value, s in values.items()}
            for combination in itertools.product(*(range(len(self.values[a])) for a in self.categorical + ["churn_band"])):
                customers = np.ones(n, dtype=bool)
                for attribute, index in zip(self.categorical + ["churn_band"], combination):
                    customers &= self.attribute_index[attribute] == index
                mass = self.customer_weight[customers].sum()
                for context, context_share in context_shares.items():
                    cell = {"channel": channel, "context": context}
                    cell.update({a: self.values[a][i] for a, i in zip(self.categorical + ["churn_band"], combination)})
                    self.cells.append(cell)
                    cell_weight.append(share * mass * context_share)
        self.cell_weight = np.array(cell_weight)
        self.cell_of = {self.cell_key(cell): k for k, cell in enumerate(self.cells)}

        # Phases: the truth before the first change, after it, …; change rounds scaled to the run.
        self.rounds = rounds or self.nominal_rounds
        scale = self.rounds / self.nominal_rounds
        logits = np.array([self.logits(cell, self.base) for cell in self.cells])
        base = self.base.copy()
        self.phases = [sigmoid(logits)]
        self.change_rounds = []
        for change in spec.get("changes", []):
            probabilities = self.phases[-1]
            best = np.bincount(probabilities.argmax(axis=1), weights=self.cell_weight, minlength=offers)
            demoted = int(best.argmax())
            mean = self.cell_weight @ probabilities / self.cell_weight.sum()
            ranked = [o for o in np.argsort(-mean) if o != demoted]
            promoted = int(ranked[change["promote_rank"] - 1])
            shift = np.zeros(offers)
            shift[demoted] -= change["demote_most_often_best_by"]
            shift[promoted] += change["promote_by"]
            base = base + shift
            logits = logits + shift
            self.phases.append(sigmoid(logits))
            self.change_rounds.append(int(round(change["round"] * scale)))
        self.phases = np.array(self.phases)

    @staticmethod
    def cell_key(cell):
        return tuple(sorted(cell.items()))

    def logits(self, cell, base):
        total = base.copy()
        for field in self.fields:
            total += self.main[(field, cell[field])]
        for first, second in self.spec["truth"]["crosses"]:
            total += self.cross[(first, cell[first], second, cell[second])]
        return total

    def phase_at(self, round_index):
        return int(np.searchsorted(self.change_rounds, round_index, side="right"))

    def generate(self, seed, rounds=None):
        """The rounds of one seed: customer, cell, the uniform draw that decides the response
        (accepted when below the shown offer's true probability: the same response for the same
        choice whatever the policy), and per round the true probabilities of every offer."""
        rounds = rounds or self.rounds
        random = np.random.default_rng([self.spec["world_seed"], seed])
        customers = random.choice(len(self.customer_ids), size=rounds, p=self.customer_weight)
        channel_names = list(self.spec["channels"])
        channel_shares = np.array(list(self.spec["channels"].values()))
        channels = random.choice(len(channel_names), size=rounds, p=channel_shares / channel_shares.sum())
        draws = random.random(rounds)
        context_draws = random.random(rounds)
        cells = np.empty(rounds, dtype=np.int64)
        for t in range(rounds):
            channel = channel_names[channels[t]]
            customer = customers[t]
            context = "none"
            if channel in self.spec["context"]:
                (key, values), = self.spec["context"][channel].items()
                names, shares = list(values), np.cumsum(list(values.values()))
                context = f"{key}={names[min(int(np.searchsorted(shares / shares[-1], context_draws[t], side='right')), len(names) - 1)]}"
            cell = {"channel": channel, "context": context}
            for attribute in self.categorical + ["churn_band"]:
                cell[attribute] = self.values[attribute][self.attribute_index[attribute][customer]]
            cells[t] = self.cell_of[self.cell_key(cell)]
        phase = np.searchsorted(self.change_rounds, np.arange(rounds), side="right")
        return Rounds(self, customers, cells, draws, phase)

    def customers_csv(self, path):
        """customer_id plus one column per attribute, as `offerloop import customers` reads it."""
        with open(path, "w") as file:
            file.write(",".join(["customer_id"] + self.categorical + self.numeric) + "\n")
            for k, customer in enumerate(self.customer_ids):
                row = [customer] + [self.values[a][self.attribute_index[a][k]] for a in self.categorical]
                row += [f"{self.churn_score[k]:.3f}"]
                file.write(",".join(row) + "\n")

    def identities_csv(self, path):
        with open(path, "w") as file:
            file.write("customer_id,kind,value\n")
            for customer in self.customer_ids:
                file.write(f"{customer},login,{customer}\n")

    def describe(self):
        lines = [f"{self.name}: {self.spec['description']}",
                 f"  {len(self.offers)} offers, {len(self.customer_ids)} customers, {len(self.cells)} cells"]
        weight = self.cell_weight / self.cell_weight.sum()
        for k, probabilities in enumerate(self.phases):
            oracle = weight @ probabilities.max(axis=1)
            mean = weight @ probabilities
            best = np.bincount(probabilities.argmax(axis=1), weights=weight, minlength=len(self.offers))
            start = 0 if k == 0 else self.change_rounds[k - 1]
            lines.append(f"  phase {k} (from round {start:,}): mean acceptance {mean.mean():.4f}, oracle {oracle:.4f}, "
                         f"best single offer {mean.max():.4f} ({self.offers[int(mean.argmax())]}, {mean.max() / oracle:.3f} of the oracle), "
                         f"uniform {mean.mean() / oracle:.3f} of the oracle")
            shares = ", ".join(f"{self.offers[o]} {best[o]:.2f}" for o in np.argsort(-best) if best[o] > 0.005)
            lines.append(f"    traffic share where each offer is best: {shares}")
        return "\n".join(lines)


class Rounds:
    """A seed's rounds: per round the customer, the cell, the response draw and the truth."""

    def __init__(self, world, customers, cells, draws, phase):
        self.world, self.customers, self.cells, self.draws, self.phase = world, customers, cells, draws, phase
        self.count = len(cells)

    def probabilities(self, t):
        return self.world.phases[self.phase[t], self.cells[t]]

    def oracle(self):
        """The best true probability of every round."""
        return self.world.phases[self.phase, self.cells].max(axis=1)

    def chosen(self, choices):
        """The true probability of the offer each round showed."""
        return self.world.phases[self.phase, self.cells, choices]


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] != "describe":
        sys.exit(__doc__)
    for name in sys.argv[2:] or list(load_config()["worlds"]):
        print(World(name).describe())
