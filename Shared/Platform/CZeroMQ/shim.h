// The system libzmq header, as one Clang module for the Swift binding,
// plus eventfd, which wakes a thread blocked in zmq_poll.
#include <zmq.h>
#include <sys/eventfd.h>
