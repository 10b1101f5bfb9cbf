// PID 1 must never exit (the kernel panics), and orphans are reparented to it, so when JS can no
// longer run the host still reaps them. SIGCHLD stays blocked except inside sigsuspend, so a child
// that dies between an ECHILD and the wait cannot be missed.
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include "host.h"

/* Only here so that SIGCHLD interrupts sigsuspend (with SIG_DFL it would be discarded). */
static void on_sigchld(int sig)
{
}

_Noreturn void reap_forever(void)
{
    sigset_t chld, none;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    struct sigaction sa = { .sa_handler = on_sigchld };
    sigaction(SIGCHLD, &sa, NULL);
    for (;;) {
        if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
            sigsuspend(&none);
    }
}
