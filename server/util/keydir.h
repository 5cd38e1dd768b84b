/* Where the key material is (master key ring, app key, audit signing key): the
 * directory given with --key-file (one copy the operator gives to every
 * instance of an active-active set-up), else DATA-DIR/keys. */
#ifndef SECONDOP_KEYDIR_H
#define SECONDOP_KEYDIR_H
#include <stddef.h>

/* Sets the key directory (NULL or "": DATA-DIR/keys). Call before threads start. */
void keydir_set(const char *dir);
/* 1 when a key directory was given. */
int keydir_given(void);
/* Writes the key directory for data_dir into out. 0, or -1 when it does not fit. */
int keydir_path(const char *data_dir, char *out, size_t cap);
#endif
