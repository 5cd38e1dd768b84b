#include "app.h"

#include <stdio.h>
#include <string.h>

int app_init(const struct config *c) {
  (void)c;
  return 0;
}

int app_seed_demo(const struct config *c) {
  (void)c;
  return 0;
}

void app_started(const struct config *c) { (void)c; }
void app_stopping(void) {}
void app_shutdown(void) {}

int app_command(const char *name, int argc, char **argv) {
  (void)name;
  (void)argc;
  (void)argv;
  return -1;
}

const char *app_commands_help(void) { return ""; }
