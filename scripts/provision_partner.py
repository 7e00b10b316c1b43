"""Provision a partner key (an operator, a registrar or a customs office) and print it.

    python scripts/provision_partner.py operator [--key K] [--name "MCI"]
        [--stage dev] [--aws-endpoint URL]

The key is stored only as its SHA-256 with its role (chalicelib/services/registry/partners.py); the
printed key is the only copy, so hand it to the partner over a safe channel. Without
--aws-endpoint it writes to the stage's tables in the AWS account of the current
credentials.
"""
from __future__ import annotations

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", choices=("operator", "registrar", "customs"))
    parser.add_argument("--key", help="the key to store [a new random one]")
    parser.add_argument("--name", help="who the key is for, kept beside it")
    parser.add_argument("--stage", help="the stage whose tables take the key")
    parser.add_argument("--aws-endpoint", help="an emulator (moto server, LocalStack)")
    args = parser.parse_args(argv)
    if args.stage:
        os.environ["HAMTA_STAGE"] = args.stage
    if args.aws_endpoint:
        os.environ["AWS_ENDPOINT_URL"] = args.aws_endpoint

    from chalicelib import settings
    from chalicelib.services.registry.partners import provision_key
    from chalicelib.store import tables

    settings.reload()
    tables.configure()
    print(provision_key(args.role, args.key, args.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
