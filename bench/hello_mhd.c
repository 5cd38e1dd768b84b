/* The baseline: the smallest libmicrohttpd server we can write, with the same
 * threading model as secondop (epoll, thread pool). Answers "hello" to
 * everything, queuing on the second call so connections stay alive. */
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *data, size_t *size, void **req_cls) {
  (void)cls; (void)url; (void)method; (void)version; (void)data;
  static int marker;
  if (*req_cls == NULL) {
    *req_cls = &marker;
    return MHD_YES;
  }
  if (*size) {
    *size = 0;
    return MHD_YES;
  }
  static const char body[] = "hello\n";
  struct MHD_Response *r = MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
  MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
  enum MHD_Result ok = MHD_queue_response(c, 200, r);
  MHD_destroy_response(r);
  return ok;
}

int main(int argc, char **argv) {
  unsigned port = argc > 1 ? (unsigned)atoi(argv[1]) : 8090;
  unsigned threads = argc > 2 ? (unsigned)atoi(argv[2]) : 2;
  struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD, (uint16_t)port, NULL, NULL, on_access, NULL,
                                          MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, 512,
                                          MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "hello_mhd: cannot listen on %u\n", port);
    return 1;
  }
  fprintf(stderr, "hello_mhd: listening on %u\n", port);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, NULL);
  int sig;
  sigwait(&set, &sig);
  MHD_stop_daemon(d);
  return 0;
}
