#ifndef CSYSTEM_H
#define CSYSTEM_H
// Linux interfaces that `import Glibc` does not expose. Deliberately no _GNU_SOURCE and no
// <sys/socket.h> here: both clash with SwiftGlibc (see PLATFORM-NOTES.md).
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <signal.h>

struct sockaddr;
int accept4(int sockfd, struct sockaddr *addr, unsigned int *addrlen, int flags);

// epoll_event is packed on x86_64; reading its union from Swift is easier through helpers.
static inline int csystem_epoll_event_fd(const struct epoll_event *ev) { return ev->data.fd; }
static inline unsigned int csystem_epoll_event_mask(const struct epoll_event *ev) { return ev->events; }
int csystem_epoll_ctl(int epfd, int op, int fd, unsigned int events);

// Blocks SIGTERM/SIGINT/SIGPIPE in the calling thread (and threads it creates later) and returns
// a signalfd that reports SIGTERM and SIGINT. Returns -1 on failure.
int csystem_block_signals_and_open_signalfd(void);
// Waits (blocking) on the signalfd and returns the signal number, or -1.
int csystem_read_signal(int sfd);
// glibc's malloc_trim (malloc.h is not part of SwiftGlibc): hands freed heap pages back.
int malloc_trim(unsigned long pad);
// Names the calling thread (visible in top -H, gdb); at most 15 characters.
int csystem_set_thread_name(const char *name);
#endif
