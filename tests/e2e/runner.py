"""Runs tests/e2e/test_*.py with unittest and writes 'passed failed' to $KOP_E2E_COUNTS."""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
suite = unittest.defaultTestLoader.discover(here, pattern=os.environ.get("KOP_E2E_PATTERN", "test_*.py"))
result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
passed = result.testsRun - failed - len(result.skipped)
with open(os.environ["KOP_E2E_COUNTS"], "w") as f:
    f.write(f"{passed} {failed}\n")
