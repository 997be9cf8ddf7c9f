#!/usr/bin/env python3
"""The checks and the report of scripts/chaos, after its fault phases.

Reads the load generator's result of each phase (OUT/phases/N-FAULT.json), the event ids of the
acknowledged outcomes (--acked), the outcome log in the store, the cluster's metrics endpoints
and the models of the scoring replicas and of the decision replicas' followers (through the
broker, with the example touchpoint's client).
Writes OUT/report.md and OUT/report.json; exit status 1 when an acknowledged outcome is lost or
duplicated, the outcome sequence has a gap, the scoring and decision replicas' models differ in
one bit at the stream's head, or a replica is not
registered with every broker again by the end.
"""
import argparse
import collections
import glob
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "python"))
from touchpoint import OfferLoopClient, OfferLoopError, pb  # noqa: E402
from plotting import pyplot  # noqa: E402


def query(store, sql):
    """Rows of `sql` from the store: sqlite:PATH or postgres://…"""
    if store.startswith("sqlite:"):
        with sqlite3.connect(store[len("sqlite:"):]) as db:
            return db.execute(sql).fetchall()
    output = subprocess.run(["psql", store, "-At", "-F", "\t", "-c", sql], check=True, capture_output=True, text=True).stdout
    return [tuple(line.split("\t")) for line in output.splitlines() if line]


def metric(url, name, labels=""):
    """The value of a gauge from a /metrics endpoint, with exactly these labels (e.g. 'topic="outcomes"');
    None when absent or unreachable."""
    try:
        text = urllib.request.urlopen(url + "/metrics", timeout=2).read().decode()
    except OSError:
        return None
    series = re.escape(name + (f"{{{labels}}}" if labels else ""))
    match = re.search(rf"^{series} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


def endpoints(run_dir, prefix):
    with open(os.path.join(run_dir, "metrics.txt")) as file:
        return {name: url for name, url in (line.split() for line in file if line.strip()) if name.startswith(prefix)}


def check_outcomes(store, acked_file):
    acked = [line.strip() for line in open(acked_file) if line.strip()]
    stored = collections.Counter(row[0] for row in query(store, "SELECT event_id FROM outcomes WHERE event_id LIKE 'load-%'"))
    count, low, high = query(store, "SELECT count(*), min(sequence), max(sequence) FROM outcomes")[0]
    count, low, high = int(count), int(low or 0), int(high or 0)
    # A SQLite store must also be whole (PostgreSQL checks its own pages).
    intact = not store.startswith("sqlite:") or query(store, "PRAGMA integrity_check")[0][0] == "ok"
    return {
        "intact": intact,
        "acknowledged": len(acked),
        "acknowledged_twice": len(acked) - len(set(acked)),
        "stored": sum(stored.values()),
        "lost": len(set(acked) - set(stored)),
        "duplicated": sum(n - 1 for n in stored.values() if n > 1),
        "sequence": [low, high],
        "gapless": count == 0 or high - low + 1 == count,
    }


def started(run_dir, prefix):
    """How many processes the run started whose name begins with `prefix` (their pid files)."""
    return len(glob.glob(os.path.join(run_dir, "pids", prefix + "*.pid")))


def ask_models(frontend, service, processes, head, patience):
    """Each process's model as its "model" method answers it (sequence, digest, offers), asked
    through the broker, which picks the worker: asked again until every process of `service`
    has answered at `head` or later, or `patience` seconds have passed."""
    models = {}
    client = OfferLoopClient(frontend)
    deadline = time.monotonic() + patience
    try:
        while time.monotonic() < deadline:
            try:
                reply, served_by = client.call(service, "model", pb.ModelRequest(), pb.ModelReply, timeout_ms=2000)
            except OfferLoopError:
                continue  # UNAVAILABLE while a replica has no usable model yet
            models[served_by.rsplit("-", 2)[0]] = reply  # SERVICE-PID-THREAD-N: one model per process
            if len(models) >= processes and all(model.sequence >= head for model in models.values()):
                break
    finally:
        client.close()
    return models


def check_models(run_dir, frontend, patience=60):
    """Every scoring replica and every decision replica's model follower applies the outcome
    stream up to the head, and all hold the same model bits there (equal digests)."""
    heads = endpoints(run_dir, "feedback-")
    head = int(max((metric(url, "offerloop_stream_head_sequence") or 0) for url in heads.values()))
    replicas = {service: started(run_dir, service + "-") for service in ("scoring", "decision")}
    models = {service: ask_models(frontend, service, count, head, patience) for service, count in replicas.items()}
    answers = {f"{service}/{process}": model for service in models for process, model in models[service].items()}
    distinct = {(model.sequence, model.model_digest) for model in answers.values()}
    scoring = next(iter(models["scoring"].values()), None)
    return {
        "head": head,
        "sequences": {name: model.sequence for name, model in sorted(answers.items())},
        "digests": {name: model.model_digest for name, model in sorted(answers.items())},
        "caught_up": all(model.sequence >= head for model in answers.values()),
        "asked": {service: [len(models[service]), count] for service, count in replicas.items()},
        "same_model": len(distinct) == 1 and all(len(models[service]) == count for service, count in replicas.items()),
        "observations": sum(o.observations for o in scoring.offers) if scoring else 0,
    }


def check_registered(run_dir, frontends, patience=15):
    """Every replica the cluster started is registered with every broker again
    (name: [started, registered at the broker that has fewest])."""
    started = collections.Counter(os.path.basename(path)[:-4].rsplit("-", 1)[0]
                                  for path in glob.glob(os.path.join(run_dir, "pids", "*.pid"))
                                  if not os.path.basename(path).startswith("broker"))
    deadline = time.monotonic() + patience
    while True:
        registered = {name: None for name in started}
        for frontend in frontends.split(","):
            client = OfferLoopClient(frontend)
            try:
                reply, _ = client.call("broker", "services", pb.ServicesRequest(), pb.ServicesReply, timeout_ms=2000)
                workers = {status.name: status.workers for status in reply.services}
            except OfferLoopError:
                workers = {}
            finally:
                client.close()
            for name in started:
                registered[name] = min(workers.get(name, 0), registered[name] if registered[name] is not None else workers.get(name, 0))
        if all(registered[name] >= count for name, count in started.items()) or time.monotonic() > deadline:
            break
        time.sleep(1)
    return {name: [count, registered[name]] for name, count in sorted(started.items())}


# Why a fault makes some answers miss their channel's deadline (50 ms at an ATM) however the
# services behave: what it does to the path between the touchpoint and a decision replica.
DEADLINE_REASONS = {
    "broker": "requests held by the faulty broker are sent again through the other broker only at half the "
              "touchpoint's time limit (500 ms of 1 s): later than every channel's deadline",
    "decision": "requests held by the faulty decision replica are sent again at half the touchpoint's time limit "
                "(500 ms of 1 s), or after the broker notices a killed worker",
    "delay-network": "150 ms each way on the touchpoint's link: the hops alone take longer than the deadline",
    "loss-network": "a dropped TCP segment is sent again after the kernel's retransmission timeout (at least 200 ms)",
    "partition-broker-1": "requests sent to the cut-off broker are sent again through the other only at half the "
                          "touchpoint's time limit (500 ms of 1 s)",
}


def deadline_reason(fault):
    action, _, target = fault.partition("-")
    if action in ("kill", "stop"):
        return DEADLINE_REASONS.get(target.rsplit("-", 1)[0])
    return DEADLINE_REASONS.get(fault)


def phase_rows(out):
    rows = []
    for path in sorted(glob.glob(os.path.join(out, "phases", "*.json")), key=lambda p: int(os.path.basename(p).split("-")[0])):
        run = json.load(open(path))["run"]
        fault = os.path.basename(path)[:-5].split("-", 1)[1]
        errors = dict(run["errors"])
        rows.append({
            "fault": fault,
            "sent": run["sent"],
            "answered": run["answered"],
            "degraded": run["degraded"],
            "late": errors.pop("TIMEOUT", 0),  # no answer within the touchpoint's time limit
            # Answered after the channel's own deadline (or not at all), per channel.
            "over_deadline": {channel: figures["late"] for channel, figures in sorted(run.get("by_channel", {}).items())},
            "deadlines_ms": {channel: figures["deadline_ms"] for channel, figures in sorted(run.get("by_channel", {}).items())},
            "errors": errors,
            "p99_ms": run["latency"]["micros"].get("p99", 0) / 1000,
            "max_ms": run["latency"]["micros"].get("max", 0) / 1000,
            "outcomes_sent": run["outcomes_sent"],
            "outcomes_acknowledged": run.get("outcomes_acknowledged", 0),
            "outcomes_failed": run["outcomes_failed"],
            "outcome_errors": run.get("outcome_errors") or {},
        })
    return rows


def plot(rows, path, title):
    """Per phase: the decisions, stacked (answered on time, plain or degraded; late; refused), and
    their p99 and slowest latency against the touchpoint's time limit."""
    plt = pyplot()
    figure, (counts, latency) = plt.subplots(2, 1, figsize=(10, 8), sharex=True)
    names = [row["fault"] for row in rows]
    parts = [
        ("answered", [row["answered"] - row["degraded"] for row in rows], "#4c9a2a"),
        ("answered, degraded", [row["degraded"] for row in rows], "#a4c639"),
        ("late (no answer within 1 s)", [row["late"] for row in rows], "#d1495b"),
        ("error reply", [sum(row["errors"].values()) for row in rows], "#edae49"),
    ]
    bottom = [0] * len(rows)
    for label, values, color in parts:
        counts.bar(names, values, bottom=bottom, label=label, color=color)
        bottom = [b + v for b, v in zip(bottom, values)]
    counts.set_ylabel("decisions in the phase")
    counts.set_title(title)
    counts.legend(loc="lower right")
    positions = range(len(rows))
    latency.bar([p - 0.2 for p in positions], [row["p99_ms"] for row in rows], width=0.4, label="p99", color="#30638e")
    latency.bar([p + 0.2 for p in positions], [row["max_ms"] for row in rows], width=0.4, label="slowest", color="#8fb8de")
    latency.axhline(1000, color="#d1495b", linestyle="--", label="time limit (1 s)")
    latency.set_ylabel("decision latency, ms")
    latency.legend(loc="upper right")
    plt.setp(latency.get_xticklabels(), rotation=30, ha="right")
    figure.tight_layout()
    figure.savefig(path)


def main():
    parser = argparse.ArgumentParser()
    for option in ["--out", "--acked", "--run-dir", "--store", "--rate", "--phase-seconds"]:
        parser.add_argument(option, required=True)
    args = parser.parse_args()
    frontend = os.environ.get("OFFERLOOP_FRONTEND", "tcp://127.0.0.1:5555")

    rows = phase_rows(args.out)
    outcomes = check_outcomes(args.store, args.acked)
    scoring = check_models(args.run_dir, frontend)
    registered = check_registered(args.run_dir, frontend)
    all_registered = all(count == workers for count, workers in registered.values())
    totals = {key: sum(row[key] for row in rows) for key in ["sent", "answered", "degraded", "late", "outcomes_sent", "outcomes_acknowledged", "outcomes_failed"]}
    totals["errors"] = sum((collections.Counter(row["errors"]) for row in rows), collections.Counter())
    passed = (outcomes["lost"] == 0 and outcomes["duplicated"] == 0 and outcomes["gapless"] and outcomes["intact"]
              and scoring["caught_up"] and scoring["same_model"] and all_registered)

    def errors_text(errors):
        return ", ".join(f"{code} {count}" for code, count in sorted(errors.items())) or "0"

    lines = [
        f"# Chaos run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"Store `{args.store.split(':')[0]}`; {args.rate} decisions/s with outcomes for {args.phase_seconds} s per phase; "
        "one fault per phase, a quarter into it (kill: SIGKILL, restarted after 1 s; stop: SIGSTOP for 5 s, then SIGCONT).",
        "Late: no answer within the touchpoint's time limit (1 s).",
        "",
        "| Fault | Decisions | Answered | Degraded | Late | Errors | p99 ms | max ms | Outcomes sent | acknowledged | failed |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows + [dict(totals, fault="**all**", p99_ms=max((r["p99_ms"] for r in rows), default=0), max_ms=max((r["max_ms"] for r in rows), default=0))]:
        lines.append(f"| {row['fault']} | {row['sent']} | {row['answered']} | {row['degraded']} | {row['late']} | {errors_text(row['errors'])} | "
                     f"{row['p99_ms']:.1f} | {row['max_ms']:.1f} | {row['outcomes_sent']} | {row['outcomes_acknowledged']} | {row['outcomes_failed']}"
                     + (f" ({errors_text(row['outcome_errors'])})" if row.get("outcome_errors") else "") + " |")
    channels = sorted({channel for row in rows for channel in row["deadlines_ms"]}, key=lambda c: min(row["deadlines_ms"].get(c, 0) for row in rows))
    deadline_of = {channel: max(row["deadlines_ms"].get(channel, 0) for row in rows) for channel in channels}
    lines += [
        "",
        "Decisions answered after their channel's own deadline, counted from the send "
        + "(" + ", ".join(f"{channel} {deadline_of[channel]} ms" for channel in channels) + "):",
        "",
        "| Fault | " + " | ".join(channels) + " | Why the phase cannot meet it |",
        "|---|" + "---:|" * len(channels) + "---|",
    ]
    for row in rows:
        late = sum(row["over_deadline"].values())
        why = "" if late == 0 else (deadline_reason(row["fault"]) or "not explained by the fault: see the phase's log and the services' logs")
        lines.append(f"| {row['fault']} | " + " | ".join(str(row["over_deadline"].get(channel, 0)) for channel in channels) + f" | {why} |")
    lines += [
        "",
        f"Outcomes: {outcomes['acknowledged']} acknowledged, {outcomes['acknowledged'] - outcomes['lost']} of them stored, "
        f"lost {outcomes['lost']}, duplicated {outcomes['duplicated']}; sequence {outcomes['sequence'][0]}–{outcomes['sequence'][1]} "
        f"{'gapless' if outcomes['gapless'] else 'WITH GAPS'}{'' if outcomes['intact'] else '; THE STORE FAILS ITS INTEGRITY CHECK'}.",
        f"Models: outcome stream head {scoring['head']}; "
        + ", ".join(f"{service} {asked} of {count} replicas answered" for service, (asked, count) in scoring["asked"].items())
        + f"; {'every one caught up' if scoring['caught_up'] else 'NOT CAUGHT UP'}; "
        + (f"the same model bits (digest {next(iter(scoring['digests'].values()))[:16]}…, {scoring['observations']} observations)" if scoring["same_model"]
           else f"MODELS DIFFER: {scoring['sequences']} {scoring['digests']}") + ".",
        "Replicas registered with every broker at the end (started/registered): "
        + ", ".join(f"{name} {count}/{workers}" for name, (count, workers) in registered.items())
        + ("" if all_registered else " — NOT ALL BACK"),
        "",
        "Result: " + ("passed" if passed else "FAILED"),
    ]
    report = "\n".join(lines) + "\n"
    open(os.path.join(args.out, "report.md"), "w").write(report)
    json.dump({"phases": rows, "totals": dict(totals, errors=dict(totals["errors"])), "outcomes": outcomes, "scoring": scoring, "registered": registered, "passed": passed},
              open(os.path.join(args.out, "report.json"), "w"), indent=2)
    plot(rows, os.path.join(args.out, "report.png"), f"Decisions per fault phase ({args.rate}/s, store {args.store.split(':')[0]})")
    print(report)
    print(f"plot: {os.path.join(args.out, 'report.png')}")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
