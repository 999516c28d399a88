// A proto's objects are struct socks: sk_alloc hands them out as such.
// expect-error: proto object type does not start with struct sock (include/net/sock.h
#include <sockmodel/net/sock.hpp>

#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
struct my_sock : sockmodel::sock {
#else
struct my_sock {
#endif
    int x;
};

void my_close(void*, sockmodel::sock&, long) {}

constexpr sockmodel::proto my_prot{
    .name = "MINE",
    .obj = sockmodel::proto_object<my_sock>{},
    .close = &my_close,
};
static_assert(sockmodel::proto_complete(my_prot));
