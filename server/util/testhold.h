/* Test builds (-Dtest_hooks=true) only: a point where a thread waits, so that a test
 * can order two threads' steps exactly instead of hoping for a timing. */
#ifndef SECONDOP_UTIL_TESTHOLD_H
#define SECONDOP_UTIL_TESTHOLD_H

/* 1 when the file named by environment variable env exists (the hold is armed). */
int test_hold_armed(const char *env);
/* Waits while that file exists, at most 5 minutes. */
void test_hold_wait(const char *env);
/* Both, logging "test hook: <what> <id> holds" first and "test hook: <what> <id> goes on" after. */
void test_hold(const char *env, const char *what, long long id);

#endif
