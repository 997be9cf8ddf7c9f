"""What the benches and the fixture script ask of `lifetimes` 0.11.3: the CDNOW data it ships,
summaries as ours are computed (whole days, in weeks: freq="D", freq_multiplier=7) and fits."""
import os

import lifetimes
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

DATASETS = os.path.join(os.path.dirname(lifetimes.__file__), "datasets")


def cdnow_master():
    """The 23,570-customer CDNOW master set: customer_id, date, quantity, amount."""
    t = pd.read_csv(os.path.join(DATASETS, "CDNOW_master.txt"), sep=r"\s+", skiprows=1, header=None,
                    names=["customer_id", "date", "quantity", "amount"], dtype={"date": str})
    t["date"] = pd.to_datetime(t["date"], format="%Y%m%d")
    return t


def read_transactions(path):
    t = pd.read_csv(path, dtype={"customer_id": str})
    t["date"] = pd.to_datetime(t["date"], format="%Y-%m-%d")
    return t


def summaries(transactions, end):
    return summary_data_from_transaction_data(transactions, "customer_id", "date", monetary_value_col="amount",
                                              observation_period_end=end, freq="D", freq_multiplier=7)


def fit_bgnbd(s):
    return BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])


def fit_gamma_gamma(s):
    repeat = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]  # as SpendGroups: no mean spend of 0
    return GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])


def estimates(fitter, names):
    """{our name: {value, standard_error, lower95, upper95}} from the fitter's summary."""
    table = fitter.summary
    return {ours: {"value": float(row["coef"]), "standard_error": float(row["se(coef)"]),
                   "lower95": float(row["lower 95% bound"]), "upper95": float(row["upper 95% bound"])}
            for ours, (_, row) in zip(names, table.iterrows())}
