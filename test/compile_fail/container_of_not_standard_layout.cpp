// container_of needs offsetof, which only standard-layout types promise.
// expect-error: container_of() needs a standard-layout parent (include/linux/container_of.h)
#include <sockmodel/net/sock.hpp>

struct with_vtable {
#ifndef SOCKMODEL_COMPILE_FAIL_TWIN
    virtual ~with_vtable() = default;  // a vtable pointer: not standard layout
#endif
    int member;
};
with_vtable& parent(int& m) { return sockmodel::container_of(m, &with_vtable::member); }
