#!/usr/bin/env python3
# Checks that README.md's module diagram (the mermaid flowchart in its Layout section) is the
# package as Package.swift declares it, and that the dependencies keep the rules between the
# kinds of module. Exits 1 naming every difference and every broken rule; 0 when none.
#
#   layout-check.py [README] [--package DUMP.json]
#
# DUMP.json is `swift package dump-package`'s output; without it the script runs that command
# itself (with a scratch path of its own, so a build holding .build does not block it).
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The subgraph each kind of target stands in, by the folder its sources are in.
KINDS = [
    ("Shared/Platform/", "Platform"),
    ("Shared/Cores/", "Cores"),
    ("Shared/Adapters/", "Adapters"),
    ("Services/", "Services"),
    ("Tests/Support/", "TestSupport"),
]
SHELL, TRANSPORT = "ProcessShell", "Transport"


def package_targets(dump):
    """Every target but the test targets: name -> (kind, set of the targets it depends on)."""
    targets = [t for t in dump["targets"] if t["type"] != "test"]
    names = {t["name"] for t in targets}
    result = {}
    for target in targets:
        path = target.get("path") or ""
        kind = next((k for prefix, k in KINDS if (path + "/").startswith(prefix)), None)
        deps = set()
        for dependency in target["dependencies"]:
            (how, value), = dependency.items()
            if how in ("byName", "target") and value[0] in names:
                deps.add(value[0])
        result[target["name"]] = (kind, deps)
    return result


def diagram(readme):
    """The nodes (name -> subgraph) and edges of the first mermaid block after '## Layout'."""
    layout = readme.find("## Layout")
    match = re.search(r"```mermaid\n(.*?)```", readme[layout:], re.S) if layout >= 0 else None
    if not match:
        raise SystemExit("README: no ```mermaid block in the '## Layout' section")
    nodes, edges, subgraph = {}, set(), None
    for number, raw in enumerate(match.group(1).splitlines(), 1):
        line = raw.split("%%")[0].strip()
        if not line or line.startswith("flowchart") or line.startswith("direction"):
            continue
        if line.startswith("subgraph "):
            subgraph = re.match(r"subgraph\s+(\w+)", line).group(1)
        elif line == "end":
            subgraph = None
        elif "-->" in line:
            source, targets = (part.strip() for part in line.split("-->", 1))
            for target in targets.split("&"):
                edges.add((source, target.strip()))
        elif re.fullmatch(r"\w+", line):
            if subgraph is None:
                raise SystemExit(f"README mermaid line {number}: {line} stands in no subgraph")
            if line in nodes:
                raise SystemExit(f"README mermaid line {number}: {line} is drawn twice ({nodes[line]} and {subgraph})")
            nodes[line] = subgraph
        else:
            raise SystemExit(f"README mermaid line {number}: cannot read '{raw.strip()}'")
    return nodes, edges


def problems(targets, nodes, edges):
    found = []
    for name, (kind, _) in sorted(targets.items()):
        if kind is None:
            found.append(f"target {name} is in no folder of a kind (Shared/Platform, Shared/Cores, Shared/Adapters, Services, Tests/Support)")
        if name not in nodes:
            found.append(f"target {name} is missing from the diagram")
        elif kind and nodes[name] != kind:
            found.append(f"target {name} is drawn in {nodes[name]}, but its sources are in {kind}")
    for name in sorted(set(nodes) - set(targets)):
        found.append(f"the diagram shows {name}, which is no target")
    declared = {(name, dep) for name, (_, deps) in targets.items() for dep in deps}
    for source, target in sorted(declared - edges):
        found.append(f"dependency {source} --> {target} is missing from the diagram")
    for source, target in sorted(edges - declared):
        found.append(f"the diagram shows {source} --> {target}, which Package.swift does not declare")
    # The rules between the kinds: a core has no I/O, so it needs no adapter and no process;
    # the transport is what the shell runs, never the other way round.
    for source, target in sorted(declared):
        source_kind, target_kind = targets[source][0], targets[target][0]
        if source_kind == "Cores" and (target_kind == "Adapters" or target == SHELL):
            found.append(f"core {source} depends on {target}: a core depends on no adapter and not on the process shell")
        if source == TRANSPORT and target == SHELL:
            found.append(f"{TRANSPORT} depends on {SHELL}: the transport never depends on the process shell")
        if source_kind == "Platform" and target_kind in ("Cores", "Adapters", "Services", "TestSupport"):
            found.append(f"platform module {source} depends on {target} ({target_kind}): the platform depends only on itself")
    return found


def main(argv):
    readme_path, dump_path = os.path.join(ROOT, "README.md"), None
    args = iter(argv)
    for arg in args:
        if arg == "--package":
            dump_path = next(args)
        else:
            readme_path = arg
    if dump_path:
        with open(dump_path) as file:
            dump = json.load(file)
    else:
        with tempfile.TemporaryDirectory() as scratch:
            output = subprocess.run(["swift", "package", "--scratch-path", scratch, "dump-package"], cwd=ROOT,
                                    capture_output=True, text=True, check=True).stdout
        dump = json.loads(output)
    with open(readme_path) as file:
        nodes, edges = diagram(file.read())
    found = problems(package_targets(dump), nodes, edges)
    for problem in found:
        print(problem)
    if not found:
        print(f"layout ok: {len(nodes)} targets, {len(edges)} dependencies")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
