# Threads that open and close sockets (and other fds, made by calls the
# tracer does not stop at) in one shared descriptor table at the same time,
# for sockmodel-trace's race accounting (test/ptrace/run_ptrace.sh threads).
# Each thread ends with socketpair() calls too. Exits 0.
import os
import socket
import sys
import threading

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000


def work(i):
    for n in range(N):
        s = socket.socket(socket.AF_INET if n % 2 else socket.AF_UNIX, socket.SOCK_DGRAM)
        if n % 3 == 0:
            fd = os.open("/dev/null", os.O_RDONLY)  # open(): not stopped at
            os.close(fd)
        s.close()
    a, b = socket.socketpair()
    a.close()
    b.close()


threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
