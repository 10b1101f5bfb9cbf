// Numeric constants the init needs and `os` does not export, plus errnoName for raw errno values
// (os.* calls return -errno).
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include "sys.h"

/* errnoName(n) -> "ENOENT"; also accepts -errno as returned by os.*; null if unknown. */
static JSValue js_errno_name(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t n;
    if (JS_ToInt32(ctx, &n, argv[0]))
        return JS_EXCEPTION;
    const char *name = sys_errno_name(n < 0 ? -n : n);
    return name ? JS_NewString(ctx, name) : JS_NULL;
}

#define CONST(name) JS_PROP_INT32_DEF(#name, name, JS_PROP_CONFIGURABLE)

static const JSCFunctionListEntry funcs[] = {
    JS_CFUNC_DEF("errnoName", 1, js_errno_name),
    CONST(MS_RDONLY), CONST(MS_NOSUID), CONST(MS_NODEV), CONST(MS_NOEXEC), CONST(MS_REMOUNT),
    CONST(MS_BIND), CONST(MS_REC), CONST(MS_MOVE), CONST(MNT_DETACH), CONST(MNT_FORCE),
    CONST(O_NONBLOCK), CONST(O_NOCTTY), CONST(O_CLOEXEC),
    CONST(WNOHANG),
    CONST(SIGHUP), CONST(SIGINT), CONST(SIGQUIT), CONST(SIGKILL), CONST(SIGUSR1), CONST(SIGUSR2),
    CONST(SIGPIPE), CONST(SIGALRM), CONST(SIGTERM), CONST(SIGCHLD), CONST(SIGCONT), CONST(SIGSTOP),
    CONST(SIGPWR), CONST(SIGWINCH),
};

SYS_EXPORTS(sys_const_exports, funcs);
