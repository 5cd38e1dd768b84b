#!/usr/bin/python3
"""Runs every tests/integration/test_*.py (or the names given) and prints
one line: INTEGRATION: N passed, M failed, K skipped."""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)


class CountingResult(unittest.TextTestResult):
    pass


def main():
    loader = unittest.TestLoader()
    names = sys.argv[1:]
    if names:
        suite = unittest.TestSuite(loader.loadTestsFromName(n) for n in names)
    else:
        suite = loader.discover(here, pattern="test_*.py", top_level_dir=here)
    runner = unittest.TextTestRunner(verbosity=2, resultclass=CountingResult, stream=sys.stdout)
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    for test, why in result.skipped:
        print("SKIPPED: %s (%s)" % (test.id(), why))
    print("INTEGRATION: %d passed, %d failed, %d skipped" % (passed, failed, len(result.skipped)))
    sys.stdout.flush()
    return 1 if failed or result.testsRun == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
