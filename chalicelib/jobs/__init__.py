"""What the scheduled and queue-driven jobs share: a bounded thread pool, run deadlines, UTC days."""
