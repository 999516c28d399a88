// struct user_namespace (include/linux/user_namespace.h) and the id mapping
// helpers (kernel/user_namespace.c: make_kuid, from_kuid, map_id_range_down):
// the part capability checks and id translation read. A user namespace has a
// parent (NULL only for the initial one), a nesting level, the euid/egid of the
// task that created it (its owner) and its uid and gid maps, which
// make_kuid/from_kuid translate through. The initial user namespace is a
// constant shared by every model kernel (every id maps to itself in it); the
// ones clone/unshare(CLONE_NEWUSER) create belong to the kernel object that
// created them.
#pragma once

#include <array>
#include <cstdint>

namespace sockmodel {

using kuid_t = unsigned;
using kgid_t = unsigned;

// INVALID_UID / INVALID_GID: (uid_t)-1, what make_kuid answers for an id
// without a mapping.
inline constexpr unsigned invalid_id = ~0U;
// overflowuid / overflowgid (kernel/sys.c, DEFAULT_OVERFLOWUID): what
// from_kuid_munged shows for a kuid the namespace does not map.
inline constexpr unsigned overflow_id = 65534;

// struct uid_gid_extent: ids [first, first+count) of the namespace are ids
// [lower_first, lower_first+count) of the kernel (as map_write stores them:
// already translated through the parent's map).
struct uid_gid_extent {
    std::uint32_t first = 0;
    std::uint32_t lower_first = 0;
    std::uint32_t count = 0;
};

// struct uid_gid_map. UID_GID_MAP_MAX_EXTENTS extents at most.
struct uid_gid_map {
    static constexpr unsigned max_extents = 340;
    unsigned nr_extents = 0;
    std::array<uid_gid_extent, max_extents> extent{};

    // map_id_range_down: the kernel id of [id, id+count), or invalid_id when
    // one extent does not hold the whole range.
    constexpr std::uint32_t down(std::uint32_t id, std::uint32_t count = 1) const
    {
        const std::uint32_t last = id + count - 1;
        for (unsigned i = 0; i < nr_extents; ++i) {
            const uid_gid_extent& e = extent[i];
            const std::uint32_t e_last = e.first + e.count - 1;
            if (id >= e.first && id <= e_last && last >= e.first && last <= e_last)
                return id - e.first + e.lower_first;
        }
        return invalid_id;
    }
    // map_id_up: the namespace's id of kernel id `id`, or invalid_id.
    constexpr std::uint32_t up(std::uint32_t id) const
    {
        for (unsigned i = 0; i < nr_extents; ++i) {
            const uid_gid_extent& e = extent[i];
            if (id >= e.lower_first && id <= e.lower_first + (e.count - 1))
                return id - e.lower_first + e.first;
        }
        return invalid_id;
    }
};

// The identity map of init_user_ns: 0..4294967294 to themselves.
constexpr uid_gid_map identity_map()
{
    uid_gid_map m;
    m.nr_extents = 1;
    m.extent[0] = {0, 0, 4294967295U};
    return m;
}

// user_namespace->flags: USERNS_SETGROUPS_ALLOWED (USERNS_INIT_FLAGS).
inline constexpr unsigned long userns_setgroups_allowed = 1;

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
    uid_gid_map uid_map = identity_map();  // empty in a new namespace until map_write
    uid_gid_map gid_map = identity_map();
    unsigned long flags = userns_setgroups_allowed;
    // parent_could_setfcap: the creator held CAP_SETFCAP (verify_root_map).
    bool parent_could_setfcap = true;
    // ucount_max[UCOUNT_USER_NAMESPACES] (user.max_user_namespaces as seen
    // inside this namespace): INT_MAX in a new one; init_user_ns's is the
    // kernel's (ns_lists::max_user_namespaces).
    int max_user_namespaces = 0x7fffffff;
};

// kernel/user.c's init_user_ns: the initial user namespace, immutable here
// (every kuid maps to itself in it).
inline constexpr user_namespace init_user_ns{};

// The kernel's limit on nesting: create_user_ns refuses a child of a
// namespace whose level is above 32 with -ENOSPC (33 levels below
// init_user_ns can exist).
inline constexpr int user_ns_max_level = 32;

constexpr bool same_user_ns(const user_namespace& a, const user_namespace& b) { return a.ns_id == b.ns_id; }

// make_kuid / make_kgid: the kernel id of a namespace's id (invalid_id when unmapped).
constexpr kuid_t make_kuid(const user_namespace& ns, unsigned uid) { return ns.uid_map.down(uid); }
constexpr kgid_t make_kgid(const user_namespace& ns, unsigned gid) { return ns.gid_map.down(gid); }
// from_kuid / from_kgid: the namespace's id of a kernel id (invalid_id when unmapped).
constexpr unsigned from_kuid(const user_namespace& ns, kuid_t kuid) { return ns.uid_map.up(kuid); }
constexpr unsigned from_kgid(const user_namespace& ns, kgid_t kgid) { return ns.gid_map.up(kgid); }
// from_kuid_munged / from_kgid_munged: the overflow id for an unmapped one.
constexpr unsigned from_kuid_munged(const user_namespace& ns, kuid_t kuid)
{
    const unsigned id = from_kuid(ns, kuid);
    return id == invalid_id ? overflow_id : id;
}
constexpr unsigned from_kgid_munged(const user_namespace& ns, kgid_t kgid)
{
    const unsigned id = from_kgid(ns, kgid);
    return id == invalid_id ? overflow_id : id;
}
constexpr bool kuid_has_mapping(const user_namespace& ns, kuid_t kuid) { return from_kuid(ns, kuid) != invalid_id; }
constexpr bool kgid_has_mapping(const user_namespace& ns, kgid_t kgid) { return from_kgid(ns, kgid) != invalid_id; }

}  // namespace sockmodel
