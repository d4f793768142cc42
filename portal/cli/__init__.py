"""The server's ``glas`` commands (serve, onion, organizers, reviewers, surveys, export,
retention, replies, alerts trust/import). The entry point and exit codes are in :mod:`glas.cli`,
which imports a module of this package only when its command runs."""
