"""Contract checks against Stripe's own descriptions of its API.

The official `stripe` package (a test-only dependency) names every field of every object
and every parameter of every method for the pinned API version; Stripe's published OpenAPI
spec (2023-08-16; the subset in `openapi/` is what the tests read) adds paths, methods and
primitive types for what has not changed since. These helpers check emulator responses and
connector requests against both.
"""
