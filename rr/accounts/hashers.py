"""The password hasher: argon2id at a stated cost per check.

Parameters: OWASP's Password Storage Cheat Sheet configuration for argon2id, m = 19 MiB
(19,456 KiB), t = 2 iterations, p = 1 lane, which the cheat sheet gives as the minimum.
Django's own defaults (m = 100 MiB, t = 2, p = 8) cost about as much CPU a check as the
PBKDF2 it replaces; OWASP's configuration about a ninth of that, and 19 MiB of
memory (docs/BENCHMARKS.md, the sign-in rows). The memory, not the time, is what makes
guessing on GPUs expensive. Django's `must_update` compares these parameters with a
stored hash's, so a login with a hash made at other parameters (or by PBKDF2, still
listed to verify the previous release's hashes) stores a new one (config/settings.py,
tests/accounts/test_password_hashing.py).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher as DjangoArgon2PasswordHasher


class Argon2PasswordHasher(DjangoArgon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
