"""Settings every test shares.

Tests never assert on time (the machines are shared and noisy), so hypothesis's
per-example deadline is off for the whole suite: a slow example under load is
not a failure.
"""
from hypothesis import settings

settings.register_profile("project", deadline=None)
settings.load_profile("project")
