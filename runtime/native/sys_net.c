// Network interfaces and bridges by ioctl, as busybox's ip and brctl do them, without a fork and an
// exec per step (each costs tens of ms in a small domain). Every call names its interface.
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "sys.h"

/* The bridge ioctls of include/uapi/linux/sockios.h, which musl's headers lack. */
#define SIOCBRADDBR 0x89a0
#define SIOCBRADDIF 0x89a2

/* An interface request for name; -1 with errno ENAMETOOLONG when it does not fit. */
static int ifreq_for(struct ifreq *ifr, const char *name)
{
    memset(ifr, 0, sizeof(*ifr));
    if (strlen(name) >= IFNAMSIZ) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(ifr->ifr_name, name);
    return 0;
}

/* One ioctl on a fresh datagram socket (what ip and brctl use); -1 with errno on failure. */
static int net_ioctl(unsigned long request, void *arg)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    int rc = ioctl(s, request, arg);
    int err = errno;
    close(s);
    errno = err;
    return rc;
}

/* An interface call on one or two names (a second one is NULL for one-name calls); -1 with errno on failure. */
typedef int NameCall(const char *first, const char *second);

/* fn on the string argument 0 and, when names is 2, argument 1; throws as call(args) on failure. */
static JSValue on_names(JSContext *ctx, int argc, JSValueConst *argv, const char *call, int names, NameCall *fn)
{
    const char *first = JS_ToCString(ctx, argv[0]);
    const char *second = first && names == 2 ? JS_ToCString(ctx, argv[1]) : NULL;
    JSValue ret = JS_EXCEPTION;
    if (first && (names == 1 || second))
        ret = fn(first, second) < 0 ? SYS_THROW_ERRNO(call) : JS_UNDEFINED;
    JS_FreeCString(ctx, first);
    JS_FreeCString(ctx, second);
    return ret;
}

static int link_set_flags(const char *name, int up)
{
    struct ifreq ifr;
    if (ifreq_for(&ifr, name) < 0 || net_ioctl(SIOCGIFFLAGS, &ifr) < 0)
        return -1;
    ifr.ifr_flags = up ? (ifr.ifr_flags | IFF_UP) : (ifr.ifr_flags & ~IFF_UP);
    return net_ioctl(SIOCSIFFLAGS, &ifr);
}

static int link_set_up(const char *name, const char *unused)
{
    return link_set_flags(name, 1);
}

static int link_set_down(const char *name, const char *unused)
{
    return link_set_flags(name, 0);
}

/* linkUp(name, up): the interface's IFF_UP, as `ip link set dev NAME up|down`. */
static JSValue js_link_up(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    return on_names(ctx, argc, argv, "linkUp", 1, JS_ToBool(ctx, argv[1]) ? link_set_up : link_set_down);
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* "aa:bb:cc:dd:ee:ff" into out; -1 with errno EINVAL when it is not exactly that. */
static int parse_mac(const char *mac, unsigned char out[6])
{
    if (strlen(mac) != 17)
        return errno = EINVAL, -1;
    for (int i = 0; i < 6; i++) {
        const char *p = mac + 3 * i;
        int hi = hex_digit(p[0]), lo = hex_digit(p[1]);
        if (hi < 0 || lo < 0 || (i < 5 && p[2] != ':'))
            return errno = EINVAL, -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

static int link_set_mac(const char *name, const char *mac)
{
    struct ifreq ifr;
    unsigned char b[6];
    if (parse_mac(mac, b) < 0 || ifreq_for(&ifr, name) < 0)
        return -1;
    ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    memcpy(ifr.ifr_hwaddr.sa_data, b, sizeof(b));
    return net_ioctl(SIOCSIFHWADDR, &ifr);
}

/* linkSetMac(name, "aa:bb:cc:dd:ee:ff"), as `ip link set dev NAME address MAC`. */
static JSValue js_link_set_mac(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    return on_names(ctx, argc, argv, "linkSetMac", 2, link_set_mac);
}

/* At most this many addresses are taken off: PID 1 must not spin on a kernel that keeps one. */
#define MAX_IPV4_ADDRESSES 256

/* Setting 0.0.0.0 deletes the interface's IPv4 address; EADDRNOTAVAIL from the read means it has none. */
static int link_clear_ipv4(const char *name, const char *unused)
{
    struct ifreq ifr;
    if (ifreq_for(&ifr, name) < 0)
        return -1;
    ifr.ifr_addr.sa_family = AF_INET;
    for (int i = 0; i < MAX_IPV4_ADDRESSES; i++) {
        if (net_ioctl(SIOCGIFADDR, &ifr) < 0)
            return errno == EADDRNOTAVAIL ? 0 : -1;
        struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = 0;
        if (net_ioctl(SIOCSIFADDR, &ifr) < 0)
            return -1;
    }
    errno = EBUSY;
    return -1;
}

/* linkClearIpv4(name): no IPv4 address left on it, as `ip -4 addr flush dev NAME`. */
static JSValue js_link_clear_ipv4(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    return on_names(ctx, argc, argv, "linkClearIpv4", 1, link_clear_ipv4);
}

static int bridge_create(const char *name, const char *unused)
{
    struct ifreq ifr; /* only for its length check: SIOCBRADDBR takes the bare name */
    return ifreq_for(&ifr, name) < 0 ? -1 : net_ioctl(SIOCBRADDBR, ifr.ifr_name);
}

/* bridgeCreate(name), as `brctl addbr NAME`. */
static JSValue js_bridge_create(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    return on_names(ctx, argc, argv, "bridgeCreate", 1, bridge_create);
}

static int bridge_add_port(const char *bridge, const char *port)
{
    struct ifreq ifr;
    unsigned int index = if_nametoindex(port);
    if (index == 0 || ifreq_for(&ifr, bridge) < 0)
        return -1;
    ifr.ifr_ifindex = (int)index;
    return net_ioctl(SIOCBRADDIF, &ifr);
}

/* bridgeAddPort(bridge, port), as `brctl addif BRIDGE PORT`. */
static JSValue js_bridge_add_port(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    return on_names(ctx, argc, argv, "bridgeAddPort", 2, bridge_add_port);
}

static const JSCFunctionListEntry funcs[] = {
    JS_CFUNC_DEF("linkUp", 2, js_link_up),
    JS_CFUNC_DEF("linkSetMac", 2, js_link_set_mac),
    JS_CFUNC_DEF("linkClearIpv4", 1, js_link_clear_ipv4),
    JS_CFUNC_DEF("bridgeCreate", 1, js_bridge_create),
    JS_CFUNC_DEF("bridgeAddPort", 2, js_bridge_add_port),
};

SYS_EXPORTS(sys_net_exports, funcs);
