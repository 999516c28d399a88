// container_of from a member of the wrong type: SOCKET_I given a socket, not an inode.
// expect-error: pointer type mismatch in container_of() (include/linux/container_of.h)
#include <sockmodel/net/sock.hpp>
sockmodel::socket& wrong(sockmodel::socket& s)
{
    return sockmodel::container_of(s, &sockmodel::socket_alloc::vfs_inode).socket;
}
