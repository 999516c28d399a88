// struct user_namespace (include/linux/user_namespace.h, kernel/user_namespace.c):
// the part capability checks read. A user namespace has a parent (NULL only for
// the initial one), a nesting level and the euid/egid of the task that created
// it (its owner). The initial user namespace is a constant shared by every
// model kernel; the ones unshare(CLONE_NEWUSER) creates belong to the kernel
// object that created them.
#pragma once

namespace sockmodel {

using kuid_t = unsigned;
using kgid_t = unsigned;

struct user_namespace {
    const user_namespace* parent = nullptr;  // NULL only in init_user_ns (level 0)
    int level = 0;                           // 0 for init_user_ns, parent's + 1 otherwise
    kuid_t owner = 0;                        // euid of the creator, in init_user_ns terms (kuid)
    kgid_t group = 0;
    // The model's identity of a namespace. The kernel compares the pointers;
    // a constant expression may not compare object addresses (GCC cannot fold
    // that under -fsanitize=undefined), so the checks compare this number.
    // 0 is init_user_ns; a model kernel numbers the ones it creates from 1.
    unsigned long ns_id = 0;
};

// kernel/user.c's init_user_ns: the initial user namespace, immutable here
// (the model keeps no uid/gid maps: every kuid maps to itself in it).
inline constexpr user_namespace init_user_ns{};

// The kernel's limit on nesting (create_user_ns: level > 32 is -EUSERS).
inline constexpr int user_ns_max_level = 32;

constexpr bool same_user_ns(const user_namespace& a, const user_namespace& b) { return a.ns_id == b.ns_id; }

}  // namespace sockmodel
