// Descriptors quickjs-libc cannot create or tune: ptys, fd flags, unix sockets (QMP, fd passing).
// Every new fd is CLOEXEC: children get fds only through spawn's explicit map.
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "sys.h"

/* openpty() -> [master, slave]; needs devpts on /dev/pts. */
static JSValue js_openpty(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int unlock = 0;
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        return SYS_THROW_ERRNO("openpty");
    /* TIOCGPTPEER opens the slave without a path lookup in /dev/pts (Linux >= 4.13). */
    int slave = ioctl(master, TIOCSPTLCK, &unlock) < 0 ? -1 : ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
        int err = errno;
        close(master);
        return sys_throw(ctx, err, "openpty", argc, argv, NULL);
    }
    JSValue res = JS_NewArray(ctx);
    JS_SetPropertyUint32(ctx, res, 0, JS_NewInt32(ctx, master));
    JS_SetPropertyUint32(ctx, res, 1, JS_NewInt32(ctx, slave));
    return res;
}

/* Sets or clears one flag bit through a get/set fcntl pair. */
static int update_flag(int fd, int get, int set, int bit, int on)
{
    int flags = fcntl(fd, get);
    if (flags < 0)
        return -1;
    int next = on ? flags | bit : flags & ~bit;
    return next == flags ? 0 : fcntl(fd, set, next);
}

/* fcntlSetFlags(fd, { nonblock?, cloexec? }): only the given keys change. */
static JSValue js_fcntl_set_flags(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t fd;
    if (JS_ToInt32(ctx, &fd, argv[0]))
        return JS_EXCEPTION;
    if (!JS_IsObject(argv[1]))
        return JS_ThrowTypeError(ctx, "fcntlSetFlags: flags must be an object");
    JSValue nonblock = JS_GetPropertyStr(ctx, argv[1], "nonblock");
    JSValue cloexec = JS_GetPropertyStr(ctx, argv[1], "cloexec");
    int r = 0;
    if (!JS_IsUndefined(nonblock))
        r = update_flag(fd, F_GETFL, F_SETFL, O_NONBLOCK, JS_ToBool(ctx, nonblock));
    if (r == 0 && !JS_IsUndefined(cloexec))
        r = update_flag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, JS_ToBool(ctx, cloexec));
    JS_FreeValue(ctx, nonblock);
    JS_FreeValue(ctx, cloexec);
    return r < 0 ? SYS_THROW_ERRNO("fcntlSetFlags") : JS_UNDEFINED;
}

/* A stream socket (with extra socket(2) type flags) and the address for path; -1 with errno set. */
static int unix_socket(const char *path, struct sockaddr_un *addr, int flags)
{
    size_t len = strlen(path);
    if (len >= sizeof(addr->sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    memcpy(addr->sun_path, path, len);
    return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
}

/* unixConnect(path, nonblock = false) -> fd. A nonblocking connect to a unix socket never waits: it
   completes at once or fails, EAGAIN when the listener's backlog is full. */
static JSValue js_unix_connect(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    struct sockaddr_un addr;
    int nonblock = argc > 1 && JS_ToBool(ctx, argv[1]);
    const char *path = JS_ToCString(ctx, argv[0]);
    if (!path)
        return JS_EXCEPTION;
    int fd = unix_socket(path, &addr, nonblock ? SOCK_NONBLOCK : 0);
    JS_FreeCString(ctx, path);
    int r = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&addr, sizeof(addr));
    while (r < 0 && errno == EINTR)
        r = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
    if (r < 0 && errno == EISCONN) /* an interrupted connect completed meanwhile */
        r = 0;
    if (r < 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return sys_throw(ctx, err, "unixConnect", argc, argv, NULL);
    }
    return JS_NewInt32(ctx, fd);
}

/* unixListen(path, backlog = 16) -> fd. An existing socket file is an error (EADDRINUSE). */
static JSValue js_unix_listen(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    struct sockaddr_un addr;
    int32_t backlog = 16;
    if (!JS_IsUndefined(argv[1]) && JS_ToInt32(ctx, &backlog, argv[1]))
        return JS_EXCEPTION;
    const char *path = JS_ToCString(ctx, argv[0]);
    if (!path)
        return JS_EXCEPTION;
    int fd = unix_socket(path, &addr, 0);
    JS_FreeCString(ctx, path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, backlog) < 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return sys_throw(ctx, err, "unixListen", argc, argv, NULL);
    }
    return JS_NewInt32(ctx, fd);
}

/* accept(fd) -> fd; with a nonblocking listener and nothing pending throws EAGAIN. */
static JSValue js_accept(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t fd;
    if (JS_ToInt32(ctx, &fd, argv[0]))
        return JS_EXCEPTION;
    int c;
    do
        c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    while (c < 0 && errno == EINTR);
    return c < 0 ? SYS_THROW_ERRNO("accept") : JS_NewInt32(ctx, c);
}

/* sendFd(sock, bytes, fd) -> bytes sent: the bytes (at least one) carry fd as SCM_RIGHTS, e.g. a
   QMP "getfd" command handing QEMU a tap fd. */
static JSValue js_send_fd(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t sock, fd;
    size_t len;
    if (JS_ToInt32(ctx, &sock, argv[0]) || JS_ToInt32(ctx, &fd, argv[2]))
        return JS_EXCEPTION;
    uint8_t *bytes = JS_GetArrayBuffer(ctx, &len, argv[1]);
    if (!bytes)
        return JS_EXCEPTION;
    if (len == 0)
        return JS_ThrowRangeError(ctx, "sendFd: bytes must not be empty");
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof(control));
    struct iovec iov = { bytes, len };
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf),
    };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n < 0 ? SYS_THROW_ERRNO("sendFd") : JS_NewInt64(ctx, n);
}

static const JSCFunctionListEntry funcs[] = {
    JS_CFUNC_DEF("openpty", 0, js_openpty),
    JS_CFUNC_DEF("fcntlSetFlags", 2, js_fcntl_set_flags),
    JS_CFUNC_DEF("unixConnect", 2, js_unix_connect),
    JS_CFUNC_DEF("unixListen", 2, js_unix_listen),
    JS_CFUNC_DEF("accept", 1, js_accept),
    JS_CFUNC_DEF("sendFd", 3, js_send_fd),
};

SYS_EXPORTS(sys_fd_exports, funcs);
