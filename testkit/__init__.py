"""What tests, benches and scripts share to drive and measure the service from outside:
identifiers (ids), the AWS call counter (calls), scripts/local.py in a subprocess
(local_run) and a browser on it (browser). It imports none of tests/, bench/ or scripts/."""
