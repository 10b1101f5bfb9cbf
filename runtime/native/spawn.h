// Process creation with an explicit fd map, sessions, ids and a reported exec failure: what a
// supervisor needs to start QEMU and services (os.exec closes all fds >= 3 and hides exec errors).
#ifndef STUBJS_SPAWN_H
#define STUBJS_SPAWN_H

#include <sys/types.h>

#define SPAWN_MAX_FDS 1024

typedef struct {
    char *const *argv;   /* NULL-terminated */
    char *const *envp;   /* NULL-terminated */
    const char *file;    /* executed as is if it contains '/', else searched in search_path */
    const char *search_path;
    const char *cwd;     /* NULL: inherit */
    const int *fds;      /* child fd i <- parent fds[i]; -1 leaves i closed; all others are closed */
    int nfds;
    int setsid;
    int ctty;            /* child fd to make the controlling tty (after setsid), or -1 */
    int set_uid, set_gid;
    uid_t uid;
    gid_t gid;
} SpawnPlan;

/* The child step that failed, reported to the parent through a CLOEXEC pipe. */
typedef enum {
    SPAWN_STAGE_PIPE, SPAWN_STAGE_CLONE, SPAWN_STAGE_FDS, SPAWN_STAGE_SETSID, SPAWN_STAGE_CTTY,
    SPAWN_STAGE_CHDIR, SPAWN_STAGE_SETGROUPS, SPAWN_STAGE_SETGID, SPAWN_STAGE_SETUID, SPAWN_STAGE_EXEC,
} SpawnStage;

typedef struct {
    int stage; /* SpawnStage */
    int err;
} SpawnFailure;

/* Starts the child and waits until it has exec'd. Returns its pid, or -1 with *fail set (a child
   that failed before exec has already been reaped). */
pid_t spawn_process(const SpawnPlan *plan, SpawnFailure *fail);

#endif
