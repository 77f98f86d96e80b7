"""The adversarial suite: hostile or broken candidates, each with the outcome it must get.

``catalogue`` holds the cases as data, ``play`` grades one and checks the host afterwards;
the tests and ``scripts/security_table.py`` (the table in docs/SECURITY.md) both use them.
"""
