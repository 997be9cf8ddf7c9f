/* Preloaded into a Swift service run under valgrind 3.19 (Debian 12): libdispatch parks the main
 * thread in sigsuspend() with a mask in read-only memory, and valgrind's rt_sigsuspend wrapper
 * writes to that mask and dies (SIGSEGV inside valgrind). Passing a copy on the stack avoids it. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, _NSIG / 8);
}
