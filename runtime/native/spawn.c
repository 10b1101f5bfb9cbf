// The child runs in a CLONE_VM|CLONE_VFORK clone on its own stack (like musl's posix_spawn): no copy of
// the JS heap's page tables, which matters in a small stub domain. While it shares our memory it only
// makes system calls (through stateless libc wrappers) and touches nothing but the plan and its stack.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "spawn.h"

#define CHILD_STACK_SIZE (64 * 1024)
#define CLOSE_RANGE_CLOEXEC (1U << 2) /* linux/close_range.h, absent from musl's headers */

typedef struct {
    const SpawnPlan *plan;
    int report_fd;
} ChildArgs;

static _Noreturn void child_fail(int report_fd, SpawnStage stage, int err)
{
    SpawnFailure f = { stage, err };
    (void)!write(report_fd, &f, sizeof(f));
    _exit(127);
}

/* Makes every fd >= from close on exec (the pipe to the parent must stay open until exec). */
static void cloexec_from(int from)
{
    if (syscall(SYS_close_range, from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
        return;
    struct rlimit rl; /* kernels before 5.11 */
    int limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
    for (int fd = from; fd < limit; fd++)
        fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Applies the fd map without collisions: every source (and the report pipe) is first copied above
   the highest target, then copied down with dup2, which also clears CLOEXEC on the target. */
static int apply_fd_map(const SpawnPlan *p, int *report_fd)
{
    int tmp[SPAWN_MAX_FDS];
    int r = fcntl(*report_fd, F_DUPFD_CLOEXEC, p->nfds);
    if (r < 0)
        return -1;
    *report_fd = r;
    for (int i = 0; i < p->nfds; i++) {
        tmp[i] = p->fds[i] < 0 ? -1 : fcntl(p->fds[i], F_DUPFD_CLOEXEC, p->nfds);
        if (p->fds[i] >= 0 && tmp[i] < 0)
            return -1;
    }
    for (int i = 0; i < p->nfds; i++) {
        if (tmp[i] < 0)
            close(i);
        else if (dup2(tmp[i], i) < 0)
            return -1;
    }
    cloexec_from(p->nfds);
    return 0;
}

/* execvpe without malloc: tries each PATH entry, remembering EACCES like execvp does. */
static int exec_search(const SpawnPlan *p)
{
    if (strchr(p->file, '/'))
        return execve(p->file, p->argv, p->envp);
    char buf[PATH_MAX];
    size_t flen = strlen(p->file);
    int saw_eacces = 0;
    for (const char *dir = p->search_path; flen > 0;) {
        const char *end = strchrnul(dir, ':');
        size_t dlen = end - dir;
        if (dlen + 1 + flen < sizeof(buf)) {
            memcpy(buf, dir, dlen);
            buf[dlen] = '/';
            memcpy(buf + dlen + 1, p->file, flen + 1);
            execve(dlen ? buf : buf + 1, p->argv, p->envp);
            if (errno == EACCES)
                saw_eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR)
                return -1;
        }
        if (!*end)
            break;
        dir = end + 1;
    }
    errno = saw_eacces ? EACCES : ENOENT;
    return -1;
}

static int child_main(void *arg)
{
    const SpawnPlan *p = ((ChildArgs *)arg)->plan;
    int report_fd = ((ChildArgs *)arg)->report_fd;

    /* Handlers must not run here (they would touch the parent's memory), and SIG_IGN survives exec. */
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    for (int sig = 1; sig < _NSIG; sig++)
        sigaction(sig, &dfl, NULL);

    if (apply_fd_map(p, &report_fd) < 0)
        child_fail(report_fd, SPAWN_STAGE_FDS, errno);
    if ((p->setsid || p->ctty >= 0) && setsid() < 0)
        child_fail(report_fd, SPAWN_STAGE_SETSID, errno);
    if (p->ctty >= 0 && ioctl(p->ctty, TIOCSCTTY, 0) < 0)
        child_fail(report_fd, SPAWN_STAGE_CTTY, errno);
    if (p->cwd && chdir(p->cwd) < 0)
        child_fail(report_fd, SPAWN_STAGE_CHDIR, errno);
    /* Raw syscalls: musl's set*id wrappers synchronise all threads, which is unsafe in a clone that
       shares the parent's memory. Group first: after setuid we could no longer change it. */
    if ((p->set_uid || p->set_gid) && syscall(SYS_setgroups, 0, NULL) < 0)
        child_fail(report_fd, SPAWN_STAGE_SETGROUPS, errno);
    if (p->set_gid && syscall(SYS_setgid, p->gid) < 0)
        child_fail(report_fd, SPAWN_STAGE_SETGID, errno);
    if (p->set_uid && syscall(SYS_setuid, p->uid) < 0)
        child_fail(report_fd, SPAWN_STAGE_SETUID, errno);

    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    exec_search(p);
    child_fail(report_fd, SPAWN_STAGE_EXEC, errno);
}

pid_t spawn_process(const SpawnPlan *plan, SpawnFailure *fail)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        *fail = (SpawnFailure){ SPAWN_STAGE_PIPE, errno };
        return -1;
    }
    ChildArgs args = { plan, pipefd[1] };
    char *stack = malloc(CHILD_STACK_SIZE);
    pid_t pid = -1;
    int clone_err = ENOMEM;
    if (stack) {
        sigset_t all, old;
        sigfillset(&all);
        /* Blocked until the child has reset its handlers; the child inherits this mask. */
        pthread_sigmask(SIG_BLOCK, &all, &old);
        pid = clone(child_main, stack + CHILD_STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
        clone_err = errno;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        free(stack);
    }
    close(pipefd[1]);

    SpawnFailure report;
    ssize_t n = 0;
    if (pid > 0) {
        do
            n = read(pipefd[0], &report, sizeof(report));
        while (n < 0 && errno == EINTR);
    }
    close(pipefd[0]);
    if (pid < 0) {
        *fail = (SpawnFailure){ SPAWN_STAGE_CLONE, clone_err };
        return -1;
    }
    if (n == (ssize_t)sizeof(report)) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        *fail = report;
        return -1;
    }
    return pid;
}
