"""Release a held rail for one run (docs/rails.md): a person's decision, after reading the
figures the held run logged.

    python scripts/release_rail.py expire_sims --allow N [--stage prod]
    python scripts/release_rail.py enforce --operator NAME --allow N [--stage prod]

expire_sims: runs may detach up to N SIMs (at least the figure `to_detach` logged) until
the work is done; the release ends with the first run that finds the work back under
EXPIRY_RAIL_MAX_SIMS. enforce: the next run may write up to N of that operator's blocks
(at least the figure `blocks` logged); the release is used once. Both write one attribute,
`rail_allow`, on the job's checkpoint item in the challenges table; without --aws-endpoint
it writes to the stage's table in the AWS account of the current credentials.
"""
from __future__ import annotations

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("job", choices=("expire_sims", "enforce"))
    parser.add_argument("--allow", type=int, required=True, help="how many the released run may detach or block")
    parser.add_argument("--operator", help="enforce: the operator held (its partner key's name)")
    parser.add_argument("--stage", help="the stage whose tables hold the job's checkpoint")
    parser.add_argument("--aws-endpoint", help="an emulator (moto server, LocalStack)")
    args = parser.parse_args(argv)
    if args.allow < 1:
        parser.error("--allow must be at least 1")
    if (args.job == "enforce") != bool(args.operator):
        parser.error("--operator goes with enforce, and only with it")
    if args.stage:
        os.environ["HAMTA_STAGE"] = args.stage
    if args.aws_endpoint:
        os.environ["AWS_ENDPOINT_URL"] = args.aws_endpoint
    if args.stage or args.aws_endpoint:
        from chalicelib import settings
        from chalicelib.store import tables

        settings.reload()
        tables.configure()

    if args.job == "expire_sims":
        from chalicelib.services.sims import expiry_rail

        expiry_rail.release(args.allow)
        print(f"expire_sims: runs may detach up to {args.allow} SIMs until the work is done")
    else:
        from chalicelib.services.network import enforcement_rail

        enforcement_rail.release(args.operator, args.allow)
        print(f"enforce: the next run may write up to {args.allow} blocks of {args.operator}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
