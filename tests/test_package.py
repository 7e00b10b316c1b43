"""`make package` refuses a deployment zip whose compiled wheels would not load on Lambda."""
from __future__ import annotations

import zipfile

import pytest

from scripts.package import foreign_wheels


def package_with(tmp_path, wheels: dict[str, list[str]]) -> str:
    path = str(tmp_path / "deployment.zip")
    with zipfile.ZipFile(path, "w") as z:
        for dist, tags in wheels.items():
            body = "Wheel-Version: 1.0\nRoot-Is-Purelib: false\n"
            z.writestr(f"{dist}.dist-info/WHEEL", body + "".join(f"Tag: {t}\n" for t in tags))
            z.writestr(f"{dist.split('-')[0]}/__init__.py", "")
    return path


def test_wheels_from_pypi_for_old_glibc_and_pure_wheels_pass(tmp_path):
    zip_path = package_with(tmp_path, {
        "pillow-12.2.0": ["cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64"],
        "cffi-2.1.1": ["cp311-cp311-manylinux_2_26_x86_64"],
        "boto3-1.44.8": ["py3-none-any"],
        "six-1.17.0": ["py2-none-any", "py3-none-any"],
    })
    assert foreign_wheels(zip_path) == []


@pytest.mark.parametrize("tag", [
    # What chalice builds from an sdist when PyPI has no wheel for Lambda: this machine's glibc.
    "cp311-cp311-linux_x86_64",
    # Pillow 13's only Linux wheel: glibc 2.28, newer than Amazon Linux 2's 2.26.
    "cp311-cp311-manylinux_2_28_x86_64",
    "cp311-cp311-manylinux_2_28_aarch64",
])
def test_a_wheel_lambda_cannot_load_is_named(tmp_path, tag):
    zip_path = package_with(tmp_path, {"boto3-1.44.8": ["py3-none-any"], "pillow-13.0.0": [tag]})
    assert foreign_wheels(zip_path) == [f"pillow-13.0.0.dist-info ({tag})"]
