#include "util/err.h"

static const struct {
  unsigned status;
  const char *code, *msg;
} table[] = {
#define X(name, status, code, msg) {status, code, msg},
    ERR_LIST(X)
#undef X
};

unsigned err_status(enum err e) { return e < ERR_COUNT ? table[e].status : 500; }
const char *err_code(enum err e) { return e < ERR_COUNT ? table[e].code : "internal"; }
const char *err_message(enum err e) { return e < ERR_COUNT ? table[e].msg : table[ERR_INTERNAL].msg; }
