"""What every side of Glas shares and nothing else: the ``glas`` command's entry point, its exit
codes, and the interface's languages and message catalogs.

It imports neither the web stack (:mod:`portal`) nor the reviewer's tools (:mod:`reviewer`): a
command's module is loaded only when that command runs (:mod:`glas.cli`).
"""
