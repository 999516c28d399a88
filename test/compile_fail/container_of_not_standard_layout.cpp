// container_of needs offsetof, which only standard-layout types promise.
// expect-error: container_of() needs a standard-layout parent (include/linux/container_of.h)
#include <sockmodel/net/sock.hpp>
struct with_vtable {
    virtual ~with_vtable() = default;
    int member;
};
with_vtable& parent(int& m) { return sockmodel::container_of(m, &with_vtable::member); }
