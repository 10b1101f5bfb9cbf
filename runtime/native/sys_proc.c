// Process control for the supervisor: spawn (see spawn.c), waitpid that returns null instead of an
// error when nothing is waitable, kill with any signal number, setsid, getpid.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "spawn.h"
#include "sys.h"

extern char **environ;

#define DEFAULT_PATH "/bin:/usr/bin:/sbin:/usr/sbin"

/* JS strings of one spawn call, freed together. */
typedef struct {
    const char **argv, **envp; /* NULL-terminated; envp NULL when inheriting environ */
    const char *file, *cwd;
    int fds[SPAWN_MAX_FDS];
} SpawnArgs;

static void free_cstring_array(JSContext *ctx, const char **a)
{
    for (size_t i = 0; a && a[i]; i++)
        JS_FreeCString(ctx, a[i]);
    js_free(ctx, a);
}

/* The length of a JS array, or -1 after throwing a TypeError naming `what`. */
static int64_t array_length(JSContext *ctx, JSValueConst arr, const char *what)
{
    uint32_t len;
    if (!JS_IsArray(ctx, arr)) {
        JS_ThrowTypeError(ctx, "spawn: %s must be an array", what);
        return -1;
    }
    JSValue v = JS_GetPropertyStr(ctx, arr, "length");
    int bad = JS_ToUint32(ctx, &len, v);
    JS_FreeValue(ctx, v);
    return bad ? -1 : (int64_t)len;
}

/* A JS array of strings as a NULL-terminated C array; NULL on exception. */
static const char **to_cstring_array(JSContext *ctx, JSValueConst arr, const char *what)
{
    int64_t len = array_length(ctx, arr, what);
    const char **a = len < 0 ? NULL : js_mallocz(ctx, sizeof(*a) * (len + 1));
    for (int64_t i = 0; a && i < len; i++) {
        JSValue v = JS_GetPropertyUint32(ctx, arr, i);
        a[i] = JS_IsString(v) ? JS_ToCString(ctx, v) : NULL;
        if (!a[i]) {
            if (!JS_IsString(v))
                JS_ThrowTypeError(ctx, "spawn: %s[%d] must be a string", what, (int)i);
            JS_FreeValue(ctx, v);
            free_cstring_array(ctx, a);
            return NULL;
        }
        JS_FreeValue(ctx, v);
    }
    return a;
}

/* opts[name], or undefined when opts is absent. */
static JSValue get_opt(JSContext *ctx, JSValueConst opts, const char *name)
{
    return JS_IsObject(opts) ? JS_GetPropertyStr(ctx, opts, name) : JS_UNDEFINED;
}

/* Reads an optional integer option into *out; returns 1 if present, 0 if absent, -1 on exception. */
static int read_int_opt(JSContext *ctx, JSValueConst opts, const char *name, int32_t *out)
{
    JSValue v = get_opt(ctx, opts, name);
    int ret = JS_IsUndefined(v) || JS_IsNull(v) ? 0 : JS_ToInt32(ctx, out, v) ? -1 : 1;
    JS_FreeValue(ctx, v);
    return ret;
}

static const char *read_string_opt(JSContext *ctx, JSValueConst opts, const char *name, int *failed)
{
    JSValue v = get_opt(ctx, opts, name);
    const char *s = sys_opt_cstring(ctx, v, failed);
    JS_FreeValue(ctx, v);
    return s;
}

/* opts.fds, default [0, 1, 2]. Each source must be open, which also guarantees that the child's
   report pipe cannot have taken a source's number. */
static int read_fd_map(JSContext *ctx, JSValueConst *argv, SpawnArgs *a, SpawnPlan *plan)
{
    JSValue arr = get_opt(ctx, argv[1], "fds");
    int64_t len = 3;
    int ret = 0;
    if (JS_IsUndefined(arr)) {
        for (int i = 0; i < 3; i++)
            a->fds[i] = i;
    } else if ((len = array_length(ctx, arr, "fds")) < 0) {
        ret = -1;
    } else if (len > SPAWN_MAX_FDS) {
        JS_ThrowRangeError(ctx, "spawn: fds has more than %d entries", SPAWN_MAX_FDS);
        ret = -1;
    }
    for (int64_t i = 0; !JS_IsUndefined(arr) && ret == 0 && i < len; i++) {
        JSValue v = JS_GetPropertyUint32(ctx, arr, i);
        ret = JS_ToInt32(ctx, &a->fds[i], v);
        JS_FreeValue(ctx, v);
        if (ret == 0 && a->fds[i] < 0) {
            a->fds[i] = -1;
        } else if (ret == 0 && fcntl(a->fds[i], F_GETFD) < 0) {
            char detail[48];
            snprintf(detail, sizeof(detail), "fds[%d] = %d", (int)i, a->fds[i]);
            sys_throw(ctx, errno, "spawn", 1, argv, detail);
            ret = -1;
        }
    }
    JS_FreeValue(ctx, arr);
    plan->fds = a->fds;
    plan->nfds = (int)len;
    return ret;
}

static int parse_spawn(JSContext *ctx, JSValueConst *argv, SpawnArgs *a, SpawnPlan *plan)
{
    JSValueConst opts = argv[1];
    int failed = 0;
    int32_t uid = 0, gid = 0, ctty = -1;

    if (!JS_IsUndefined(opts) && !JS_IsNull(opts) && !JS_IsObject(opts))
        return JS_ThrowTypeError(ctx, "spawn: opts must be an object"), -1;
    if (!(a->argv = to_cstring_array(ctx, argv[0], "argv")))
        return -1;
    if (!a->argv[0])
        return JS_ThrowTypeError(ctx, "spawn: argv must not be empty"), -1;
    JSValue env = get_opt(ctx, opts, "env");
    if (!JS_IsUndefined(env) && !(a->envp = to_cstring_array(ctx, env, "env")))
        failed = 1;
    JS_FreeValue(ctx, env);
    a->file = read_string_opt(ctx, opts, "file", &failed);
    a->cwd = read_string_opt(ctx, opts, "cwd", &failed);
    if (failed || read_fd_map(ctx, argv, a, plan) < 0)
        return -1;
    JSValue v = get_opt(ctx, opts, "setsid");
    plan->setsid = JS_ToBool(ctx, v) > 0;
    JS_FreeValue(ctx, v);
    if (read_int_opt(ctx, opts, "ctty", &ctty) < 0 ||
        (plan->set_uid = read_int_opt(ctx, opts, "uid", &uid)) < 0 ||
        (plan->set_gid = read_int_opt(ctx, opts, "gid", &gid)) < 0)
        return -1;

    plan->argv = (char *const *)a->argv;
    plan->envp = a->envp ? (char *const *)a->envp : environ;
    plan->file = a->file ? a->file : a->argv[0];
    plan->cwd = a->cwd;
    plan->ctty = ctty;
    plan->uid = (uid_t)uid;
    plan->gid = (gid_t)gid;
    /* PATH comes from the child's environment, as execvpe would take it from ours. */
    plan->search_path = DEFAULT_PATH;
    for (char *const *e = plan->envp; *e; e++) {
        if (strncmp(*e, "PATH=", 5) == 0)
            plan->search_path = *e + 5;
    }
    return 0;
}

static void describe_stage(const SpawnPlan *p, const SpawnFailure *f, char *buf, size_t size)
{
    switch ((SpawnStage)f->stage) {
    case SPAWN_STAGE_PIPE: snprintf(buf, size, "pipe2()"); break;
    case SPAWN_STAGE_CLONE: snprintf(buf, size, "clone()"); break;
    case SPAWN_STAGE_FDS: snprintf(buf, size, "fd map"); break;
    case SPAWN_STAGE_SETSID: snprintf(buf, size, "setsid()"); break;
    case SPAWN_STAGE_CTTY: snprintf(buf, size, "ioctl(%d, TIOCSCTTY)", p->ctty); break;
    case SPAWN_STAGE_CHDIR: snprintf(buf, size, "chdir(\"%s\")", p->cwd); break;
    case SPAWN_STAGE_SETGROUPS: snprintf(buf, size, "setgroups(0)"); break;
    case SPAWN_STAGE_SETGID: snprintf(buf, size, "setgid(%u)", (unsigned)p->gid); break;
    case SPAWN_STAGE_SETUID: snprintf(buf, size, "setuid(%u)", (unsigned)p->uid); break;
    case SPAWN_STAGE_EXEC: snprintf(buf, size, "execve(\"%s\")", p->file); break;
    }
}

/* spawn(argv, opts?) -> pid */
static JSValue js_spawn(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    SpawnArgs a = { 0 };
    SpawnPlan plan = { .ctty = -1 };
    JSValue ret;
    if (parse_spawn(ctx, argv, &a, &plan) < 0) {
        ret = JS_EXCEPTION;
    } else {
        SpawnFailure fail;
        pid_t pid = spawn_process(&plan, &fail);
        if (pid < 0) {
            char detail[PATH_MAX + 32];
            describe_stage(&plan, &fail, detail, sizeof(detail));
            ret = sys_throw(ctx, fail.err, "spawn", 1, argv, detail);
        } else {
            ret = JS_NewInt32(ctx, pid);
        }
    }
    free_cstring_array(ctx, a.argv);
    free_cstring_array(ctx, a.envp);
    JS_FreeCString(ctx, a.file);
    JS_FreeCString(ctx, a.cwd);
    return ret;
}

/* waitpid(pid, flags = 0) -> [pid, rawStatus], or null if nothing is waitable (WNOHANG, ECHILD). */
static JSValue js_waitpid(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t pid, flags;
    int status = 0;
    if (JS_ToInt32(ctx, &pid, argv[0]) || JS_ToInt32(ctx, &flags, argv[1]))
        return JS_EXCEPTION;
    pid_t r;
    do
        r = waitpid(pid, &status, flags);
    while (r < 0 && errno == EINTR);
    if (r == 0 || (r < 0 && errno == ECHILD))
        return JS_NULL;
    if (r < 0)
        return SYS_THROW_ERRNO("waitpid");
    JSValue res = JS_NewArray(ctx);
    JS_SetPropertyUint32(ctx, res, 0, JS_NewInt32(ctx, r));
    JS_SetPropertyUint32(ctx, res, 1, JS_NewInt32(ctx, status));
    return res;
}

static JSValue js_kill(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t pid, sig;
    if (JS_ToInt32(ctx, &pid, argv[0]) || JS_ToInt32(ctx, &sig, argv[1]))
        return JS_EXCEPTION;
    return kill(pid, sig) < 0 ? SYS_THROW_ERRNO("kill") : JS_UNDEFINED;
}

/* setsid() -> the new session id */
static JSValue js_setsid(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    pid_t sid = setsid();
    return sid < 0 ? SYS_THROW_ERRNO("setsid") : JS_NewInt32(ctx, sid);
}

/* getpid(): this QuickJS's os module has none, and PID 1 behaves differently. */
static JSValue js_getpid(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    return JS_NewInt32(ctx, getpid());
}

static const JSCFunctionListEntry funcs[] = {
    JS_CFUNC_DEF("spawn", 2, js_spawn),
    JS_CFUNC_DEF("waitpid", 2, js_waitpid),
    JS_CFUNC_DEF("kill", 2, js_kill),
    JS_CFUNC_DEF("setsid", 0, js_setsid),
    JS_CFUNC_DEF("getpid", 0, js_getpid),
};

SYS_EXPORTS(sys_proc_exports, funcs);
