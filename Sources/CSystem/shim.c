#define _GNU_SOURCE
#include "CSystem.h"
#include <unistd.h>
#include <string.h>
#include <pthread.h>
#include <errno.h>

int csystem_epoll_ctl(int epfd, int op, int fd, unsigned int events) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.fd = fd;
    return epoll_ctl(epfd, op, fd, &ev);
}

int csystem_block_signals_and_open_signalfd(void) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGPIPE);
    if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0) return -1;
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGTERM);
    sigaddset(&wanted, SIGINT);
    return signalfd(-1, &wanted, SFD_CLOEXEC);
}

int csystem_read_signal(int sfd) {
    struct signalfd_siginfo info;
    for (;;) {
        ssize_t n = read(sfd, &info, sizeof info);
        if (n == (ssize_t)sizeof info) return (int)info.ssi_signo;
        if (n < 0 && errno == EINTR) continue;
        return -1;
    }
}

int csystem_set_thread_name(const char *name) { return pthread_setname_np(pthread_self(), name); }
