// container_of from a member of the wrong type: a socket taken for socket_alloc's inode.
// expect-error: pointer type mismatch in container_of() (include/linux/container_of.h)
#include <sockmodel/net/sock.hpp>

sockmodel::socket& same(sockmodel::socket& s)
{
#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
    return sockmodel::container_of(s, &sockmodel::socket_alloc::socket).socket;
#else
    return sockmodel::container_of(s, &sockmodel::socket_alloc::vfs_inode).socket;
#endif
}
