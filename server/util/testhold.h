/* Test builds (-Dtest_hooks=true) only: a point where a thread waits, so that a test
 * can order two threads' steps exactly instead of hoping for a timing. */
#ifndef SECONDOP_UTIL_TESTHOLD_H
#define SECONDOP_UTIL_TESTHOLD_H

/* While the file named by environment variable env exists, waits (at most 5 minutes),
 * logging "test hook: <what> <id> holds" first and "test hook: <what> <id> goes on" after. */
void test_hold(const char *env, const char *what, long long id);

#endif
