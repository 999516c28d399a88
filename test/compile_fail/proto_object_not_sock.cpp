// A proto's objects are struct socks: sk_alloc hands them out as such.
// expect-error: a proto's object type must derive from struct sock
#include <sockmodel/net/sock.hpp>
struct not_a_sock {
    int x;
};
auto* make = &sockmodel::proto_object<not_a_sock>::construct;
