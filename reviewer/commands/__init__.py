"""The reviewer's ``glas`` commands; :mod:`glas.cli` imports each only when it runs."""
