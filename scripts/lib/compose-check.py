"""Checks a compose or stack file with no container engine: first against the Compose
Specification's JSON schema (check-jsonschema's built-in `vendor.compose-spec`), then what a
schema cannot see — every network, volume, secret and config a service names is defined at the
top level, every service it depends on exists, every file a secret or config reads exists,
no host port is published twice, and each healthcheck asks the port the service serves its
metrics on with a program its image has. Prints the services as compose would resolve them
(anchors and merge keys applied, ${VAR:-default} interpolated, environment as a mapping,
ports in long form) as JSON; exit 1 with one line per problem otherwise.
  python3 scripts/lib/compose-check.py compose/docker-compose.yml
"""
import json
import os
import re
import subprocess
import sys

from ruamel.yaml import YAML  # comes with check-jsonschema

INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def interpolate(value):
    if isinstance(value, str):
        return INTERPOLATION.sub(lambda m: os.environ.get(m.group(1) or m.group(3)) or (m.group(2) or ""), value)
    if isinstance(value, dict):
        return {key: interpolate(item) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item) for item in value]
    return value


def plain(value):
    """ruamel's merged mappings and sequences as plain dicts and lists."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def environment(value):
    if isinstance(value, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in value)
    return {key: None if item is None else str(item) for key, item in (value or {}).items()}


def port(value):
    if isinstance(value, dict):
        return value
    text = str(value)
    protocol = "tcp"
    if "/" in text:
        text, protocol = text.split("/", 1)
    parts = text.split(":")
    target = int(parts[-1])
    published = parts[-2] if len(parts) > 1 else None
    return {"target": target, "published": published, "protocol": protocol, "mode": "ingress"}


def names(value):
    """A service's networks, secrets or configs: a list of names or of {source: …}, or a mapping."""
    if isinstance(value, dict):
        return list(value)
    return [item if isinstance(item, str) else item["source"] for item in value or []]


def resolve(path):
    document = plain(YAML(typ="safe").load(open(path)))
    services = {}
    for name, service in (document.get("services") or {}).items():
        service = interpolate(service)
        service["environment"] = environment(service.get("environment"))
        service["ports"] = [port(item) for item in service.get("ports") or []]
        if not service["ports"]:
            del service["ports"]
        services[name] = service
    return document, services


def problems(path, document, services):
    found = []
    folder = os.path.dirname(os.path.abspath(path))
    defined = {kind: set(document.get(kind) or {}) for kind in ["networks", "volumes", "secrets", "configs"]}
    for kind in ["secrets", "configs"]:
        for name, definition in (document.get(kind) or {}).items():
            file = (definition or {}).get("file")
            if file and not os.path.exists(os.path.join(folder, file)):
                found.append(f"{kind[:-1]} '{name}' reads {file}, which does not exist")
    published = {}
    dockerfile = os.path.join(folder, "Dockerfile")
    image_programs = open(dockerfile).read() if os.path.exists(dockerfile) else ""
    for name, service in services.items():
        dependencies = service.get("depends_on") or []
        for dependency in dependencies if isinstance(dependencies, list) else list(dependencies):
            if dependency not in services:
                found.append(f"service '{name}' depends on '{dependency}', which is not a service")
        for kind in ["networks", "secrets", "configs"]:
            for item in names(service.get(kind)):
                if item not in defined[kind] and not (kind == "networks" and item == "default"):
                    found.append(f"service '{name}' uses {kind[:-1]} '{item}', which is not defined under {kind}:")
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if source and not source.startswith((".", "/")) and source not in defined["volumes"]:
                found.append(f"service '{name}' mounts volume '{source}', which is not defined under volumes:")
        for item in service.get("ports", []):
            key = (item.get("published"), item.get("protocol", "tcp"))
            if key[0] is not None and key in published:
                found.append(f"host port {key[0]} is published by both '{published[key]}' and '{name}'")
            published[key] = name
        test = (service.get("healthcheck") or {}).get("test")
        if isinstance(test, list) and len(test) > 1 and test[0] in ("CMD", "CMD-SHELL"):
            metrics = service["environment"].get("OFFERLOOP_METRICS_ADDRESS")
            url = next((part for part in test if part.startswith("http")), None)
            if metrics and url and f":{metrics.rsplit(':', 1)[-1]}/" not in url:
                found.append(f"service '{name}' checks its health at {url}, but serves it on {metrics}")
            if "build" in service and test[1] not in image_programs:
                found.append(f"service '{name}' checks its health with '{test[1]}', which compose/Dockerfile does not install")
    return found


def main():
    path = sys.argv[1]
    schema = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", path],
                            capture_output=True, text=True)
    if schema.returncode != 0:
        sys.exit(f"{path}: not a valid Compose file:\n{schema.stdout}{schema.stderr}")
    document, services = resolve(path)
    found = problems(path, document, services)
    if found:
        sys.exit("\n".join(f"{path}: {problem}" for problem in found))
    print(json.dumps({"services": services}, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
