"""`make package`: the deployable CloudFormation template for a stage, checked with cfn-lint.

    python scripts/package.py [--stage prod|dev] [--out build/package-<stage>]

1. Writes infra/template.json with the stage as its `Stage` default into build/, and runs
   `chalice package --stage S --merge-template ...` (the tables, WAF, alarm and gateway
   responses merged into chalice's SAM template).
2. Rewrites the zip: drops botocore's API models of the services we never call (16 MB of
   the 21 MB zip; the code calls DynamoDB, SNS and SSM only), and adds unchecked-hash .pyc
   files of app.py and chalicelib: a Lambda cannot write its own bytecode (/var/task is
   read-only), so without them every cold start compiles our modules again
   (bench/import_time.py). They are made in the zip only, never in the working tree,
   where an unchecked .pyc would hide later edits.
   It also adds the web page's files (web/), which chalice does not package.
3. Checks that every compiled wheel in the zip runs on Lambda's python3.11 (Amazon Linux 2,
   glibc 2.26): when PyPI has no such wheel, chalice builds one from source against this
   machine's glibc and libraries, and the package would fail on AWS at its first import.
4. Imports the packaged app from the zip alone (no site-packages) and builds the three
   clients, so a slimmed package that cannot start fails here, not on AWS; the web page's
   files must be there too.
5. Runs cfn-lint on the result; any error fails, and so does a missing table.
Prints the deployment package's size. Needs no AWS account: a region and dummy
credentials are set if none are.
"""
from __future__ import annotations

import argparse
import json
import os
import py_compile
import re
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def merge_template(stage: str, build: str) -> str:
    with open(os.path.join(ROOT, "infra", "template.json"), encoding="utf-8") as f:
        template = json.load(f)
    template["Parameters"]["Stage"]["Default"] = stage
    path = os.path.join(build, f"merge-{stage}.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(template, f, indent=2)
    return path


# botocore/data/<service>/ kept in the package; everything else in botocore/data stays too.
SERVICES_USED = {"dynamodb", "sns", "ssm", "sts", "s3", "sqs"}


def bytecode(name: str, source: bytes) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        src, pyc = os.path.join(tmp, "module.py"), os.path.join(tmp, "module.pyc")
        with open(src, "wb") as f:
            f.write(source)
        py_compile.compile(
            src, cfile=pyc, dfile=name, doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        with open(pyc, "rb") as f:
            return f.read()


def rewrite_package(package: str) -> None:
    slim = package + ".new"
    tag = sys.implementation.cache_tag  # chalice picks the Lambda runtime from this Python
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(
        slim, "w", compression=zipfile.ZIP_DEFLATED
    ) as target:
        for info in source.infolist():
            parts = info.filename.split("/")
            if (
                len(parts) > 3
                and parts[:2] == ["botocore", "data"]
                and parts[2] not in SERVICES_USED
            ):
                continue
            data = source.read(info.filename)
            target.writestr(info, data)
            ours = info.filename == "app.py" or parts[0] == "chalicelib"
            if ours and info.filename.endswith(".py"):
                folder, _, module = info.filename.rpartition("/")
                cached = "/".join(p for p in (folder, "__pycache__") if p)
                target.writestr(
                    f"{cached}/{module[:-3]}.{tag}.pyc", bytecode(info.filename, data)
                )
        # The web page's files (chalice packages only app.py, chalicelib/ and vendor/).
        web = os.path.join(ROOT, "web")
        for folder, _, names in os.walk(web):
            for name in sorted(names):
                path = os.path.join(folder, name)
                target.write(path, os.path.relpath(path, ROOT).replace(os.sep, "/"))
    os.replace(slim, package)


# Lambda's python3.11 is Amazon Linux 2 (glibc 2.26), the newest manylinux chalice asks for.
LAMBDA_GLIBC = (2, 26)
_MANYLINUX = re.compile(r"manylinux(?:1|2010|2014|_(\d+)_(\d+))_x86_64$")


def runs_on_lambda(tag: str) -> bool:
    """Whether a wheel's platform tag (e.g. cp311-cp311-manylinux2014_x86_64) loads on Lambda."""
    platform = tag.rsplit("-", 1)[-1]
    if platform == "any":
        return True
    match = _MANYLINUX.match(platform)
    if not match:
        return False  # linux_x86_64: built here, against this machine's glibc
    return not match.group(1) or (int(match.group(1)), int(match.group(2))) <= LAMBDA_GLIBC


def foreign_wheels(package: str) -> list[str]:
    """The compiled distributions in the zip none of whose tags loads on Lambda."""
    foreign = []
    with zipfile.ZipFile(package) as z:
        for name in z.namelist():
            if not name.endswith(".dist-info/WHEEL"):
                continue
            lines = z.read(name).decode().splitlines()
            tags = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Tag:")]
            if not any(runs_on_lambda(tag) for tag in tags):
                foreign.append(f"{name.split('/')[0]} ({', '.join(tags)})")
    return foreign


SMOKE = """
import sys, zipfile, tempfile
with tempfile.TemporaryDirectory() as root:
    zipfile.ZipFile(sys.argv[1]).extractall(root)
    sys.path[:0] = [root]
    import app, boto3
    assert "expire_sims" in dir(app), "no scheduled handler"
    for service in ("dynamodb", "sns", "ssm"):
        boto3.client(service, region_name="us-east-1")
    import botocore
    assert botocore.__file__.startswith(root), botocore.__file__
    assert app.__cached__ and sys.modules["chalicelib.web"].__cached__
    from chalicelib.routes import page
    assert {"/", "/assets/app.js", "/fonts/vazirmatn-regular.woff2"} <= set(page.files())
"""


def smoke_import(package: str, env: dict) -> None:
    # -S: no site-packages, only the standard library and what the zip holds.
    subprocess.run([sys.executable, "-S", "-c", SMOKE, package], env=env, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="prod", choices=("dev", "prod"))
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    build = os.path.join(ROOT, "build")
    out = os.path.abspath(args.out or os.path.join(build, f"package-{args.stage}"))
    os.makedirs(build, exist_ok=True)
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "package"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "package"),
    }
    env.pop("AWS_ENDPOINT_URL", None)

    merge = merge_template(args.stage, build)
    subprocess.run(
        [os.path.join(BIN, "chalice"), "package", "--stage", args.stage,
         "--merge-template", merge, out],
        # The stage's names (the chunk queue of @app.on_sqs_message) are read at import.
        cwd=ROOT, env={**env, "HAMTA_STAGE": args.stage}, check=True,
    )
    package = os.path.join(out, "deployment.zip")
    rewrite_package(package)
    foreign = foreign_wheels(package)
    if foreign:
        raise SystemExit(
            "no wheel for Lambda's glibc 2.26 (pin a release that ships manylinux2014): "
            + "; ".join(foreign))
    smoke_import(package, {**env, "HAMTA_STAGE": args.stage, "HAMTA_SECRET_KEY": "smoke"})
    sam = os.path.join(out, "sam.json")
    with open(sam, encoding="utf-8") as f:
        resources = json.load(f)["Resources"]
    tables = [name for name, r in resources.items() if r["Type"] == "AWS::DynamoDB::Table"]
    with open(os.path.join(ROOT, "infra", "template.json"), encoding="utf-8") as f:
        declared = sorted(name for name, r in json.load(f)["Resources"].items()
                          if r.get("Type") == "AWS::DynamoDB::Table")  # some only add DependsOn
    if sorted(tables) != declared:
        raise SystemExit(f"expected the tables {declared} in {sam}, found {tables}")
    lint = subprocess.run([os.path.join(BIN, "cfn-lint"), sam], env=env)
    # cfn-lint's exit code is a bit field: 2 errors, 4 warnings, 8 informational.
    if lint.returncode & 2 or lint.returncode & 1:
        raise SystemExit(f"cfn-lint found errors in {sam}")
    with zipfile.ZipFile(package) as z:
        unpacked = sum(info.file_size for info in z.infolist())
    print(json.dumps({
        "stage": args.stage,
        "template": os.path.relpath(sam, ROOT),
        "package_bytes": os.path.getsize(package),
        "unpacked_bytes": unpacked,
        "cfn_lint_exit": lint.returncode,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
