/* skiff's pause program: PID 1 of every pod sandbox. It holds the sandbox's namespaces open,
 * reaps zombies (orphans in a shared PID namespace are reparented to it) and exits 0 on
 * SIGTERM or SIGINT. Built static so the image needs no libc. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested = 0;

static void on_stop(int signo) {
  (void)signo;
  stop_requested = 1;
}

static void on_child(int signo) {
  (void)signo;
  int saved_errno = errno;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = saved_errno;
}

static int install(int signo, void (*handler)(int)) {
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  return sigaction(signo, &action, NULL);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    printf("skiff pause 3.10\n");
    return 0;
  }
  if (getpid() != 1) fprintf(stderr, "pause: warning: not running as PID 1\n");
  if (install(SIGINT, on_stop) < 0 || install(SIGTERM, on_stop) < 0 ||
      install(SIGCHLD, on_child) < 0) {
    perror("pause: sigaction");
    return 1;
  }
  /* Signals stay blocked except inside sigsuspend, so a SIGTERM cannot slip in between the
   * check and the wait. */
  sigset_t blocked, during_wait;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGINT);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGCHLD);
  sigprocmask(SIG_BLOCK, &blocked, &during_wait);
  sigdelset(&during_wait, SIGINT);
  sigdelset(&during_wait, SIGTERM);
  sigdelset(&during_wait, SIGCHLD);
  while (!stop_requested) sigsuspend(&during_wait);
  return 0;
}
