"""coprod: validate, harmonize, package and document the Nordic community co-production surveys.

The stages are plain functions in :mod:`coprod.pipeline`; ``coprod`` (:mod:`coprod.cli`) is a
thin command-line layer over them.
"""
