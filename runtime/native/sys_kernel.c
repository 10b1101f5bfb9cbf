// Missing arguments read as undefined: QuickJS pads argv up to each function's declared length.
// Whole-system calls a PID 1 needs and quickjs-libc lacks: filesystems, power, kernel modules,
// hostname, memory statistics, the monotonic clock.
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <time.h>
#include "sys.h"

/* mount(source, target, fstype, flags = 0, data = null): source, fstype and data may be null. */
static JSValue js_mount(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int failed = 0;
    int64_t flags = 0;
    const char *source = sys_opt_cstring(ctx, argv[0], &failed);
    const char *target = sys_opt_cstring(ctx, argv[1], &failed);
    const char *fstype = sys_opt_cstring(ctx, argv[2], &failed);
    const char *data = sys_opt_cstring(ctx, argv[4], &failed);
    JSValue ret = JS_UNDEFINED;
    if (failed || JS_ToInt64(ctx, &flags, argv[3]))
        ret = JS_EXCEPTION;
    else if (!target)
        ret = JS_ThrowTypeError(ctx, "mount: target is required");
    else if (mount(source, target, fstype, (unsigned long)flags, data) < 0)
        ret = SYS_THROW_ERRNO("mount");
    JS_FreeCString(ctx, source);
    JS_FreeCString(ctx, target);
    JS_FreeCString(ctx, fstype);
    JS_FreeCString(ctx, data);
    return ret;
}

static JSValue js_umount2(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int flags = 0;
    const char *target = JS_ToCString(ctx, argv[0]);
    JSValue ret = JS_UNDEFINED;
    if (!target || JS_ToInt32(ctx, &flags, argv[1]))
        ret = JS_EXCEPTION;
    else if (umount2(target, flags) < 0)
        ret = SYS_THROW_ERRNO("umount2");
    JS_FreeCString(ctx, target);
    return ret;
}

static JSValue js_sync(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    sync();
    return JS_UNDEFINED;
}

/* reboot("poweroff" | "restart" | "halt"): as PID 1 of a VM this ends the domain. In a child PID
   namespace the kernel instead kills that namespace's init. */
static JSValue js_reboot(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    static const struct { const char *name; int cmd; } cmds[] = {
        { "poweroff", RB_POWER_OFF }, { "restart", RB_AUTOBOOT }, { "halt", RB_HALT_SYSTEM },
    };
    const char *name = JS_ToCString(ctx, argv[0]);
    if (!name)
        return JS_EXCEPTION;
    int err = EINVAL;
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(name, cmds[i].name) == 0)
            err = reboot(cmds[i].cmd) < 0 ? errno : 0;
    }
    JS_FreeCString(ctx, name);
    return err ? sys_throw(ctx, err, "reboot", argc, argv, NULL) : JS_UNDEFINED;
}

/* finitModule(path, params = ""): loads a .ko without insmod. */
static JSValue js_finit_module(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int failed = 0;
    const char *path = JS_ToCString(ctx, argv[0]);
    const char *params = sys_opt_cstring(ctx, argv[1], &failed);
    JSValue ret = JS_UNDEFINED;
    if (!path || failed) {
        ret = JS_EXCEPTION;
    } else {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || syscall(SYS_finit_module, fd, params ? params : "", 0) < 0)
            ret = SYS_THROW_ERRNO("finitModule");
        if (fd >= 0)
            close(fd);
    }
    JS_FreeCString(ctx, path);
    JS_FreeCString(ctx, params);
    return ret;
}

static JSValue js_sethostname(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    size_t len;
    const char *name = JS_ToCStringLen(ctx, &len, argv[0]);
    if (!name)
        return JS_EXCEPTION;
    JSValue ret = sethostname(name, len) < 0 ? SYS_THROW_ERRNO("sethostname") : JS_UNDEFINED;
    JS_FreeCString(ctx, name);
    return ret;
}

/* The kernel's syslog(2) action numbers are not in musl's headers (include/linux/syslog.h). */
#define SYSLOG_ACTION_CLEAR 5

/* klogClear(): empties the kernel's log buffer, as `dmesg -c` does after reading it. */
static JSValue js_klog_clear(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    return klogctl(SYSLOG_ACTION_CLEAR, NULL, 0) < 0 ? SYS_THROW_ERRNO("klogClear") : JS_UNDEFINED;
}

/* now() -> monotonic milliseconds (this QuickJS's os module has no os.now; Date.now() jumps with the
   wall clock, which a VM may set late). */
static JSValue js_now(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return JS_NewFloat64(ctx, ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

static const JSCFunctionListEntry funcs[] = {
    JS_CFUNC_DEF("mount", 5, js_mount),
    JS_CFUNC_DEF("umount2", 2, js_umount2),
    JS_CFUNC_DEF("sync", 0, js_sync),
    JS_CFUNC_DEF("reboot", 1, js_reboot),
    JS_CFUNC_DEF("finitModule", 2, js_finit_module),
    JS_CFUNC_DEF("sethostname", 1, js_sethostname),
    JS_CFUNC_DEF("klogClear", 0, js_klog_clear),
    JS_CFUNC_DEF("now", 0, js_now),
};

SYS_EXPORTS(sys_kernel_exports, funcs);
