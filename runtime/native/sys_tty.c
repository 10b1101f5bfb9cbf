// Consoles that carry data: libxl's save (hvc1) and restore (hvc2) streams are binary, so their tty
// must pass every byte unchanged both ways. quickjs-libc's ttySetRaw keeps ISIG and OPOST, which
// eat byte 0x03 (VINTR) and turn 0x0a into 0x0d 0x0a. And the restore stream is already waiting in
// the console ring when the init opens hvc2: the moment the tty is open, the kernel's hvc thread
// and the line discipline's worker may process it with the default, cooked termios. So the open and
// the switch to raw happen in one call, as a real-time task: on the stubdom's single vCPU no
// ordinary thread (hvc's poller, the tty workqueue) runs between the two.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include "sys.h"

/* Every termios flag a binary stream needs off (what cfmakeraw clears), one byte per read. */
static void make_raw(struct termios *t)
{
    t->c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF | IXANY | INPCK | IUCLC | IMAXBEL);
    t->c_oflag &= ~OPOST;
    t->c_lflag &= ~(ECHO | ECHOE | ECHOK | ECHONL | ECHOCTL | ECHOPRT | ECHOKE | ICANON | ISIG | IEXTEN | NOFLSH | TOSTOP);
    t->c_cflag &= ~(CSIZE | PARENB | CSTOPB);
    t->c_cflag |= CS8 | CREAD | CLOCAL;
    t->c_cc[VMIN] = 1;
    t->c_cc[VTIME] = 0;
}

/* openRawTty(path, accmode) -> fd: open(O_NOCTTY | O_CLOEXEC) and tcsetattr(raw, TCSANOW), as
   SCHED_FIFO in between; the previous policy is back before it returns, whatever happened. */
static JSValue js_open_raw_tty(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t accmode;
    if (JS_ToInt32(ctx, &accmode, argv[1]))
        return JS_EXCEPTION;
    const char *path = JS_ToCString(ctx, argv[0]);
    if (!path)
        return JS_EXCEPTION;
    /* musl's sched_* wrappers only say ENOSYS (the calls are per thread on Linux), so the system
       calls are made directly; PID 1 has one thread. */
    struct sched_param before, rt = { .sched_priority = 1 };
    long policy = syscall(SYS_sched_getscheduler, 0);
    int boosted = policy >= 0 && syscall(SYS_sched_getparam, 0, &before) == 0 && syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &rt) == 0;
    int fd = open(path, (accmode & O_ACCMODE) | O_NOCTTY | O_CLOEXEC);
    int err = fd < 0 ? errno : 0;
    const char *stage = "open";
    struct termios t;
    if (fd >= 0 && tcgetattr(fd, &t) == 0) {
        make_raw(&t);
        if (tcsetattr(fd, TCSANOW, &t) != 0) {
            err = errno;
            stage = "tcsetattr";
        }
    } else if (fd >= 0) {
        err = errno;
        stage = "tcgetattr";
    }
    if (boosted)
        syscall(SYS_sched_setscheduler, 0, (int)policy, &before);
    JS_FreeCString(ctx, path);
    if (err) {
        if (fd >= 0)
            close(fd);
        return sys_throw(ctx, err, "openRawTty", argc, argv, stage);
    }
    return JS_NewInt32(ctx, fd);
}

/* ttyPending(fd) -> bytes written to the tty that its driver has not passed on yet (TIOCOUTQ). */
static JSValue js_tty_pending(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t fd;
    int n = 0;
    if (JS_ToInt32(ctx, &fd, argv[0]))
        return JS_EXCEPTION;
    if (ioctl(fd, TIOCOUTQ, &n) < 0)
        return SYS_THROW_ERRNO("ttyPending");
    return JS_NewInt32(ctx, n);
}

/* truncateFd(fd): empties a file and moves the description's offset back to 0 (children that
   share the description write from the start again). */
static JSValue js_truncate_fd(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    int32_t fd;
    if (JS_ToInt32(ctx, &fd, argv[0]))
        return JS_EXCEPTION;
    if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
        return SYS_THROW_ERRNO("truncateFd");
    return JS_UNDEFINED;
}

static const JSCFunctionListEntry funcs[] = {
    JS_CFUNC_DEF("openRawTty", 2, js_open_raw_tty),
    JS_CFUNC_DEF("ttyPending", 1, js_tty_pending),
    JS_CFUNC_DEF("truncateFd", 1, js_truncate_fd),
};

SYS_EXPORTS(sys_tty_exports, funcs);
