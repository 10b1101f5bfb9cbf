/*
 * The C side of bench/xenstore: Xen's own client library (libxenstore, from Debian's libxen-dev)
 * timing read, write and directory against the daemon at $XENSTORED_PATH. libxenstore is
 * synchronous: one request at a time on a handle, as here.
 *
 *   xsbench <count> <value path> <write path> <directory path>
 *
 * Prints one line per operation: "<name> <count> <seconds>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenstore.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(const char *what, const char *path)
{
    perror(what);
    fprintf(stderr, "xsbench: %s %s failed\n", what, path);
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: xsbench <count> <value path> <write path> <directory path>\n");
        return 2;
    }
    int count = atoi(argv[1]);
    const char *value_path = argv[2], *write_path = argv[3], *dir_path = argv[4];
    struct xs_handle *h = xs_open(0);
    if (!h)
        fail("xs_open", getenv("XENSTORED_PATH") ? getenv("XENSTORED_PATH") : "(default)");

    double t0 = now();
    for (int i = 0; i < count; i++) {
        unsigned int len;
        void *v = xs_read(h, XBT_NULL, value_path, &len);
        if (!v)
            fail("xs_read", value_path);
        free(v);
    }
    printf("read %d %.6f\n", count, now() - t0);

    char value[32];
    t0 = now();
    for (int i = 0; i < count; i++) {
        int n = snprintf(value, sizeof(value), "%d", i);
        if (!xs_write(h, XBT_NULL, write_path, value, n))
            fail("xs_write", write_path);
    }
    printf("write %d %.6f\n", count, now() - t0);

    t0 = now();
    for (int i = 0; i < count; i++) {
        unsigned int num;
        char **names = xs_directory(h, XBT_NULL, dir_path, &num);
        if (!names)
            fail("xs_directory", dir_path);
        free(names);
    }
    printf("directory %d %.6f\n", count, now() - t0);

    xs_close(h);
    return 0;
}
