"""A PEP 517 build backend in the package's folder, so that `pip install clients/python` needs
nothing from an index (no setuptools, no wheel): the wheel is the package's .py files and the
metadata pyproject.toml declares (read with tomllib: Python 3.11, Debian 12's). Pure Python."""
import base64
import hashlib
import io
import os
import tarfile
import tomllib
import zipfile

ROOT = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(ROOT, "pyproject.toml"), "rb") as _file:
    PROJECT = tomllib.load(_file)["project"]
NAME, VERSION = PROJECT["name"], PROJECT["version"]
TAG = "py3-none-any"


def _files():
    package = os.path.join(ROOT, NAME)
    return sorted(f"{NAME}/{name}" for name in os.listdir(package) if name.endswith(".py"))


def _metadata():
    lines = ["Metadata-Version: 2.1", f"Name: {NAME}", f"Version: {VERSION}", f"Summary: {PROJECT['description']}",
             f"Requires-Python: {PROJECT['requires-python']}"]
    return "\n".join(lines + [f"Requires-Dist: {requirement}" for requirement in PROJECT["dependencies"]]) + "\n"


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    filename = f"{NAME}-{VERSION}-{TAG}.whl"
    info = f"{NAME}-{VERSION}.dist-info"
    contents = [(path, open(os.path.join(ROOT, path), "rb").read()) for path in _files()]
    contents += [(f"{info}/METADATA", _metadata().encode()),
                 (f"{info}/WHEEL", f"Wheel-Version: 1.0\nGenerator: {NAME}-build_backend\nRoot-Is-Purelib: true\nTag: {TAG}\n".encode()),
                 (f"{info}/top_level.txt", f"{NAME}\n".encode())]
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in contents:
            wheel.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(data)}")
        wheel.writestr(f"{info}/RECORD", "\n".join(record + [f"{info}/RECORD,,"]) + "\n")
    return filename


def build_sdist(sdist_directory, config_settings=None):
    base = f"{NAME}-{VERSION}"
    filename = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz") as sdist:
        for path in _files() + ["pyproject.toml", "build_backend.py"]:
            sdist.add(os.path.join(ROOT, path), arcname=f"{base}/{path}")
        data = _metadata().encode()
        entry = tarfile.TarInfo(f"{base}/PKG-INFO")
        entry.size = len(data)
        sdist.addfile(entry, io.BytesIO(data))
    return filename
